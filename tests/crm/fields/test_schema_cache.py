"""Record schemas are cached per process by the organization's custom-fields version, which a
database trigger bumps on every change to crm_custom_fields. So a change is seen by the very next
request however it was written (API, SQL), and nothing read inside a transaction that rolled back
is ever served."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import delete, insert, select, update

from finite.crm.fields.service import load_schema
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.models import Organization
from finite.models.crm import CustomField
from tests.factories import OrgSetup, bearer, make_org

Client = AsyncTestClient[Litestar]


async def field_types(client: Client, key: str) -> dict[str, str]:
    """The custom fields GET /api/modules/leads describes, key → type."""
    response = await client.get("/api/modules/leads", headers=bearer(key))
    assert response.status_code == 200, response.text
    return {f["key"]: f["type"] for f in response.json()["fields"] if f["custom"]}


async def version_of(db: Database, org_id: str) -> int:
    async with db.read() as session:
        query = select(Organization.custom_fields_version).where(Organization.id == org_id)
        return int((await session.execute(query)).scalar_one())


def field_row(org_id: str, key: str, kind: str) -> dict[str, Any]:
    return {
        "org_id": org_id,
        "module": "leads",
        "key": key,
        "label": key,
        "type": kind,
        "required": False,
        "options": [],
        "created_at": datetime.now(UTC),
    }


async def test_fields_written_in_sql_are_seen_by_the_next_request(
    client: Client, db: Database, org: OrgSetup
) -> None:
    key = org.crm_key
    lead = await client.post("/api/records/leads", json={"name": "Asha"}, headers=bearer(key))
    assert await field_types(client, key) == {}  # this process now caches the empty schema
    start = await version_of(db, org.org_id)

    async with db.transaction() as session:
        await session.execute(insert(CustomField).values(field_row(org.org_id, "cf_size", "text")))
    assert await version_of(db, org.org_id) == start + 1
    assert await field_types(client, key) == {"cf_size": "text"}
    listed = await client.get("/api/records/leads", headers=bearer(key))
    assert listed.json()["data"][0]["cf_size"] is None
    edited = await client.put(
        f"/api/records/leads/{lead.json()['id']}", json={"cf_size": "XL"}, headers=bearer(key)
    )
    assert edited.status_code == 200, edited.text
    found = await client.get("/api/records/leads?cf_size=XL", headers=bearer(key))
    assert [r["id"] for r in found.json()["data"]] == [lead.json()["id"]]

    async with db.transaction() as session:
        await session.execute(
            update(CustomField).where(CustomField.key == "cf_size").values(type="integer")
        )
    assert await version_of(db, org.org_id) == start + 2
    assert await field_types(client, key) == {"cf_size": "integer"}

    async with db.transaction() as session:
        await session.execute(delete(CustomField).where(CustomField.org_id == org.org_id))
    assert await version_of(db, org.org_id) == start + 3
    assert await field_types(client, key) == {}
    rejected = await client.get("/api/records/leads?cf_size=XL", headers=bearer(key))
    assert rejected.status_code == 400


async def test_a_rolled_back_field_change_is_never_served(
    client: Client, db: Database, org: OrgSetup
) -> None:
    key = org.crm_key
    assert await field_types(client, key) == {}
    start = await version_of(db, org.org_id)

    class RolledBack(Exception):
        pass

    try:
        async with db.transaction() as session:
            await session.execute(insert(CustomField).values(field_row(org.org_id, "cf_x", "text")))
            # As the fields service reads a change back: it sees the uncommitted version.
            inside = await load_schema(session, org.org_id, "leads")
            assert [f.key for f in inside.custom] == ["cf_x"]
            raise RolledBack
    except RolledBack:
        pass
    assert await version_of(db, org.org_id) == start
    assert await field_types(client, key) == {}

    # The committed change that takes the same version number brings its own definition (made
    # in SQL, as another process would: nothing in this one refreshes the cache on the way).
    async with db.transaction() as session:
        await session.execute(insert(CustomField).values(field_row(org.org_id, "cf_x", "boolean")))
    assert await version_of(db, org.org_id) == start + 1
    assert await field_types(client, key) == {"cf_x": "boolean"}


async def test_each_organization_has_its_own_version(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    other = await make_org(db, peppers)
    before = await version_of(db, other.org_id)
    response = await client.post(
        "/api/modules/leads/fields",
        json={"key": "cf_mine", "label": "Mine", "type": "text"},
        headers=bearer(org.crm_key),
    )
    assert response.status_code == 201, response.text
    assert await version_of(db, other.org_id) == before
    assert await field_types(client, other.crm_key) == {}
    assert await field_types(client, org.crm_key) == {"cf_mine": "text"}
    # Deleting an organization takes its fields with it (the trigger on a cascade is harmless).
    async with db.transaction() as session:
        await session.execute(delete(Organization).where(Organization.id == org.org_id))
    async with db.read() as session:
        left = await session.execute(select(CustomField).where(CustomField.org_id == org.org_id))
        assert left.all() == []
