"""Hostile header values — in Authorization, Idempotency-Key, If-Match and X-Request-ID, on
routes of both APIs: any bytes a client can put in a header (NUL and other control bytes,
Latin-1, very long) answer a 4xx or the normal answer, never a 5xx; a key is only ever
accepted whole."""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.adversarial.world import Client, World

HEADER_BYTES = st.binary(min_size=0, max_size=300).map(
    lambda raw: raw.replace(b"\r", b"").replace(b"\n", b"")
) | st.sampled_from([b"\x00", b"a" * 10_000, "é".encode("latin-1"), b'"1"\x00', b"*"])

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@SETTINGS
@given(value=HEADER_BYTES, data=st.data())
async def test_hostile_header_values_never_answer_5xx(
    client: Client, world: World, value: bytes, data: st.DataObject
) -> None:
    a = world.a
    record = f"/api/records/leads/{a.ids['record_id']}"
    calls: list[tuple[str, str, dict[str, str] | None, dict[str, str | bytes]]] = [
        ("GET", "/api/me", None, {"Authorization": b"Bearer " + value}),
        ("GET", "/api/v1/me", None, {"Authorization": value}),
        ("POST", "/api/records/leads", {"name": "h"}, {**a.crm, "Idempotency-Key": value}),
        (
            "POST",
            "/api/v1/clients",
            {"name": "h", "email": "h@example.com"},
            {**a.handover, "Idempotency-Key": value},
        ),
        ("PUT", record, {"title": "h"}, {**a.crm, "If-Match": value}),
        ("DELETE", "/api/records/leads/999999", None, {**a.crm, "If-Match": value}),
        ("GET", "/api/v1/clients", None, {**a.handover, "X-Request-ID": value}),
        ("GET", "/api/records/leads", None, {**a.crm, "X-Request-ID": value}),
    ]
    method, path, body, headers = data.draw(st.sampled_from(calls))
    raw = [
        (name.encode(), v if isinstance(v, bytes) else v.encode()) for name, v in headers.items()
    ]
    response = await client.request(method, path, json=body, headers=raw)
    assert response.status_code < 500, (method, path, value[:80], response.text[:300])
    if path.endswith("/me"):  # only the hostile Authorization was sent
        assert response.status_code == 401, (path, value[:80])
