"""/api/webhooks: Admin-only management, plan caps and limits, validation, the SSRF checklist at
creation, organization scoping, and a signing secret that is never kept or shown in plain text."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text

from finite.app import create_app
from finite.config import Settings
from finite.core.accounts.service import PlanChoice, set_plan
from finite.core.webhooks.secrets import binding
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.kit.secretbox import SecretBox
from tests.factories import OrgSetup, bearer, make_member_key, make_org

Client = AsyncTestClient[Litestar]
RECEIVER = "http://127.0.0.1:9/hooks"  # allowed in tests (allow_private_targets)


async def create_webhook(client: Client, key: str, **body: Any) -> dict[str, Any]:
    response = await client.post(
        "/api/webhooks", json={"url": RECEIVER, **body}, headers=bearer(key)
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def webhook_count(client: Client, key: str) -> int:
    listing = await client.get("/api/webhooks", headers=bearer(key))
    assert listing.status_code == 200, listing.text
    return len(listing.json()["webhooks"])


def assert_invalid_field(response: Any, field: str) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "VALIDATION_ERROR"
    assert body["details"][0]["field"] == field, body


# --- creating, reading, changing, deleting --------------------------------------------------


async def test_admin_creates_a_webhook_and_sees_the_secret_once(
    client: Client, org: OrgSetup
) -> None:
    created = await create_webhook(
        client, org.crm_key, modules=["leads", "contacts"], events=["create"], description=" CRM "
    )
    assert created["id"].startswith("wh")
    assert created["secret"].startswith("whsec_")
    assert created["url"] == RECEIVER
    assert created["modules"] == ["leads", "contacts"]
    assert created["events"] == ["create"]
    assert created["description"] == "CRM"
    assert created["status"] == "active"
    assert created["disabled_reason"] is None

    fetched = await client.get(f"/api/webhooks/{created['id']}", headers=bearer(org.crm_key))
    assert fetched.status_code == 200
    assert "secret" not in fetched.json()
    assert created["secret"] not in fetched.text
    assert {k: v for k, v in created.items() if k != "secret"} == fetched.json()

    listing = await client.get("/api/webhooks", headers=bearer(org.crm_key))
    assert [item["id"] for item in listing.json()["webhooks"]] == [created["id"]]
    assert created["secret"] not in listing.text


async def test_defaults_subscribe_to_everything(client: Client, org: OrgSetup) -> None:
    created = await create_webhook(client, org.crm_key)
    assert created["modules"] == "*"
    assert created["events"] == "*"
    single = await create_webhook(client, org.crm_key, modules="deals", events="delete")
    assert single["modules"] == ["deals"]
    assert single["events"] == ["delete"]


async def test_patch_changes_filters_and_pauses_and_resumes(client: Client, org: OrgSetup) -> None:
    created = await create_webhook(client, org.crm_key)
    path = f"/api/webhooks/{created['id']}"
    changed = await client.patch(
        path,
        json={"modules": ["deals"], "events": ["update", "delete"], "description": "deals"},
        headers=bearer(org.crm_key),
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["modules"] == ["deals"]
    assert changed.json()["events"] == ["update", "delete"]

    paused = await client.patch(path, json={"enabled": False}, headers=bearer(org.crm_key))
    assert paused.json()["status"] == "disabled"
    assert paused.json()["disabled_reason"] == "Disabled by an administrator."
    ping = await client.post(f"{path}/ping", headers=bearer(org.crm_key))
    assert ping.status_code == 409
    resumed = await client.patch(path, json={"enabled": True}, headers=bearer(org.crm_key))
    assert resumed.json()["status"] == "active"
    assert resumed.json()["disabled_reason"] is None
    fetched = (await client.get(path, headers=bearer(org.crm_key))).json()
    assert fetched["modules"] == ["deals"]
    assert fetched["status"] == "active"


async def test_delete_removes_the_webhook_and_frees_its_slot(client: Client, org: OrgSetup) -> None:
    created = await create_webhook(client, org.crm_key)
    await client.post(f"/api/webhooks/{created['id']}/ping", headers=bearer(org.crm_key))
    deleted = await client.delete(f"/api/webhooks/{created['id']}", headers=bearer(org.crm_key))
    assert deleted.status_code == 204
    gone = await client.get(f"/api/webhooks/{created['id']}", headers=bearer(org.crm_key))
    assert gone.status_code == 404
    assert await webhook_count(client, org.crm_key) == 0


async def test_ping_is_queued_and_listed_in_the_history(client: Client, org: OrgSetup) -> None:
    created = await create_webhook(client, org.crm_key)
    ping = await client.post(f"/api/webhooks/{created['id']}/ping", headers=bearer(org.crm_key))
    assert ping.status_code == 202, ping.text
    assert ping.json()["event"] == "ping"
    assert ping.json()["status"] == "pending"
    history = await client.get(
        f"/api/webhooks/{created['id']}/deliveries", headers=bearer(org.crm_key)
    )
    assert history.status_code == 200
    assert [d["id"] for d in history.json()["deliveries"]] == [ping.json()["id"]]
    assert history.json()["next_cursor"] is None


async def test_delivery_history_pages_newest_first(client: Client, org: OrgSetup) -> None:
    created = await create_webhook(client, org.crm_key)
    path = f"/api/webhooks/{created['id']}"
    ids = [
        (await client.post(f"{path}/ping", headers=bearer(org.crm_key))).json()["id"]
        for _ in range(3)
    ]
    first = (
        await client.get(f"{path}/deliveries", params={"limit": 2}, headers=bearer(org.crm_key))
    ).json()
    assert [d["id"] for d in first["deliveries"]] == ids[::-1][:2]
    assert first["next_cursor"] is not None
    second = (
        await client.get(
            f"{path}/deliveries",
            params={"limit": 2, "cursor": first["next_cursor"]},
            headers=bearer(org.crm_key),
        )
    ).json()
    assert [d["id"] for d in second["deliveries"]] == [ids[0]]
    assert second["next_cursor"] is None
    pending = await client.get(
        f"{path}/deliveries", params={"status": "succeeded"}, headers=bearer(org.crm_key)
    )
    assert pending.json()["deliveries"] == []


async def test_recover_refuses_a_future_since(client: Client, org: OrgSetup) -> None:
    created = await create_webhook(client, org.crm_key)
    future = (utcnow() + timedelta(hours=1)).isoformat()
    refused = await client.post(
        f"/api/webhooks/{created['id']}/recover",
        json={"since": future},
        headers=bearer(org.crm_key),
    )
    assert_invalid_field(refused, "since")


# --- plan caps and limits -------------------------------------------------------------------


async def test_free_plan_allows_one_endpoint_with_a_clear_refusal(
    client: Client, db: Database, peppers: Peppers
) -> None:
    free = await make_org(db, peppers, crm=PlanChoice("free"))
    limits = (await client.get("/api/webhooks", headers=bearer(free.crm_key))).json()["limits"]
    assert limits["webhook_endpoints"] == 1
    assert limits["webhook_endpoints_used"] == 0

    await create_webhook(client, free.crm_key)
    refused = await client.post(
        "/api/webhooks", json={"url": RECEIVER}, headers=bearer(free.crm_key)
    )
    assert refused.status_code == 403, refused.text
    body = refused.json()
    assert body["code"] == "PLAN_LIMIT"
    assert body["error"] == (
        "The free plan allows 1 webhook endpoint and 1 is in use; delete one or upgrade the plan."
    )
    assert await webhook_count(client, free.crm_key) == 1

    for path in ("/api/webhooks", "/api/keys"):
        limits = (await client.get(path, headers=bearer(free.crm_key))).json()["limits"]
        assert limits["webhook_endpoints"] == 1, path
        assert limits["webhook_endpoints_used"] == 1, path


async def test_an_expired_trial_gets_the_free_cap(
    client: Client, db: Database, peppers: Peppers
) -> None:
    lapsed = PlanChoice("enterprise", "trial", trial_ends_at=utcnow() - timedelta(days=1))
    org = await make_org(db, peppers, crm=lapsed)
    await create_webhook(client, org.crm_key)
    refused = await client.post(
        "/api/webhooks", json={"url": RECEIVER}, headers=bearer(org.crm_key)
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "PLAN_LIMIT"


async def test_a_webhooks_override_raises_the_cap(
    client: Client, db: Database, peppers: Peppers
) -> None:
    org = await make_org(db, peppers, crm=PlanChoice("free"))
    async with db.transaction() as session:
        await set_plan(session, org.org_id, "crm", PlanChoice("free"), webhooks_override=2)
    await create_webhook(client, org.crm_key)
    await create_webhook(client, org.crm_key)
    refused = await client.post(
        "/api/webhooks", json={"url": RECEIVER}, headers=bearer(org.crm_key)
    )
    assert refused.status_code == 403
    assert "allows 2 webhook endpoints" in refused.json()["error"]
    limits = (await client.get("/api/keys", headers=bearer(org.crm_key))).json()["limits"]
    assert (limits["webhook_endpoints"], limits["webhook_endpoints_used"]) == (2, 2)


async def test_enterprise_limits_are_listed(client: Client, org: OrgSetup) -> None:
    await create_webhook(client, org.crm_key)
    for path in ("/api/webhooks", "/api/keys"):
        limits = (await client.get(path, headers=bearer(org.crm_key))).json()["limits"]
        assert limits["plan"] == "enterprise"
        assert limits["webhook_endpoints"] == 25
        assert limits["webhook_endpoints_used"] == 1


# --- who may call -----------------------------------------------------------------------------


def every_route(webhook_id: str, delivery_id: str) -> list[tuple[str, str, dict[str, Any] | None]]:
    path = f"/api/webhooks/{webhook_id}"
    return [
        ("GET", "/api/webhooks", None),
        ("POST", "/api/webhooks", {"url": RECEIVER}),
        ("GET", path, None),
        ("PATCH", path, {"description": "changed"}),
        ("DELETE", path, None),
        ("POST", f"{path}/ping", None),
        ("GET", f"{path}/deliveries", None),
        ("POST", f"{path}/deliveries/{delivery_id}/redeliver", None),
        ("POST", f"{path}/recover", {"since": "2020-01-01T00:00:00+00:00"}),
        ("POST", f"{path}/rotate-secret", None),
    ]


async def test_every_route_needs_the_admin_role(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    created = await create_webhook(client, org.crm_key, description="untouched")
    ping = await client.post(f"/api/webhooks/{created['id']}/ping", headers=bearer(org.crm_key))
    routes = every_route(created["id"], ping.json()["id"])
    assert len(routes) == 10
    for role in ("Manager", "Standard", "Read-only"):
        _, key = await make_member_key(db, peppers, org.org_id, role)
        for method, path, body in routes:
            response = await client.request(method, path, json=body, headers=bearer(key))
            assert response.status_code == 403, (role, method, path, response.text)
            assert response.json()["code"] == "FORBIDDEN"
    after = (await client.get(f"/api/webhooks/{created['id']}", headers=bearer(org.crm_key))).json()
    assert after == {k: v for k, v in created.items() if k != "secret"}
    assert await webhook_count(client, org.crm_key) == 1


async def test_another_organizations_webhook_is_not_found(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    theirs = await make_org(db, peppers)
    created = await create_webhook(client, theirs.crm_key, description="theirs")
    ping = await client.post(f"/api/webhooks/{created['id']}/ping", headers=bearer(theirs.crm_key))
    for method, path, body in every_route(created["id"], ping.json()["id"])[2:]:
        response = await client.request(method, path, json=body, headers=bearer(org.crm_key))
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["code"] == "NOT_FOUND"
    assert await webhook_count(client, org.crm_key) == 0
    after = await client.get(f"/api/webhooks/{created['id']}", headers=bearer(theirs.crm_key))
    assert after.json() == {k: v for k, v in created.items() if k != "secret"}
    history = await client.get(
        f"/api/webhooks/{created['id']}/deliveries", headers=bearer(theirs.crm_key)
    )
    assert [d["status"] for d in history.json()["deliveries"]] == ["pending"]


async def test_an_unknown_delivery_is_not_found(client: Client, org: OrgSetup) -> None:
    created = await create_webhook(client, org.crm_key)
    response = await client.post(
        f"/api/webhooks/{created['id']}/deliveries/dlv_nope/redeliver",
        headers=bearer(org.crm_key),
    )
    assert response.status_code == 404


# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": RECEIVER, "modules": ["leads", "widgets"]}, "modules"),
        ({"url": RECEIVER, "modules": "widgets"}, "modules"),
        ({"url": RECEIVER, "modules": []}, "modules"),
        ({"url": RECEIVER, "events": ["created"]}, "events"),
        ({"url": RECEIVER, "events": ["ping"]}, "events"),
        ({"url": RECEIVER, "events": []}, "events"),
        ({"url": "not a url"}, "url"),
        ({"url": "ftp://example.com/hooks"}, "url"),
        ({"url": ""}, "url"),
        ({"modules": ["leads"]}, "url"),
        ({"url": RECEIVER, "description": "x" * 501}, "description"),
        ({"url": RECEIVER, "modules": [7]}, "modules[0]"),
    ],
    ids=lambda value: value.replace("[", "_").replace("]", "") if isinstance(value, str) else None,
)
async def test_invalid_creation_names_the_field_and_creates_nothing(
    client: Client, org: OrgSetup, body: dict[str, Any], field: str
) -> None:
    response = await client.post("/api/webhooks", json=body, headers=bearer(org.crm_key))
    assert_invalid_field(response, field)
    assert await webhook_count(client, org.crm_key) == 0


async def test_invalid_patch_names_the_field_and_changes_nothing(
    client: Client, org: OrgSetup
) -> None:
    created = await create_webhook(client, org.crm_key, modules=["leads"])
    path = f"/api/webhooks/{created['id']}"
    for body, field in [
        ({"modules": ["widgets"], "description": "changed"}, "modules"),
        ({"events": [], "description": "changed"}, "events"),
        ({"url": "gopher://example.com/", "description": "changed"}, "url"),
    ]:
        response = await client.patch(path, json=body, headers=bearer(org.crm_key))
        assert_invalid_field(response, field)
    after = (await client.get(path, headers=bearer(org.crm_key))).json()
    assert after == {k: v for k, v in created.items() if k != "secret"}


def problems_of(response: Any) -> dict[str, str]:
    """Each bad field named in a 400 VALIDATION_ERROR, with its reason."""
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "VALIDATION_ERROR"
    assert body["request_id"]
    named = {detail["field"]: detail["message"] for detail in body["details"]}
    assert len(named) == len(body["details"]), "each field once"
    return named


async def test_creation_names_every_bad_value_at_once(client: Client, org: OrgSetup) -> None:
    body = {"url": "ftp://example.com/", "modules": ["leads", "widgets", "gadgets"], "events": []}
    response = await client.post("/api/webhooks", json=body, headers=bearer(org.crm_key))
    named = problems_of(response)
    assert set(named) == {"url", "modules", "events"}
    assert "'widgets', 'gadgets'" in named["modules"], "every unknown name"
    assert await webhook_count(client, org.crm_key) == 0


async def test_creation_names_every_ill_formed_field_at_once(client: Client, org: OrgSetup) -> None:
    body = {
        "url": "",
        "modules": [7, "leads", None],
        "events": 5,
        "description": "x" * 501,
        "secret": "whsec_mine",
    }
    response = await client.post("/api/webhooks", json=body, headers=bearer(org.crm_key))
    named = problems_of(response)
    assert set(named) == {"url", "modules[0]", "modules[2]", "events", "description", "secret"}
    assert named["secret"] == "is not a known field"
    assert "500" in named["description"]
    missing = await client.post(
        "/api/webhooks", json={"description": 1, "colour": "red"}, headers=bearer(org.crm_key)
    )
    assert problems_of(missing) == {
        "url": "is required",
        "description": missing.json()["details"][-1]["message"],
        "colour": "is not a known field",
    }
    assert await webhook_count(client, org.crm_key) == 0


async def test_patch_names_every_bad_field_and_changes_nothing(
    client: Client, org: OrgSetup
) -> None:
    created = await create_webhook(client, org.crm_key, modules=["leads"])
    path = f"/api/webhooks/{created['id']}"
    values = {"url": "gopher://example.com/", "modules": ["widgets"], "events": ["created"]}
    response = await client.patch(
        path, json={**values, "description": "changed"}, headers=bearer(org.crm_key)
    )
    assert set(problems_of(response)) == {"url", "modules", "events"}
    shapes = {"modules": "leads", "events": [1], "enabled": "yes", "id": "wh_other"}
    response = await client.patch(path, json=shapes, headers=bearer(org.crm_key))
    assert set(problems_of(response)) == {"events[0]", "enabled", "id"}
    after = (await client.get(path, headers=bearer(org.crm_key))).json()
    assert after == {k: v for k, v in created.items() if k != "secret"}


# --- the SSRF checklist through the API -------------------------------------------------------


@pytest.fixture
async def public_only_client(settings: Settings) -> AsyncIterator[Client]:
    app = create_app(dataclasses.replace(settings, allow_private_targets=False))
    async with AsyncTestClient(app) as test_client:
        yield test_client


UNSAFE_URLS = [
    "http://2130706433/",  # 127.0.0.1 as one decimal number
    "http://0177.0.0.1/",  # octal
    "http://0x7f.1/",  # hex, short form
    "http://127.1/",
    "http://[::ffff:127.0.0.1]/",  # IPv4-mapped IPv6
    "http://[64:ff9b::7f00:1]/",  # NAT64 of 127.0.0.1
    "http://[2002:a00:1::1]/",  # 6to4 of 10.0.0.1
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata
    "http://[fd00:ec2::254]/",  # AWS metadata over IPv6
    "http://localhost/",  # a hostname resolving to loopback
    "http://127.0.0.1/",
    "http://[::1]/",
    "http://0.0.0.0/",
    "http://10.0.0.1/",
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://192.0.0.1/",
    "http://198.18.0.1/",
    "http://240.0.0.1/",
    "http://224.0.0.1/",
    "http://255.255.255.255/",
    "http://192.0.2.1/",  # documentation
    "http://[fc00::1]/",
    "http://[fe80::1]/",
    "http://user:pass@8.8.8.8/",  # userinfo
    "http://8.8.8.8:8080/",  # a port other than 80/443
    "file:///etc/passwd",
    "javascript:alert(1)",
]


@pytest.mark.parametrize("url", UNSAFE_URLS, ids=[f"url{n}" for n in range(len(UNSAFE_URLS))])
async def test_creation_refuses_every_unsafe_address_class(
    public_only_client: Client, org: OrgSetup, url: str
) -> None:
    response = await public_only_client.post(
        "/api/webhooks", json={"url": url}, headers=bearer(org.crm_key)
    )
    assert_invalid_field(response, "url")
    assert response.json()["details"][0]["message"]
    assert await webhook_count(public_only_client, org.crm_key) == 0


async def test_patch_refuses_an_unsafe_url(public_only_client: Client, org: OrgSetup) -> None:
    created = await public_only_client.post(
        "/api/webhooks", json={"url": "https://8.8.8.8/hooks"}, headers=bearer(org.crm_key)
    )
    assert created.status_code == 201, created.text
    path = f"/api/webhooks/{created.json()['id']}"
    refused = await public_only_client.patch(
        path, json={"url": "http://[::ffff:169.254.169.254]/"}, headers=bearer(org.crm_key)
    )
    assert_invalid_field(refused, "url")
    after = (await public_only_client.get(path, headers=bearer(org.crm_key))).json()
    assert after["url"] == "https://8.8.8.8/hooks"


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("http://127.0.0.1:18131/hooks", True),  # a receiver for local testing
        ("http://localhost/hooks", True),
        ("http://192.168.1.20/hooks", True),
        ("https://8.8.8.8:8443/hooks", True),  # the port alone
        ("http://169.254.169.254/", False),  # metadata: refused whatever the setting
        ("gopher://example.com/", False),
    ],
)
async def test_a_refusal_names_the_setting_that_admits_the_target(
    public_only_client: Client, org: OrgSetup, url: str, named: bool
) -> None:
    """Local testing needs loopback receivers: the error says how to allow them, and only when
    that setting would."""
    response = await public_only_client.post(
        "/api/webhooks", json={"url": url}, headers=bearer(org.crm_key)
    )
    assert_invalid_field(response, "url")
    message = response.json()["details"][0]["message"]
    assert ("FINITE_ALLOW_PRIVATE_TARGETS=1" in message) is named, message

    created = await public_only_client.post(
        "/api/webhooks", json={"url": "https://8.8.8.8/hooks"}, headers=bearer(org.crm_key)
    )
    assert created.status_code == 201, created.text
    path = f"/api/webhooks/{created.json()['id']}"
    refused = await public_only_client.patch(path, json={"url": url}, headers=bearer(org.crm_key))
    assert_invalid_field(refused, "url")
    message = refused.json()["details"][0]["message"]
    assert ("FINITE_ALLOW_PRIVATE_TARGETS=1" in message) is named, message


# --- the secret is never kept or shown in plain text ------------------------------------------


async def test_the_secret_is_sealed_at_rest_and_never_shown_again(
    client: Client, db: Database, settings: Settings, org: OrgSetup
) -> None:
    created = await create_webhook(client, org.crm_key)
    webhook_id, first_secret = created["id"], created["secret"]
    rotated = await client.post(
        f"/api/webhooks/{webhook_id}/rotate-secret", headers=bearer(org.crm_key)
    )
    assert rotated.status_code == 200, rotated.text
    second_secret = rotated.json()["secret"]
    assert second_secret.startswith("whsec_")
    assert second_secret != first_secret
    assert rotated.json()["previous_secret_expires_at"] is not None

    for secret in (first_secret, second_secret):
        for method, path in [
            ("GET", "/api/webhooks"),
            ("GET", f"/api/webhooks/{webhook_id}"),
            ("GET", f"/api/webhooks/{webhook_id}/deliveries"),
            ("PATCH", f"/api/webhooks/{webhook_id}"),
        ]:
            body = {"description": "still secret"} if method == "PATCH" else None
            response = await client.request(method, path, json=body, headers=bearer(org.crm_key))
            assert response.status_code == 200
            assert secret not in response.text
            assert secret.removeprefix("whsec_") not in response.text

    async with db.read() as session:
        row = (
            (
                await session.execute(
                    text("SELECT * FROM webhook_endpoints WHERE org_id = :org AND id = :id"),
                    {"org": org.org_id, "id": webhook_id},
                )
            )
            .mappings()
            .one()
        )
    box = SecretBox.from_secrets(settings.secret_key)
    sealed = bytes(row["secret_sealed"])
    previous = bytes(row["previous_secret_sealed"])
    everything = repr(dict(row)).encode() + sealed + previous
    for secret in (first_secret, second_secret):
        assert secret.encode() not in everything
        assert secret.removeprefix("whsec_").encode() not in everything
    assert box.open(sealed, binding(org.org_id, webhook_id, "secret")) == second_secret
    assert box.open(previous, binding(org.org_id, webhook_id, "previous_secret")) == first_secret

    client.blocking_portal.call(client.app.state.platform.audit.flush)
    async with db.read() as session:
        audit_rows = (
            await session.execute(
                text("SELECT * FROM audit_log WHERE org_id = :org"), {"org": org.org_id}
            )
        ).all()
    assert len(audit_rows) >= 6
    assert any("/rotate-secret" in repr(audit_row) for audit_row in audit_rows)
    for audit_row in audit_rows:
        for secret in (first_secret, second_secret):
            assert secret not in repr(audit_row)
            assert secret.removeprefix("whsec_") not in repr(audit_row)
