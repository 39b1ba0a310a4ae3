"""Key management over both APIs: shown once, listed without secrets, revoked at once."""

from __future__ import annotations

import re
from datetime import timedelta

from litestar import Litestar
from litestar.testing import AsyncTestClient

from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from tests.factories import OrgSetup, bearer, make_member_key, make_org

Client = AsyncTestClient[Litestar]
CRM_KEY = re.compile(r"^fsk_[0-9A-Za-z]{49}$")
HANDOVER_KEY = re.compile(r"^fz_live_[0-9A-Za-z]{49}$")


async def test_admin_creates_a_crm_key_shown_once(client: Client, org: OrgSetup) -> None:
    response = await client.post(
        "/api/keys", json={"name": "Zapier sync"}, headers=bearer(org.crm_key)
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert CRM_KEY.match(created["key"])
    assert created["hint"] == f"fsk_…{created['key'][-4:]}"
    assert created["member"]["id"] == org.owner_id
    assert created["status"] == "active"
    new_key = created["key"]

    me = (await client.get("/api/me", headers=bearer(new_key))).json()
    assert me["key"]["name"] == "Zapier sync"

    listing = await client.get("/api/keys", headers=bearer(org.crm_key))
    assert listing.status_code == 200
    body = listing.json()
    assert new_key not in listing.text
    assert "key" not in body["keys"][0]
    assert {item["name"] for item in body["keys"]} == {"Zapier sync", "crm test"}
    limits = body["limits"]
    assert limits["plan"] == "enterprise"
    assert limits["requests_per_minute"] == 480
    assert limits["webhook_endpoints"] == 25
    assert 0 <= limits["remaining"] < 480


async def test_admin_creates_a_key_for_another_member_acting_with_their_role(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    await make_member_key(db, peppers, org.org_id, "Standard", email="sam@example.com")
    response = await client.post(
        "/api/keys",
        json={"name": "Sam's script", "member": "SAM@example.com"},
        headers=bearer(org.crm_key),
    )
    assert response.status_code == 201
    me = (await client.get("/api/me", headers=bearer(response.json()["key"]))).json()
    assert me["member"]["email"] == "sam@example.com"
    assert me["role"]["name"] == "Standard"


async def test_non_admins_cannot_create_keys_and_see_only_their_own(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    member_id, key = await make_member_key(db, peppers, org.org_id, "Manager")
    response = await client.post("/api/keys", json={"name": "nope"}, headers=bearer(key))
    assert response.status_code == 403
    assert response.json()["code"] == "FORBIDDEN"
    listing = (await client.get("/api/keys", headers=bearer(key))).json()
    assert [item["member"]["id"] for item in listing["keys"]] == [member_id]
    # Revoking the owner's key is not theirs to do, and changes nothing.
    refused = await client.delete(f"/api/keys/{org.crm_key_id}", headers=bearer(key))
    assert refused.status_code == 403
    assert (await client.get("/api/me", headers=bearer(org.crm_key))).status_code == 200


async def test_revocation_is_effective_on_the_very_next_request(
    client: Client, org: OrgSetup
) -> None:
    created = (
        await client.post("/api/keys", json={"name": "short-lived"}, headers=bearer(org.crm_key))
    ).json()
    assert (await client.get("/api/me", headers=bearer(created["key"]))).status_code == 200
    response = await client.delete(f"/api/keys/{created['id']}", headers=bearer(org.crm_key))
    assert response.status_code == 204
    assert (await client.get("/api/me", headers=bearer(created["key"]))).status_code == 401
    listing = (await client.get("/api/keys", headers=bearer(org.crm_key))).json()
    revoked = next(item for item in listing["keys"] if item["id"] == created["id"])
    assert revoked["status"] == "revoked"
    assert revoked["revoked_at"] is not None


async def test_a_member_may_revoke_their_own_key(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    await make_member_key(db, peppers, org.org_id, "Read-only")
    _, key = await make_member_key(db, peppers, org.org_id, "Read-only")
    own_id = (await client.get("/api/me", headers=bearer(key))).json()["key"]["id"]
    assert (await client.delete(f"/api/keys/{own_id}", headers=bearer(key))).status_code == 204
    assert (await client.get("/api/me", headers=bearer(key))).status_code == 401


async def test_key_creation_validates_its_input(client: Client, org: OrgSetup) -> None:
    past = (utcnow() - timedelta(days=1)).isoformat()
    cases = [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "ok", "expires_at": past}, "expires_at"),
        ({"name": "ok", "expires_at": "tomorrow"}, "expires_at"),
        ({"name": "ok", "scopes": ["read"]}, "scopes"),
    ]
    for body, field in cases:
        response = await client.post("/api/keys", json=body, headers=bearer(org.crm_key))
        assert response.status_code == 400, (body, response.text)
        error = response.json()
        assert error["code"] == "VALIDATION_ERROR"
        assert field in {detail["field"] for detail in error["details"]}, (body, error)
    response = await client.post(
        "/api/keys", json={"name": "x", "member": "ghost@example.com"}, headers=bearer(org.crm_key)
    )
    assert response.status_code == 404
    listing = (await client.get("/api/keys", headers=bearer(org.crm_key))).json()
    assert [item["name"] for item in listing["keys"]] == ["crm test"]


async def test_another_orgs_key_id_is_not_found(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    other = await make_org(db, peppers)
    response = await client.delete(f"/api/keys/{other.crm_key_id}", headers=bearer(org.crm_key))
    assert response.status_code == 404
    assert (await client.get("/api/me", headers=bearer(other.crm_key))).status_code == 200
    response = await client.delete(
        f"/api/v1/keys/{other.handover_key_id}", headers=bearer(org.handover_key)
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


async def test_handover_admin_key_manages_keys_within_its_scopes(
    client: Client, org: OrgSetup
) -> None:
    response = await client.post(
        "/api/v1/keys",
        json={"name": "CRM sync", "scopes": ["read", "write"]},
        headers=bearer(org.handover_key),
    )
    assert response.status_code == 201
    created = response.json()["data"]
    assert HANDOVER_KEY.match(created["key"])
    assert created["scopes"] == ["read", "write"]
    assert created["hint"].startswith("fz_live_…")

    listing = await client.get("/api/v1/keys", headers=bearer(org.handover_key))
    assert created["key"] not in listing.text
    assert {item["name"] for item in listing.json()["data"]} == {"CRM sync", "handover test"}

    # The new key lacks admin: it can neither list nor mint keys.
    for response in (
        await client.get("/api/v1/keys", headers=bearer(created["key"])),
        await client.post("/api/v1/keys", json={"name": "x"}, headers=bearer(created["key"])),
    ):
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "FORBIDDEN"

    revoked = await client.delete(f"/api/v1/keys/{created['id']}", headers=bearer(org.handover_key))
    assert revoked.status_code == 200
    assert revoked.json()["data"]["id"] == created["id"]
    assert revoked.json()["data"]["revokedAt"] is not None
    assert (await client.get("/api/v1/auth", headers=bearer(created["key"]))).status_code == 401


async def test_a_key_cannot_mint_scopes_beyond_its_own(
    client: Client, db: Database, peppers: Peppers
) -> None:
    org = await make_org(db, peppers, handover_scopes=("admin", "read"))
    response = await client.post(
        "/api/v1/keys",
        json={"name": "escalate", "scopes": ["write"]},
        headers=bearer(org.handover_key),
    )
    assert response.status_code == 403
    default = await client.post(
        "/api/v1/keys", json={"name": "same"}, headers=bearer(org.handover_key)
    )
    assert default.status_code == 201
    assert default.json()["data"]["scopes"] == ["read", "admin"]
    bad = await client.post(
        "/api/v1/keys", json={"name": "x", "scopes": ["root"]}, headers=bearer(org.handover_key)
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["details"][0]["field"] == "scopes"
