"""Stored CSV lines (crm/export/sqlite_lines.py and stored_rows.py on SQLite, postgres_lines.py
on PostgreSQL): an export made from the lines written by triggers with each record is byte for
byte the export computed cell by cell — every field or a few, custom fields, line items; the
lines follow every change; a line missing or out of date with the code is never read.

The computed export is forced by making the lines look out of date. On PostgreSQL an export
naming fields, or of a module with line items, is computed both ways, and the comparisons hold.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import pytest
from httpx import Response
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text

from finite.config import Settings
from finite.crm import derived_text_sync
from finite.crm.bulk import seed_records
from finite.crm.export import postgres_lines, records_csv
from finite.crm.export.postgres_lines import postgres_line
from finite.crm.export.sqlite_lines import stored_line
from finite.crm.export.stored_rows import worth_reading
from finite.crm.modules.definitions import MODULES
from finite.kit.db import Database
from finite.platform.migrations import migrate_to_head
from tests.crm.factories import create, never
from tests.factories import OrgSetup, bearer
from tests.triggers import disabled_trigger

Client = AsyncTestClient[Litestar]

TRICKY_LEADS: list[dict[str, Any]] = [
    {
        "name": 'Zoë "Z" Ångström, 東京 🚀',
        "company": "Comma, Inc.",
        "description": 'Line one, "quoted"\nline two\r\nline three; ¿sí?',
        "last_name": '""',
        "phone": "+44 20 7946 0958",
        "email": "=cmd@example.com",
        "city": "@home",
        "street": "-1 Minus Street",
        "state": "\tTabbed",
        "country": "\rReturned",
        "postal_code": "C:\\new\\t\\",
        "title": "back\\\\slash\x0bvt\x08bs\x0cff\x01",
        "value": "-0.05",
        "annual_revenue": "1234567.80",
        "employees": 12,
        "email_opt_out": True,
    },
    {"name": "Plain", "value": "0.5", "email_opt_out": False, "website": "https://a.example/x,y"},
    {"name": "Sparse", "title": "", "city": " "},
]


async def export(client: Client, key: str, module: str, fields: list[str] | None = None) -> bytes:
    params = {"fields": ",".join(fields)} if fields else {}
    response: Response = await client.get(
        f"/api/export/{module}.csv", params=params, headers=bearer(key)
    )
    assert response.status_code == 200, response.text
    return response.content


def every_field_but(module: str, *left_out: str) -> list[str]:
    """Enough of the line's cells that the export splits the stored line (stored_rows.py)."""
    fields = [key for key in stored_line(module).columns if key not in {"id", *left_out}]
    assert worth_reading(fields, stored_line(module))
    return fields


async def assert_stored_equals_computed(
    client: Client,
    monkeypatch: pytest.MonkeyPatch,
    key: str,
    module: str,
    fields: list[str] | None = None,
) -> bytes:
    stored = await export(client, key, module, fields)
    with monkeypatch.context() as patched:
        patched.setattr(records_csv, "lines_are_current", never)
        patched.setattr(postgres_lines, "lines_are_current", never)
        computed = await export(client, key, module, fields)
    assert stored == computed
    return stored


async def set_line(db: Database, org_id: str, record_id: int, line: str | None) -> None:
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE crm_leads SET export_line = :line WHERE org_id = :org AND id = :id"),
            {"line": line, "org": org_id, "id": record_id},
        )


def line_triggers(db: Database, module: str) -> set[str]:
    """The triggers that keep the module's lines on this backend."""
    if db.is_sqlite:
        line = stored_line(module)
        return {line.after_insert, line.after_update}
    found = postgres_line(module)
    return set() if found is None else {found.trigger}


