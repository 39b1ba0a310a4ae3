"""GET /api/me, /api/v1/auth and /api/v1/me: the identity and plan behind a key."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.testing import AsyncTestClient

from finite.core.accounts.service import PlanChoice, set_plan
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from tests.factories import OrgSetup, bearer, make_member_key, make_org

Client = AsyncTestClient[Litestar]
ISO_MILLIS_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


async def test_crm_me_names_organization_member_role_key_and_plan(
    client: Client, org: OrgSetup
) -> None:
    response = await client.get("/api/me", headers=bearer(org.crm_key))
    assert response.status_code == 200
    body = response.json()
    assert body["organization"]["id"] == org.org_id
    assert body["organization"]["name"].startswith("Test Org")
    assert body["member"] == {"id": org.owner_id, "name": "Olivia Owner", "email": org.owner_email}
    assert body["role"]["name"] == "Admin"
    assert body["role"]["is_admin"] is True
    assert body["role"]["permissions"]["leads"] == ["view", "create", "edit", "delete", "export"]
    assert len(body["role"]["permissions"]) == 21
    assert body["key"] == {"id": org.crm_key_id, "name": "crm test"}
    assert body["plan"]["name"] == "enterprise"
    assert body["plan"]["requests_per_minute"] == 480
    assert response.headers["X-Request-ID"].startswith("req_")


async def test_crm_key_acts_with_the_members_current_role(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    member_id, key = await make_member_key(db, peppers, org.org_id, "Read-only")
    body = (await client.get("/api/me", headers=bearer(key))).json()
    assert body["role"]["name"] == "Read-only"
    assert body["role"]["permissions"]["deals"] == ["view"]

    from sqlalchemy import update

    from finite.core.accounts.service import find_role
    from finite.models import Member

    async with db.transaction() as session:
        manager = await find_role(session, org.org_id, "Manager")
        await session.execute(
            update(Member)
            .where(Member.org_id == org.org_id, Member.id == member_id)
            .values(role_id=manager.id)
        )
    body = (await client.get("/api/me", headers=bearer(key))).json()
    assert body["role"]["name"] == "Manager"


async def test_handover_auth_answers_inside_the_envelope(client: Client, org: OrgSetup) -> None:
    response = await client.get("/api/v1/auth", headers=bearer(org.handover_key))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"data", "meta", "error"}
    assert body["error"] is None
    assert body["meta"]["request_id"] == response.headers["X-Request-ID"]
    assert ISO_MILLIS_Z.match(body["meta"]["timestamp"])
    data = body["data"]
    assert data["authenticated"] is True
    assert data["organization"]["id"] == org.org_id
    assert data["key"] == {
        "id": org.handover_key_id,
        "name": "handover test",
        "scopes": ["admin", "read", "write"],
    }
    assert data["plan"]["name"] == "agency"
    assert data["plan"]["apiAccess"] == "full"


async def test_handover_me_has_scopes_plan_and_limits(
    client: Client, db: Database, peppers: Peppers
) -> None:
    org = await make_org(db, peppers, handover_scopes=("read",))
    response = await client.get("/api/v1/me", headers=bearer(org.handover_key))
    data = response.json()["data"]
    assert data["scopes"] == ["read"]
    assert data["plan"]["name"] == "agency"
    assert data["limits"]["requestsPerMinute"] == 600
    assert data["limits"]["remaining"] == 599
    assert data["limits"]["webhookEndpoints"] == 25


async def test_a_suspended_subscription_is_refused_with_a_clear_code(
    client: Client, db: Database, org: OrgSetup
) -> None:
    async with db.transaction() as session:
        await set_plan(session, org.org_id, "crm", PlanChoice("professional", "suspended"))
    response = await client.get("/api/me", headers=bearer(org.crm_key))
    assert response.status_code == 403
    assert response.json()["code"] == "SUBSCRIPTION_SUSPENDED"
    # The other product's subscription is independent.
    response = await client.get("/api/v1/auth", headers=bearer(org.handover_key))
    assert response.status_code == 200


async def test_a_plan_change_applies_on_the_next_request(
    client: Client, db: Database, org: OrgSetup
) -> None:
    first = (await client.get("/api/me", headers=bearer(org.crm_key))).json()
    assert first["plan"]["requests_per_minute"] == 480
    async with db.transaction() as session:
        await set_plan(session, org.org_id, "crm", PlanChoice("ultimate"))
    response = await client.get("/api/me", headers=bearer(org.crm_key))
    assert response.json()["plan"]["requests_per_minute"] == 960
    assert response.headers["X-RateLimit-Limit"] == "960"
