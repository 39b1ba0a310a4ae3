"""PostgreSQL's stored record JSON (crm/records/postgres_json.py): a list answered from the JSON
the trigger keeps is byte for byte the list built record by record in Python, for every module
that has it, every field type, custom fields and the query shapes; the stored text is what a
list reads; a page with a missing one is built in Python, a stale one (its trigger disabled)
is not read, and a migration rewrites one out of date with the code.

The Python-built list is forced by making the stored JSON look out of date."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text

from finite.config import Settings
from finite.crm.export.postgres_lines import postgres_line
from finite.crm.modules.definitions import MODULES
from finite.crm.records import postgres_json, service
from finite.crm.records.postgres_json import postgres_record_json
from finite.kit.db import Database
from finite.platform.migrations import migrate_to_head
from tests.crm.factories import add_field, create, minimal_body, never, sample_value
from tests.factories import OrgSetup, bearer
from tests.triggers import disabled_trigger

Client = AsyncTestClient[Litestar]

TRICKY_TEXT = 'Zoë "Z" Å, 東京 🚀 back\\slash\x0bvt\x08bs\x0cff\x01\x7f\u2028 </tag>\ttab\nnew'
CUSTOM_FIELDS: list[dict[str, Any]] = [
    {"key": "cf_tier", "label": "Tier", "type": "text"},
    {"key": "cf_score", "label": "Score", "type": "decimal"},
    {"key": "cf_fee", "label": "Fee", "type": "money"},
    {"key": "cf_seats", "label": "Seats", "type": "integer"},
    {"key": "cf_due", "label": "Due", "type": "date"},
    {"key": "cf_met", "label": "Met", "type": "datetime"},
    {"key": "cf_vip", "label": "VIP", "type": "boolean"},
    {"key": "cf_tags", "label": "Tags", "type": "multi_picklist", "options": ["a", "b,c"]},
]
STORED_MODULES = [name for name in MODULES if postgres_record_json(name) is not None]


@pytest.fixture(autouse=True)
def postgres_only(db: Database) -> None:
    if db.is_sqlite:
        pytest.skip("SQLite lists build every record in Python")


async def get(client: Client, key: str, path: str, params: dict[str, Any] | None = None) -> bytes:
    response = await client.get(path, params=params, headers=bearer(key))
    assert response.status_code == 200, response.text
    return response.content


async def stored_and_built(
    client: Client,
    monkeypatch: pytest.MonkeyPatch,
    key: str,
    path: str,
    params: dict[str, Any] | None = None,
) -> bytes:
    """The answer from the stored JSON, checked equal to the one built in Python."""
    stored = await get(client, key, path, params)
    with monkeypatch.context() as patched:
        patched.setattr(service, "json_is_current", never)
        built = await get(client, key, path, params)
    assert stored == built
    return stored


async def full_body(client: Client, key: str, module: str, variant: int) -> dict[str, Any]:
    """Every field a caller may set but lookups, the text ones tricky in odd variants."""
    body = await minimal_body(client, key, module, variant)
    response = await client.get(f"/api/modules/{module}", headers=bearer(key))
    for field in response.json()["fields"]:
        if field["read_only"] or field["type"] == "lookup" or field["key"] in body:
            continue
        value = sample_value(field, variant)
        if variant % 2 and field["type"] in ("text", "long_text"):
            value = TRICKY_TEXT[: field.get("max_length") or None]
        body[field["key"]] = value
    return body


async def set_json(
    db: Database, table: str, org_id: str, record_id: int, value: str | None
) -> None:
    async with db.transaction() as session:
        await session.execute(
            text(f"UPDATE {table} SET record_json = :value WHERE org_id = :org AND id = :id"),
            {"value": value, "org": org_id, "id": record_id},
        )


async def test_every_module_lists_the_same_from_stored_json(
    client: Client, monkeypatch: pytest.MonkeyPatch, org: OrgSetup
) -> None:
    assert len(STORED_MODULES) == 17  # all but the four with line items
    for module in STORED_MODULES:
        for variant in (1, 2, 3):
            await create(
                client, org.crm_key, module, await full_body(client, org.crm_key, module, variant)
            )
        listed = await stored_and_built(client, monkeypatch, org.crm_key, f"/api/records/{module}")
        assert listed.count(b'"id":') >= 3, module


async def test_list_shapes_from_stored_json(
    client: Client, monkeypatch: pytest.MonkeyPatch, org: OrgSetup
) -> None:
    key = org.crm_key
    for variant, status in enumerate(["New", "Contacted", "New", "New", "Qualified"], start=1):
        body = await full_body(client, key, "leads", variant)
        await create(client, key, "leads", {**body, "status": status, "value": f"{variant}.50"})
    lead = await create(client, key, "leads", {"name": "Acme buyer", "company": "Acme"})
    response = await client.put(
        f"/api/records/leads/{lead['id']}",
        json={"name": "Acme renamed", "annual_revenue": "0.10"},
        headers=bearer(key),
    )
    assert response.status_code == 200, response.text
    path = "/api/records/leads"
    for query in (
        {"status": "New", "sort": "-updated_at"},
        {"sort": "-value", "per_page": 2},
        {"sort": "created_at", "per_page": 1, "page": 3},
        {"sort": "name", "value[gte]": "2"},
        {"q": "acme"},
        {"fields": "name,value", "sort": "-id"},
    ):
        await stored_and_built(client, monkeypatch, key, path, query)
    # A cursor walk: every page, and each next cursor, the same both ways.
    params: dict[str, Any] = {"sort": "-value", "per_page": 2}
    seen: list[int] = []
    while True:
        page = (await client.get(path, params=params, headers=bearer(key))).json()
        await stored_and_built(client, monkeypatch, key, path, params)
        seen += [record["id"] for record in page["data"]]
        if not page["has_more"]:
            break
        params["cursor"] = page["next_cursor"]
    assert len(seen) == len(set(seen)) == 6
    assert b"Acme renamed" in await stored_and_built(client, monkeypatch, key, path, {"q": "acme"})


async def test_custom_fields_are_added_to_the_stored_json(
    client: Client, monkeypatch: pytest.MonkeyPatch, org: OrgSetup
) -> None:
    key = org.crm_key
    for field in CUSTOM_FIELDS:
        await add_field(client, key, "leads", field)
    await create(client, key, "leads", {"name": "Bare"})
    await create(
        client,
        key,
        "leads",
        {
            "name": "Full",
            "cf_tier": TRICKY_TEXT[:100],
            "cf_score": "2.5",
            "cf_fee": "10",
            "cf_seats": 7,
            "cf_due": "2026-02-03",
            "cf_met": "2026-02-03T04:05:06.120000+00:00",
            "cf_vip": True,
            "cf_tags": ["b,c", "a"],
        },
    )
    await create(
        client, key, "leads", {"name": "Some", "cf_score": "-1", "cf_met": "2026-02-03T04:05:06Z"}
    )
    path = "/api/records/leads"
    for params in (
        None,
        {"sort": "-cf_score"},
        {"sort": "cf_met", "per_page": 1},
        {"cf_vip": "true"},
    ):
        listed = await stored_and_built(client, monkeypatch, key, path, params)
    listed = await stored_and_built(client, monkeypatch, key, path)
    assert b'"cf_score":2.5000' in listed
    assert b'"cf_tags":["b,c","a"]' in listed
    page = (
        await client.get(path, params={"sort": "cf_met", "per_page": 1}, headers=bearer(key))
    ).json()
    cursor = {"sort": "cf_met", "per_page": 1, "cursor": page["next_cursor"]}
    await stored_and_built(client, monkeypatch, key, path, cursor)


async def test_a_list_reads_the_stored_json(client: Client, db: Database, org: OrgSetup) -> None:
    lead = await create(client, org.crm_key, "leads", {"name": "Asha"})
    await set_json(db, "crm_leads", org.org_id, lead["id"], f'{{"id":{lead["id"]},"marker":1}}')
    listed = (await client.get("/api/records/leads", headers=bearer(org.crm_key))).json()
    assert listed["data"] == [{"id": lead["id"], "marker": 1}]
    # One record by id is still built in Python.
    one = await client.get(f"/api/records/leads/{lead['id']}", headers=bearer(org.crm_key))
    assert one.json()["name"] == "Asha"


async def test_a_page_with_a_missing_json_is_built_in_python(
    client: Client, db: Database, monkeypatch: pytest.MonkeyPatch, org: OrgSetup
) -> None:
    lead = await create(
        client, org.crm_key, "leads", await full_body(client, org.crm_key, "leads", 1)
    )
    await set_json(db, "crm_leads", org.org_id, lead["id"], None)
    listed = await stored_and_built(client, monkeypatch, org.crm_key, "/api/records/leads")
    assert f'"id":{lead["id"]},'.encode() in listed


async def test_a_disabled_trigger_means_lists_built_in_python(
    client: Client, db: Database, org: OrgSetup
) -> None:
    lead = await create(client, org.crm_key, "leads", {"name": "Asha"})
    trigger = postgres_record_json("leads").trigger  # type: ignore[union-attr]
    async with disabled_trigger(db, "crm_leads", trigger):
        response = await client.put(
            f"/api/records/leads/{lead['id']}", json={"name": "Bea"}, headers=bearer(org.crm_key)
        )
        assert response.status_code == 200, response.text
        postgres_json.forget_looks()
        listed = (await client.get("/api/records/leads", headers=bearer(org.crm_key))).json()
        assert [record["name"] for record in listed["data"]] == ["Bea"]
    postgres_json.forget_looks()
    listed = (await client.get("/api/records/leads", headers=bearer(org.crm_key))).json()
    assert [record["name"] for record in listed["data"]] == ["Asha"]  # stale, read again


async def test_a_migration_rewrites_json_out_of_date_and_only_that(
    client: Client,
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
    settings: Settings,
    org: OrgSetup,
) -> None:
    lead = await create(
        client, org.crm_key, "leads", await full_body(client, org.crm_key, "leads", 1)
    )
    expected = await stored_and_built(client, monkeypatch, org.crm_key, "/api/records/leads")
    trigger = postgres_record_json("leads").trigger  # type: ignore[union-attr]
    async with db.transaction() as session:
        await session.execute(text(f"DROP TRIGGER {trigger} ON crm_leads"))
        await session.execute(
            text(
                "UPDATE crm_leads SET record_json = '{}', export_line = 'kept' "
                "WHERE org_id = :org AND id = :id"
            ),
            {"org": org.org_id, "id": lead["id"]},
        )
    await asyncio.to_thread(migrate_to_head, settings.database_url)
    async with db.read() as session:
        triggers = set((await session.execute(text("SELECT tgname FROM pg_trigger"))).scalars())
        line = (
            await session.execute(
                text("SELECT export_line FROM crm_leads WHERE org_id = :org AND id = :id"),
                {"org": org.org_id, "id": lead["id"]},
            )
        ).scalar_one()
    assert trigger in triggers
    assert postgres_line("leads").trigger in triggers  # type: ignore[union-attr]
    assert line == "kept"  # the line's trigger did not change: its lines were not rewritten
    postgres_json.forget_looks()
    assert await get(client, org.crm_key, "/api/records/leads") == expected


async def test_the_json_does_not_depend_on_the_session_writing_it(
    client: Client, db: Database, monkeypatch: pytest.MonkeyPatch, org: OrgSetup
) -> None:
    """Date-times are written in UTC whatever the writing session's time zone and DateStyle."""
    lead = await create(client, org.crm_key, "leads", {"name": "Asha"})
    async with db.transaction() as session:
        await session.execute(text("SET LOCAL DateStyle TO 'German, DMY'"))
        await session.execute(text("SET LOCAL TimeZone TO 'Asia/Kolkata'"))
        await session.execute(
            text(
                "UPDATE crm_leads SET city = 'Pune', updated_at = '2026-03-04 05:06:07.5+05:30' "
                "WHERE org_id = :org AND id = :id"
            ),
            {"org": org.org_id, "id": lead["id"]},
        )
    listed = await stored_and_built(client, monkeypatch, org.crm_key, "/api/records/leads")
    assert b'"updated_at":"2026-03-03T23:36:07.500000Z"' in listed
