"""Creating a key with several bad fields names each of them, on both surfaces, and creates
nothing."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.factories import OrgSetup, bearer

Client = AsyncTestClient[Litestar]
PAST = "2001-01-01T00:00:00Z"


def fields_named(details: list[dict[str, Any]]) -> set[str]:
    assert all(detail["message"] for detail in details)
    return {detail["field"] for detail in details}


async def key_count(client: Client, path: str, key: str) -> int:
    response = await client.get(path, headers=bearer(key))
    assert response.status_code == 200, response.text
    body = response.json()
    listed = body["data"] if "data" in body else body["keys"]
    return len(listed)


async def test_a_crm_key_with_several_bad_fields(client: Client, org: OrgSetup) -> None:
    before = await key_count(client, "/api/keys", org.crm_key)
    for body, named in [
        ({"name": " ", "expires_at": PAST}, {"name", "expires_at"}),
        ({"name": "", "expires_at": "soon", "scopes": ["read"]}, {"name", "expires_at", "scopes"}),
    ]:
        response = await client.post("/api/keys", json=body, headers=bearer(org.crm_key))
        assert response.status_code == 400, response.text
        assert response.json()["code"] == "VALIDATION_ERROR"
        assert fields_named(response.json()["details"]) == named
    assert await key_count(client, "/api/keys", org.crm_key) == before


async def test_a_handover_key_with_several_bad_fields(client: Client, org: OrgSetup) -> None:
    before = await key_count(client, "/api/v1/keys", org.handover_key)
    for body, named in [
        ({"name": " ", "scopes": ["root"], "expiresAt": PAST}, {"name", "scopes", "expiresAt"}),
        ({"name": 1, "scopes": "read", "expiresAt": "soon"}, {"name", "scopes", "expiresAt"}),
    ]:
        response = await client.post("/api/v1/keys", json=body, headers=bearer(org.handover_key))
        assert response.status_code == 400, response.text
        assert response.json()["error"]["code"] == "VALIDATION_ERROR"
        assert fields_named(response.json()["error"]["details"]) == named
    assert await key_count(client, "/api/v1/keys", org.handover_key) == before