async def trigger_names(db: Database) -> set[str]:
    query = (
        "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        if db.is_sqlite
        else "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    )
    async with db.read() as session:
        return set((await session.execute(text(query))).scalars())


def require_postgres(db: Database, why: str) -> None:
    if db.is_sqlite:
        pytest.skip(why)


async def stored_line_of(db: Database, org_id: str, record_id: int) -> str | None:
    async with db.read() as session:
        line: str | None = (
            await session.execute(
                text("SELECT export_line FROM crm_leads WHERE org_id = :org AND id = :id"),
                {"org": org_id, "id": record_id},
            )
        ).scalar_one()
    return line


async def test_stored_lines_are_the_computed_lines(
    client: Client, monkeypatch: pytest.MonkeyPatch, org: OrgSetup
) -> None:
    for body in TRICKY_LEADS:
        await create(client, org.crm_key, "leads", body)
    for fields in (
        every_field_but("leads", "email"),
        every_field_but("leads", "id", "version", "name", "company", "state", "employees"),
        ["name", "company", "description", "value"],  # computed both ways: too few to split
    ):
        await assert_stored_equals_computed(client, monkeypatch, org.crm_key, "leads", fields)
    content = await assert_stored_equals_computed(client, monkeypatch, org.crm_key, "leads")
    assert content.count(b"\r\n") >= 4  # the header and three records (one line holds a CRLF)
    assert b'"Comma, Inc."' in content
    assert b"'+44 20 7946 0958" in content
    assert b",-0.05," in content  # a number is never escaped


async def test_lines_follow_updates_and_custom_fields_are_appended(
    client: Client, monkeypatch: pytest.MonkeyPatch, org: OrgSetup
) -> None:
    key = org.crm_key
    for body in (
        {"key": "cf_tier", "label": "Tier", "type": "text"},
        {"key": "cf_score", "label": "Score", "type": "decimal"},
        {"key": "cf_tags", "label": "Tags", "type": "multi_picklist", "options": ["a", "b,c"]},
    ):
        response = await client.post("/api/modules/leads/fields", json=body, headers=bearer(key))
        assert response.status_code == 201, response.text
    first = await create(client, key, "leads", {"name": "One", "cf_tier": "=gold, top"})
    await create(client, key, "leads", {"name": "Two", "cf_score": "2.50", "cf_tags": ["b,c"]})
    await create(client, key, "leads", {"name": "Three", "cf_tier": ""})
    before = await assert_stored_equals_computed(client, monkeypatch, key, "leads")
    response = await client.put(
        f"/api/records/leads/{first['id']}",
        json={"name": 'Renamed, "again"', "value": "7.25", "cf_tier": "plain"},
        headers=bearer(key),
    )
    assert response.status_code == 200, response.text
    after = await assert_stored_equals_computed(client, monkeypatch, key, "leads")
    some = [*every_field_but("leads", "description"), "cf_tier", "cf_tags"]
    assert b"=gold" not in await assert_stored_equals_computed(
        client, monkeypatch, key, "leads", some
    )
    assert after != before
    assert b'"Renamed, ""again"""' in after
    assert b",7.25," in after


async def test_an_export_reads_the_stored_line(client: Client, db: Database, org: OrgSetup) -> None:
    lead = await create(client, org.crm_key, "leads", {"name": "Asha", "city": "Pune"})
    line = await stored_line_of(db, org.org_id, lead["id"])
    assert line is not None
    assert line.startswith(f"{lead['id']},1,")
    await set_line(db, org.org_id, lead["id"], line.replace("Asha", "Marker"))
    assert line.replace("Asha", "Marker").encode() in await export(client, org.crm_key, "leads")
    if not db.is_sqlite:
        return  # PostgreSQL computes an export naming fields: COPY computes only those
    # On SQLite fields are cut from the same line.
    header, row = (
        (await export(client, org.crm_key, "leads", every_field_but("leads", "title")))
        .decode()
        .splitlines()
    )
    assert header.startswith("id,version,")
    assert ",title," not in header
    assert row.startswith(f"{lead['id']},")
    assert ",Marker," in row
    assert ",Pune," in row


async def test_a_missing_line_is_computed(
    client: Client, db: Database, monkeypatch: pytest.MonkeyPatch, org: OrgSetup
) -> None:
    lead = await create(client, org.crm_key, "leads", {"name": "Asha, Ltd"})
    expected = await assert_stored_equals_computed(client, monkeypatch, org.crm_key, "leads")
    await set_line(db, org.org_id, lead["id"], None)
    assert await export(client, org.crm_key, "leads") == expected


async def test_lines_out_of_date_with_the_code_are_not_read_until_rewritten(
    client: Client,
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
    settings: Settings,
    org: OrgSetup,
) -> None:
    """Another version's triggers (here: one dropped) mean other lines: the export computes its
    own, and the next migration puts this code's triggers back and rewrites every line."""
    lead = await create(client, org.crm_key, "leads", {"name": "Asha"})
    expected = await assert_stored_equals_computed(client, monkeypatch, org.crm_key, "leads")
    await set_line(db, org.org_id, lead["id"], "stale,line")
    dropped = sorted(line_triggers(db, "leads"))[-1]
    async with db.transaction() as session:
        await session.execute(
            text(f"DROP TRIGGER {dropped}" + ("" if db.is_sqlite else " ON crm_leads"))
        )
    assert await export(client, org.crm_key, "leads") == expected

    await asyncio.to_thread(migrate_to_head, settings.database_url)
    stored = await stored_line_of(db, org.org_id, lead["id"])
    assert line_triggers(db, "leads") <= await trigger_names(db)
    assert stored != "stale,line"
    assert f"{stored}\r\n".encode() in expected
    assert await export(client, org.crm_key, "leads") == expected


async def test_a_disabled_trigger_means_computed_lines(
    client: Client, db: Database, org: OrgSetup
) -> None:
    """While PostgreSQL's trigger is disabled (a bulk load may do that) lines go stale."""
    require_postgres(db, "SQLite's triggers cannot be disabled")
    lead = await create(client, org.crm_key, "leads", {"name": "Asha"})
    (trigger,) = line_triggers(db, "leads")
    async with disabled_trigger(db, "crm_leads", trigger):
        response = await client.put(
            f"/api/records/leads/{lead['id']}", json={"name": "Bea"}, headers=bearer(org.crm_key)
        )
        assert response.status_code == 200, response.text
        assert ",Asha," in (await stored_line_of(db, org.org_id, lead["id"]) or "")
        content = await export(client, org.crm_key, "leads")
        assert b",Bea," in content
        assert b",Asha," not in content


async def test_rewriting_a_big_tables_lines_rebuilds_its_indexes_as_they_were(
    client: Client, db: Database, monkeypatch: pytest.MonkeyPatch, settings: Settings, org: OrgSetup
) -> None:
    """On a big table the migration drops the indexes while it rewrites the lines, and builds
    them again (derived_text_sync._rewrite); here every table counts as big."""
    require_postgres(db, "PostgreSQL's rewrite")
    lead = await create(client, org.crm_key, "leads", {"name": "Asha", "company": "Acme"})
    expected = await assert_stored_equals_computed(client, monkeypatch, org.crm_key, "leads")
    indexes = "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'crm_leads'"
    async with db.read() as session:
        before = {tuple(row) for row in await session.execute(text(indexes))}
    await set_line(db, org.org_id, lead["id"], "stale,line")
    (trigger,) = line_triggers(db, "leads")
    async with db.transaction() as session:
        await session.execute(text(f"DROP TRIGGER {trigger} ON crm_leads"))
    monkeypatch.setattr(derived_text_sync, "_REBUILD_INDEXES_FROM_ROWS", -1)
    await asyncio.to_thread(migrate_to_head, settings.database_url)
    async with db.read() as session:
        after = {tuple(row) for row in await session.execute(text(indexes))}
    assert len(before) > 20
    assert after == before
    assert await stored_line_of(db, org.org_id, lead["id"]) != "stale,line"
    assert await export(client, org.crm_key, "leads") == expected
    response = await client.get(
        "/api/records/leads", params={"q": "acme"}, headers=bearer(org.crm_key)
    )
    assert [found["id"] for found in response.json()["data"]] == [lead["id"]]


async def test_every_module_has_stored_lines(db: Database) -> None:
    names = await trigger_names(db)
    for name in MODULES:
        assert line_triggers(db, name) <= names, name
    assert "items" not in stored_line("quotes").columns  # Python formats the line items
    assert postgres_line("quotes") is None  # PostgreSQL computes every cell of these
    assert len(line_triggers(db, "leads")) == (2 if db.is_sqlite else 1)


async def test_a_line_does_not_depend_on_the_session_writing_it(
    client: Client, db: Database, monkeypatch: pytest.MonkeyPatch, org: OrgSetup
) -> None:
    """PostgreSQL's date-times are text as DateStyle says: the trigger pins it."""
    require_postgres(db, "SQLite has no DateStyle")
    lead = await create(client, org.crm_key, "leads", {"name": "Asha"})
    async with db.transaction() as session:
        await session.execute(text("SET LOCAL DateStyle TO 'German, DMY'"))
        await session.execute(
            text("UPDATE crm_leads SET city = 'Pune' WHERE org_id = :org AND id = :id"),
            {"org": org.org_id, "id": lead["id"]},
        )
    line = await stored_line_of(db, org.org_id, lead["id"])
    assert line is not None
    cells = line.split(",")
    assert cells[2] == datetime.fromisoformat(lead["created_at"]).isoformat()
    assert datetime.fromisoformat(cells[3]) >= datetime.fromisoformat(cells[2])
    content = await assert_stored_equals_computed(client, monkeypatch, org.crm_key, "leads")
    assert b",Pune," in content


async def test_line_items_are_put_within_the_stored_cells(
    client: Client, monkeypatch: pytest.MonkeyPatch, org: OrgSetup
) -> None:
    key = org.crm_key
    product = await create(client, key, "products", {"name": "Pump, large", "unit_price": 120})
    items = [
        {"description": "Widget", "quantity": 3, "list_price": 19.99, "discount": 5},
        {"product_id": product["id"], "description": '=cmd, "x"', "quantity": 1, "list_price": 120},
    ]
    await create(client, key, "quotes", {"subject": "Q1, urgent", "items": items})
    await create(client, key, "quotes", {"subject": '"Q2"'})
    content = await assert_stored_equals_computed(client, monkeypatch, key, "quotes")
    assert b"Widget" in content
    for fields in (
        [*every_field_but("quotes", "subject"), "items"],
        every_field_but("quotes", "grand_total"),
        ["subject", "items", "grand_total"],  # computed both ways: too few to split
    ):
        await assert_stored_equals_computed(client, monkeypatch, key, "quotes", fields)
    await assert_stored_equals_computed(client, monkeypatch, key, "products")


async def test_seeded_records_get_their_lines_and_keep_the_triggers(
    client: Client, db: Database, monkeypatch: pytest.MonkeyPatch, org: OrgSetup
) -> None:
    """`finite bench seed` writes a batch's lines at once, its insert trigger set aside."""
    await create(client, org.crm_key, "leads", {"name": "Before"})
    await seed_records(db, org.org_id, "leads", 150, owner=org.owner_id, batch_size=60)
    await assert_stored_equals_computed(client, monkeypatch, org.crm_key, "leads")
    async with db.read() as session:
        missing = (
            await session.execute(text("SELECT count(*) FROM crm_leads WHERE export_line IS NULL"))
        ).scalar_one()
    assert missing == 0
    assert line_triggers(db, "leads") <= await trigger_names(db)
