"""GET /api/export/{module}.csv on SQLite and PostgreSQL: a CSV that round-trips through Python's
csv module to the records the API lists, the list's filters / q / sort / fields, formula-injection
escaping of text (never of numbers), line items as JSON, RFC 4180 and UTF-8, the headers, the
`export` permission, rate limiting, the audit row, and streaming across the 2,000-row batches.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
from httpx import Response
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    MetaData,
    Select,
    String,
    Table,
    insert,
    literal,
    literal_column,
    select,
    text,
    union_all,
    update,
)

from finite.core.accounts.service import PlanChoice, set_plan
from finite.core.auth.authenticate import authenticate
from finite.crm.export.csv_format import cell as python_cell
from finite.crm.export.postgres_copy import LineEnds, TextLines, stream_copy
from finite.crm.export.records_csv import BATCH_ROWS
from finite.crm.export.sqlite_cells import sql_cell
from finite.crm.fields.service import load_schema
from finite.crm.modules.fields import Field
from finite.crm.modules.kinds.datetime import iso_utc
from finite.crm.modules.tables import MODULE_TABLES
from finite.crm.records import service
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.kit.db_types import UTCDateTime
from finite.kit.derived_keys import Peppers
from finite.kit.scaled_decimal import ScaledDecimal
from finite.models import AuditEntry
from finite.models.crm import RecordCounter
from tests.crm.factories import WIDGETS, add_field, assert_error, assert_invalid, create, exact
from tests.factories import OrgSetup, bearer, make_member_key, make_org

Client = AsyncTestClient[Litestar]
SYSTEM_KEYS = ["id", "version", "created_at", "updated_at", "created_by", "owner"]
DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")
# --- Helpers ---------------------------------------------------------------------------------


async def listed(
    client: Client, key: str, module: str, params: list[tuple[str, str]] | None = None
) -> list[dict[str, Any]]:
    response = await client.get(
        f"/api/records/{module}",
        params=[*(params or []), ("per_page", "200")],
        headers=bearer(key),
    )
    assert response.status_code == 200, response.text
    body = exact(response)
    assert body["has_more"] is False
    records: list[dict[str, Any]] = body["data"]
    return records


async def export(
    client: Client, key: str, module: str, params: Sequence[tuple[str, str]] = ()
) -> Response:
    return await client.get(f"/api/export/{module}.csv", params=tuple(params), headers=bearer(key))


def parse(response: Response) -> tuple[list[str], list[dict[str, str]]]:
    """(header, rows as dicts) of a 200 CSV answer, read as UTF-8 by the csv module."""
    assert response.status_code == 200, response.text
    text = response.content.decode("utf-8")
    table = list(csv.reader(io.StringIO(text, newline="")))
    assert table, "no header row"
    header, rows = table[0], table[1:]
    assert all(len(row) == len(header) for row in rows)
    return header, [dict(zip(header, row, strict=True)) for row in rows]


async def described(client: Client, key: str, module: str) -> dict[str, str]:
    """Field key → type, in the module's order, custom fields last."""
    response = await client.get(f"/api/modules/{module}", headers=bearer(key))
    assert response.status_code == 200, response.text
    return {field["key"]: field["type"] for field in response.json()["fields"]}


def text_form(value: str) -> str:
    return "'" + value if value.startswith(DANGEROUS_FIRST) else value


def assert_cell(key: str, kind: str, value: Any, cell: str) -> None:
    """A CSV cell is the string form of the API's value."""
    if value is None:
        assert cell == "", key
    elif kind == "datetime":  # the same instant (the API writes Z, the CSV +00:00)
        assert datetime.fromisoformat(cell) == datetime.fromisoformat(value), key
    elif isinstance(value, bool):
        assert cell == ("true" if value else "false"), key
    elif isinstance(value, Decimal):
        assert cell == format(value, "f"), key
    elif isinstance(value, int):
        assert cell == str(value), key
    elif isinstance(value, list | dict):
        assert json.loads(cell, parse_float=Decimal) == value, key
    else:
        assert cell == text_form(value), key


def assert_rows_match(
    types: dict[str, str], records: list[dict[str, Any]], rows: list[dict[str, str]]
) -> None:
    assert [int(row["id"]) for row in rows] == [record["id"] for record in records]
    kinds = {"created_at": "datetime", "updated_at": "datetime", **types}
    for record, row in zip(records, rows, strict=True):
        assert set(row) <= set(record)
        for key, cell in row.items():
            assert_cell(key, kinds.get(key, "integer"), record[key], cell)


async def flush_audit(client: Client) -> None:
    """Write the buffered audit rows now (the app's loop runs in the client's portal thread)."""
    client.blocking_portal.call(client.app.state.platform.audit.flush)


# --- 1. The CSV is the records ---------------------------------------------------------------


async def test_the_csv_round_trips_to_the_listed_records(client: Client, org: OrgSetup) -> None:
    key = org.crm_key
    for body in (
        {"key": "cf_code", "label": "Code", "type": "text"},
        {"key": "cf_budget", "label": "Budget", "type": "money"},
        {"key": "cf_region", "label": "Region", "type": "picklist", "options": ["EU", "US"]},
        {"key": "cf_tags", "label": "Tags", "type": "multi_picklist", "options": ["A", "B"]},
        {"key": "cf_met", "label": "Met", "type": "date"},
        {"key": "cf_at", "label": "At", "type": "datetime"},
        {"key": "cf_seats", "label": "Seats", "type": "integer"},
        {"key": "cf_vip", "label": "VIP", "type": "boolean"},
    ):
        await add_field(client, key, "leads", body)
    seed = await create(
        client,
        key,
        "leads",
        {"name": "Asha Rao", "company": "Acme Pumps", "email": "asha@acmepumps.in", "value": 50000},
    )
    full = await create(
        client,
        key,
        "leads",
        {
            "name": "Ravi Kumar",
            "first_name": "Ravi",
            "company": "Beta Tools",
            "title": "CTO",
            "email": "Ravi@BetaTools.com",
            "phone": "98 765 43210",
            "website": "https://betatools.example",
            "industry": "manufacturing",
            "employees": 120,
            "annual_revenue": 1234.5,
            "source": "Web",
            "status": "Qualified",
            "rating": "Hot",
            "city": "Pune",
            "value": 0.1,
            "email_opt_out": True,
            "description": "Met at the fair.",
            "cf_code": "X-1",
            "cf_budget": 99.99,
            "cf_region": "eu",
            "cf_tags": ["b", "A"],
            "cf_met": "2026-06-12",
            "cf_at": "2026-06-12T10:30:00+05:30",
            "cf_seats": 7,
            "cf_vip": False,
        },
    )
    await create(client, key, "leads", {"name": "Chen Wei"})

    header, rows = parse(await export(client, key, "leads"))
    types = await described(client, key, "leads")
    assert header == SYSTEM_KEYS + list(types)
    assert header[-8:] == [
        "cf_code",
        "cf_budget",
        "cf_region",
        "cf_tags",
        "cf_met",
        "cf_at",
        "cf_seats",
        "cf_vip",
    ]
    records = await listed(client, key, "leads")
    assert len(rows) == len(records) == 3
    assert_rows_match(types, records, rows)

    first, second = rows[0], rows[1]
    assert first["value"] == "50000.00"  # money with its two places, as a plain number
    assert first["id"] == str(seed["id"])
    assert first["version"] == "1"
    assert first["created_by"] == first["owner"] == org.owner_id
    assert first["email_opt_out"] == "false"
    assert first["phone"] == ""
    assert second["annual_revenue"] == "1234.50"
    assert second["value"] == "0.10"
    assert second["employees"] == "120"
    assert second["email"] == "ravi@betatools.com"
    assert second["industry"] == "Manufacturing"
    assert second["email_opt_out"] == "true"
    assert second["cf_region"] == "EU"
    assert json.loads(second["cf_tags"]) == ["B", "A"]
    assert second["cf_met"] == "2026-06-12"
    assert datetime.fromisoformat(second["cf_at"]) == datetime.fromisoformat(full["cf_at"])
    assert (second["cf_seats"], second["cf_vip"]) == ("7", "false")
    assert Decimal(second["cf_budget"]) == Decimal("99.99")
    assert datetime.fromisoformat(second["created_at"]) == datetime.fromisoformat(
        full["created_at"]
    )


async def test_filters_q_sort_and_fields_are_honoured(client: Client, org: OrgSetup) -> None:
    key = org.crm_key
    bodies: list[dict[str, Any]] = [
        {"name": "Asha Rao", "company": "Acme Pumps", "email": "asha@acmepumps.in", "value": 500},
        {"name": "Ravi Kumar", "company": "Beta Tools", "status": "Lost", "value": 1500},
        {"name": "Chen Wei", "company": "Acme Pumps", "email": "chen@acmepumps.in", "value": 2500},
        {"name": "Dana White", "status": "Lost"},
        {"name": "Eve Stone", "company": "Gamma", "value": 1500},
    ]
    made = [await create(client, key, "leads", body) for body in bodies]
    types = await described(client, key, "leads")
    for params in (
        [("status", "new")],
        [("status", "Lost"), ("value[is_null]", "true")],
        [("value[gte]", "1000"), ("value[lt]", "2000")],
        [("company[contains]", "acme")],
        [("q", "acme")],
        [("q", "Kumar")],
        [("q", "acme"), ("value[gt]", "1000")],
        [("sort", "-value")],
        [("sort", "value")],
        [("sort", "name")],
        [("sort", "-created_at"), ("status", "Lost")],
        [("name[in]", "Nobody")],
    ):
        header, rows = parse(await export(client, key, "leads", params))
        assert header == SYSTEM_KEYS + list(types)
        records = await listed(client, key, "leads", params)
        assert_rows_match(types, records, rows)

    # The same order as the list, empty values last in both directions.
    _, rows = parse(await export(client, key, "leads", [("sort", "-value")]))
    ids = [m["id"] for m in made]
    assert [int(r["id"]) for r in rows] == [ids[2], ids[4], ids[1], ids[0], ids[3]]
    _, rows = parse(await export(client, key, "leads", [("sort", "value")]))
    assert [int(r["id"]) for r in rows] == [ids[0], ids[1], ids[4], ids[2], ids[3]]
    _, rows = parse(await export(client, key, "leads", [("q", "acme")]))
    assert [r["name"] for r in rows] == ["Asha Rao", "Chen Wei"]

    # fields: id always, then the chosen columns.
    header, rows = parse(await export(client, key, "leads", [("fields", "name,email")]))
    assert header[0] == "id"
    assert set(header) == {"id", "name", "email"}
    assert [r["name"] for r in rows] == [b["name"] for b in bodies]
    assert rows[0]["email"] == "asha@acmepumps.in"
    header, rows = parse(
        await export(client, key, "leads", [("fields", "value"), ("sort", "value"), ("q", "a")])
    )
    assert header == ["id", "value"]
    header, _ = parse(await export(client, key, "leads", [("fields", "id")]))
    assert header == ["id"]


async def test_paging_parameters_and_bad_filters_are_refused(client: Client, org: OrgSetup) -> None:
    key = org.crm_key
    await create(client, key, "leads", {"name": "Asha"})
    for param, value in (("page", "1"), ("page", "2"), ("per_page", "10"), ("cursor", "abc")):
        assert_invalid(await export(client, key, "leads", [(param, value)]), param)
    assert_invalid(
        await export(client, key, "leads", [("page", "2"), ("per_page", "5"), ("cursor", "x")]),
        "page",
        "per_page",
        "cursor",
    )
    for param, value in (
        ("nickname", "x"),
        ("name[bogus]", "x"),
        ("value[gte]", "abc"),
        ("email_opt_out[gt]", "true"),
        ("sort", "nope"),
        ("sort", "name,value"),
        ("fields", "nope"),
        ("q", "x" * 201),
    ):
        assert_invalid(await export(client, key, "leads", [(param, value)]), param)


# --- 2. Escaping and encoding ----------------------------------------------------------------


async def test_formula_injection_is_escaped_in_text_but_numbers_are_untouched(
    client: Client, db: Database, org: OrgSetup
) -> None:
    key = org.crm_key
    await add_field(client, key, "leads", {"key": "cf_note", "label": "Note", "type": "text"})
    lead = await create(
        client,
        key,
        "leads",
        {
            "name": '=HYPERLINK("http://x")',
            "company": "+1",
            "title": "-2",
            "description": "@SUM(1)",
            "phone": "+1 555 0100",  # phone numbers are text: escaped too
            "cf_note": "=1+1",
            "value": -5,
            "employees": -3,
            "annual_revenue": -0.5,
        },
    )
    # The API trims text, so values starting with a tab or CR are written straight to the table.
    table = MODULE_TABLES["leads"]
    async with db.transaction() as session:
        await session.execute(
            update(table)
            .where(table.c.org_id == org.org_id, table.c.id == lead["id"])
            .values(city="\t=cmd|' /C calc'!A0", state="\r=1", street="safe = text")
        )
    _, rows = parse(await export(client, key, "leads"))
    row = rows[0]
    assert row["name"] == '\'=HYPERLINK("http://x")'
    assert row["company"] == "'+1"
    assert row["title"] == "'-2"
    assert row["description"] == "'@SUM(1)"
    assert row["phone"] == "'+1 555 0100"
    assert row["cf_note"] == "'=1+1"
    assert row["city"] == "'\t=cmd|' /C calc'!A0"
    assert row["state"] == "'\r=1"
    assert row["street"] == "safe = text"
    assert row["value"] == "-5.00"  # numbers are never escaped
    assert row["employees"] == "-3"
    assert row["annual_revenue"] == "-0.50"
    for key_, cell in row.items():  # only numbers may begin with a dangerous character
        if cell.startswith(DANGEROUS_FIRST):
            assert key_ in ("value", "employees", "annual_revenue"), key_
            Decimal(cell)

    # A quote's negative adjustment (and so its grand total) stays a number.
    quote = await create(client, key, "quotes", {"subject": "-discounted", "adjustment": -1})
    assert quote["grand_total"] == Decimal("-1.00")
    _, rows = parse(await export(client, key, "quotes"))
    assert rows[0]["adjustment"] == "-1.00"
    assert rows[0]["grand_total"] == "-1.00"
    assert rows[0]["subject"] == "'-discounted"


async def test_quote_items_are_a_json_column(client: Client, org: OrgSetup) -> None:
    key = org.crm_key
    product = await create(client, key, "products", {"name": "Pump", "unit_price": 120})
    lines = [
        WIDGETS,
        {"product_id": product["id"], "description": '=cmd, "x"', "quantity": 1, "list_price": 120},
    ]
    with_items = await create(client, key, "quotes", {"subject": "Q1", "items": lines})
    without = await create(client, key, "quotes", {"subject": "Q2"})
    header, rows = parse(await export(client, key, "quotes"))
    assert "items" in header
    assert header.index("items") < header.index("grand_total")
    items = json.loads(rows[0]["items"], parse_float=Decimal)
    assert items == with_items["items"]
    assert len(items) == 2
    assert items[0]["quantity"] == Decimal("3")
    assert items[1]["product_id"] == product["id"]
    assert items[1]["description"] == '=cmd, "x"'
    assert json.loads(rows[1]["items"]) == without["items"] == []
    types = await described(client, key, "quotes")
    assert_rows_match(types, await listed(client, key, "quotes"), rows)
    assert rows[0]["grand_total"] == format(with_items["grand_total"], "f")
    # fields can pick the items alone.
    header, rows = parse(await export(client, key, "quotes", [("fields", "items")]))
    assert header == ["id", "items"]
    assert json.loads(rows[0]["items"], parse_float=Decimal) == with_items["items"]


async def test_commas_quotes_newlines_and_non_ascii_survive(client: Client, org: OrgSetup) -> None:
    key = org.crm_key
    tricky = {
        "name": 'Zoë "Z" Ångström, 東京 🚀',
        "company": "Comma, Inc.",
        "description": 'Line one, "quoted"\nline two\r\nline three; ¿sí?',
        "city": "Zürich",
        "title": '""',
    }
    lead = await create(client, key, "leads", tricky)
    for key_, value in tricky.items():
        assert lead[key_] == value
    response = await export(client, key, "leads")
    assert response.content.startswith(b"id,version,created_at,")  # no BOM, header first
    assert "Zoë".encode() in response.content
    assert "東京 🚀".encode() in response.content
    assert b"\r\n" in response.content  # RFC 4180 line ends
    lines = response.content.split(b"\r\n")
    assert lines[-1] == b""  # every record ends with CRLF
    _, rows = parse(response)
    assert len(rows) == 1
    for key_, value in tricky.items():
        assert rows[0][key_] == value, key_
    # The raw cell is quoted, its quotes doubled (RFC 4180).
    assert b'"Zo\xc3\xab ""Z"" \xc3\x85ngstr\xc3\xb6m, ' in response.content
    assert b',"""""",' in response.content


async def test_the_answer_is_a_csv_attachment(client: Client, org: OrgSetup) -> None:
    await create(client, org.crm_key, "leads", {"name": "Asha"})
    for module in ("leads", "quotes", "price_books"):
        response = await export(client, org.crm_key, module)
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"].split(";")[0].strip() == "text/csv"
        assert "charset=utf-8" in response.headers["Content-Type"].lower()
        disposition = response.headers["Content-Disposition"]
        assert re.fullmatch(rf'attachment; filename="{module}-\d{{8}}-\d{{6}}\.csv"', disposition)
        assert response.headers["X-Request-ID"]
    # An empty module still has its header row.
    header, rows = parse(await export(client, org.crm_key, "vendors"))
    assert header[:6] == SYSTEM_KEYS
    assert rows == []


async def test_the_content_type_names_its_charset_once(client: Client, org: OrgSetup) -> None:
    response = await export(client, org.crm_key, "leads")
    assert response.status_code == 200
    parameters = [p.strip().lower() for p in response.headers["Content-Type"].split(";")]
    assert parameters == ["text/csv", "charset=utf-8"]


# --- 3. Who may export, and what is counted ---------------------------------------------------


async def test_export_needs_the_export_permission(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    await create(client, org.crm_key, "leads", {"name": "Asha"})
    for role in ("Standard", "Read-only"):
        _, key = await make_member_key(db, peppers, org.org_id, role)
        body = assert_error(await export(client, key, "leads"), 403, "FORBIDDEN")
        assert "export" in body["error"]
        assert "leads" in body["error"]
        # ... though they may list the same records.
        listing = await client.get("/api/records/leads", headers=bearer(key))
        assert listing.status_code == 200
        assert listing.json()["total"] == 1
        module = (await client.get("/api/modules/leads", headers=bearer(key))).json()
        assert "export" not in module["permissions"]
    _, manager = await make_member_key(db, peppers, org.org_id, "Manager")
    _, rows = parse(await export(client, manager, "leads"))
    assert [r["name"] for r in rows] == ["Asha"]
    assert_error(
        await client.get("/api/export/leads.csv", headers=bearer("fsk_nope")), 401, "UNAUTHORIZED"
    )
    assert_error(await client.get("/api/export/leads.csv"), 401, "UNAUTHORIZED")


async def test_unknown_modules_and_paths_without_csv_are_not_found(
    client: Client, org: OrgSetup
) -> None:
    key = org.crm_key
    for path in (
        "/api/export/widgets.csv",
        "/api/export/leads",
        "/api/export/leads.json",
        "/api/export/leads.csv.gz",
        "/api/export/.csv",
        "/api/export/LEADS.csv",
    ):
        assert_error(await client.get(path, headers=bearer(key)), 404, "NOT_FOUND")


async def test_exports_count_toward_the_rate_limit(
    client: Client, db: Database, org: OrgSetup
) -> None:
    async with db.transaction() as session:
        await set_plan(
            session, org.org_id, "crm", PlanChoice("enterprise", "active"), rpm_override=2
        )
    first = await export(client, org.crm_key, "leads")
    assert first.status_code == 200, first.text
    assert first.headers["X-RateLimit-Limit"] == "2"
    assert first.headers["X-RateLimit-Remaining"] == "1"
    assert (await export(client, org.crm_key, "leads")).status_code == 200
    refused = await export(client, org.crm_key, "leads")
    assert_error(refused, 429, "RATE_LIMITED")
    assert int(refused.headers["Retry-After"]) > 0
    # ... and so do lists: the next one is refused too.
    refused = await client.get("/api/records/leads", headers=bearer(org.crm_key))
    assert refused.status_code == 429


async def test_an_export_leaves_an_audit_row(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    await create(client, org.crm_key, "leads", {"name": "Asha"})
    response = await export(client, org.crm_key, "leads", [("status", "New")])
    assert response.status_code == 200
    _, standard = await make_member_key(db, peppers, org.org_id, "Standard")
    refused = await export(client, standard, "leads")
    assert refused.status_code == 403
    await flush_audit(client)
    async with db.read() as session:
        found = await session.execute(
            select(AuditEntry).where(
                AuditEntry.request_id.in_(
                    [response.headers["X-Request-ID"], refused.headers["X-Request-ID"]]
                )
            )
        )
        rows = {row.request_id: row for row in found.scalars().all()}
    assert len(rows) == 2
    row = rows[response.headers["X-Request-ID"]]
    assert (row.org_id, row.method, row.path, row.status) == (
        org.org_id,
        "GET",
        "/api/export/leads.csv",
        200,
    )
    assert (row.module, row.action) == ("leads", "export")
    assert (row.key_id, row.member_id) == (org.crm_key_id, org.owner_id)
    denied = rows[refused.headers["X-Request-ID"]]
    assert (denied.status, denied.module, denied.action) == (403, "leads", "export")


# --- 4. Large exports stream every row -------------------------------------------------------


async def bulk_insert(db: Database, org_id: str, module: str, rows: list[dict[str, Any]]) -> None:
    """Records straight into the module's table (ids 1..n, the id counter kept in step): the
    service layer would take ~5 ms a record."""
    now = utcnow()
    full = [
        {
            "org_id": org_id,
            "id": number,
            "version": 1,
            "created_at": now,
            "updated_at": now,
            "custom": {},
            **row,
        }
        for number, row in enumerate(rows, start=1)
    ]
    async with db.transaction() as session:
        await session.execute(insert(MODULE_TABLES[module]), full)
        session.add(RecordCounter(org_id=org_id, module=module, last_id=len(rows)))


async def test_a_large_export_streams_every_row_across_batches(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    count = 2_500
    assert count > BATCH_ROWS
    bodies = [
        {
            "name": f"Lead {n:05d}",
            "value": Decimal(n % 7) if n % 7 else None,
            "company": 'Big, "Co"\nLtd' if n % 500 == 0 else None,
            "status": "New",
            "email_opt_out": False,
        }
        for n in range(1, count + 1)
    ]
    await bulk_insert(db, org.org_id, "leads", bodies)
    other = await make_org(db, peppers)
    await bulk_insert(db, other.org_id, "leads", [{"name": "Theirs"}] * 10)

    header, rows = parse(await export(client, org.crm_key, "leads"))
    assert len(rows) == count
    assert [int(r["id"]) for r in rows] == list(range(1, count + 1))
    assert [r["name"] for r in rows] == [b["name"] for b in bodies]
    assert rows[BATCH_ROWS - 1]["name"] == f"Lead {BATCH_ROWS:05d}"  # both sides of the seam
    assert rows[BATCH_ROWS]["name"] == f"Lead {BATCH_ROWS + 1:05d}"
    assert rows[BATCH_ROWS - 1]["company"] == 'Big, "Co"\nLtd'
    assert rows[BATCH_ROWS - 1]["value"] == format(Decimal(BATCH_ROWS % 7), ".2f")
    assert header[:6] == SYSTEM_KEYS

    _, rows = parse(
        await export(client, org.crm_key, "leads", [("sort", "-id"), ("fields", "name")])
    )
    assert [int(r["id"]) for r in rows] == list(range(count, 0, -1))

    # A filter and a sort with ties and nulls across the seam: the list's order, every row once.
    params = [("value[ne]", "3"), ("sort", "-value"), ("fields", "value")]
    _, rows = parse(await export(client, org.crm_key, "leads", params))
    kept = [n for n in range(1, count + 1) if n % 7 != 3]
    assert len(rows) == len(kept) > BATCH_ROWS
    assert len({r["id"] for r in rows}) == len(rows)
    expected = sorted(kept, key=lambda n: (n % 7 != 0, n % 7, n), reverse=True)  # nulls last
    assert [int(r["id"]) for r in rows] == expected


async def test_line_items_are_fetched_for_every_batch(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    """Items come from a query per batch: quotes on both sides of the seam keep their own."""
    count = BATCH_ROWS + 3
    with_items = {1, BATCH_ROWS, BATCH_ROWS + 1, count}
    await bulk_insert(db, org.org_id, "quotes", [{"subject": f"Q{n}"} for n in range(count)])
    principal = await authenticate(
        db, peppers, [(b"authorization", b"Bearer " + org.crm_key.encode())], "crm"
    )
    async with db.transaction() as session:  # real lines, through the service layer
        schema = await load_schema(session, org.org_id, "quotes")
        for number in sorted(with_items):
            items = [{**WIDGETS, "description": f"Line of {number}"}]
            await service.update_record(session, principal, schema, number, {"items": items}, None)
    _, rows = parse(await export(client, org.crm_key, "quotes", [("fields", "subject,items")]))
    assert len(rows) == count
    for row in rows:
        number = int(row["id"])
        items = json.loads(row["items"])
        if number in with_items:
            assert [item["description"] for item in items] == [f"Line of {number}"], number
        else:
            assert items == [], number


# --- SQLite writes the standard cells itself ---------------------------------------------------


async def test_sqlite_computed_cells_equal_the_python_cells(db: Database) -> None:
    """Every shape of stored value SQLite formats in SQL gives the cell Python would write
    from the value SQLAlchemy reads back (negatives, fractions, zero, microseconds, escapes)."""
    if not db.is_sqlite:
        pytest.skip("the SQL cells are SQLite's")
    table = Table(
        "cells_probe",
        MetaData(),
        Column("money", ScaledDecimal(18, 2)),
        Column("decimal", ScaledDecimal(18, 4)),
        Column("percent", ScaledDecimal(9, 4)),
        Column("at", UTCDateTime()),
        Column("day", Date()),
        Column("flag", Boolean()),
        Column("count", BigInteger()),
        Column("name", String(200)),
    )
    kinds = {
        "money": "money",
        "decimal": "decimal",
        "percent": "percent",
        "at": "datetime",
        "day": "date",
        "flag": "boolean",
        "count": "integer",
        "name": "text",
    }
    at = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    values = [
        {
            "money": Decimal(amount),
            "decimal": Decimal(amount),
            "percent": Decimal(amount) / 1000,
            "at": at.replace(microsecond=micro),
            "day": date(2026, 1, 31),
            "flag": flag,
            "count": count,
            "name": name,
        }
        for amount, micro, flag, count, name in [
            ("0", 0, True, 0, "plain"),
            ("-0.05", 1, False, -1, "=SUM(A1)"),
            ("-1234.5", 999999, True, 2**62, "+1 555"),
            ("0.1", 120000, False, 7, "-x"),
            ("99999999.99", 0, True, -(2**62), "@at"),
            ("-99999999.99", 5, False, 1, "\tTab"),
            ("7", 0, True, 2, "\rCR"),
        ]
    ]
    values.append(dict.fromkeys(kinds))  # every column empty
    async with db.transaction() as session:
        await session.run_sync(lambda sync: table.create(sync.connection()))
        await session.execute(insert(table), values)
        stored = (await session.execute(select(table))).all()
        expressions = [sql_cell(Field(key, key, kind), table.c[key]) for key, kind in kinds.items()]
        computed = (await session.execute(select(*expressions))).all()  # type: ignore[arg-type]
        await session.run_sync(lambda sync: table.drop(sync.connection()))
    for read_back, cells in zip(stored, computed, strict=True):
        expected = [python_cell(value) or None for value in read_back]
        assert list(cells) == expected


def test_postgres_copy_line_ends_become_crlf_outside_quotes_wherever_chunks_split() -> None:
    """PostgreSQL ends CSV records with LF; the export rewrites record ends (never newlines
    inside quoted cells) to CRLF, however the data is cut into chunks."""
    rows = [
        ["id", "description"],
        ["1", 'two\nlines, "quoted"'],
        ["2", "plain"],
        ["3", '"\n"'],
        ["4", "\r\nstarts with a line end"],
    ]
    as_postgres, expected = io.StringIO(), io.StringIO()
    csv.writer(as_postgres, lineterminator="\n").writerows(rows)
    csv.writer(expected, lineterminator="\r\n").writerows(rows)
    data = as_postgres.getvalue().encode()
    for first in range(len(data) + 1):
        for second in range(first, len(data) + 1, 7):
            to_crlf = LineEnds()
            pieces = (data[:first], data[first:second], data[second:])
            assert b"".join(to_crlf(piece) for piece in pieces).decode() == expected.getvalue()


_LINES = ['a,"b\\c\td",x', "\\", '"\r\n"\x08\x0c\x0b\\n', "plain", "\\\\t"]


def test_postgres_text_copy_lines_are_unescaped_wherever_chunks_split() -> None:
    """COPY's text format escapes backslashes and control characters and ends rows with LF:
    the stored-lines export (postgres_lines.py) gets each line back as it is, CRLF-ended,
    however the data is cut into chunks, an escape cut in two included."""
    escapes = {
        "\\": "\\\\",
        "\n": "\\n",
        "\r": "\\r",
        "\t": "\\t",
        "\b": "\\b",
        "\f": "\\f",
        "\v": "\\v",
    }
    data = "".join(
        "".join(escapes.get(char, char) for char in line) + "\n" for line in _LINES
    ).encode()
    expected = "".join(f"{line}\r\n" for line in _LINES).encode()
    for first in range(len(data) + 1):
        for second in range(first, len(data) + 1, 3):
            to_lines = TextLines()
            pieces = (data[:first], data[first:second], data[second:])
            assert b"".join(to_lines(piece) for piece in pieces) == expected


async def test_postgres_text_copy_sends_each_value_as_it_is(db: Database) -> None:
    if db.is_sqlite:
        pytest.skip("COPY is PostgreSQL's")
    rows = union_all(
        *(
            select(literal(line).label("line"), literal(at).label("at"))
            for at, line in enumerate(_LINES)
        )
    ).subquery()
    statement = select(rows.c.line).order_by(rows.c.at)
    chunks = [chunk async for chunk in stream_copy(db, statement, lines=True)]
    assert b"".join(chunks) == "".join(f"{line}\r\n" for line in _LINES).encode()


async def test_a_failing_postgres_copy_raises_instead_of_hanging(db: Database) -> None:
    """An error inside COPY (here: a division by zero) reaches the stream's reader, which then
    ends; the stream used to wait forever for data the failed COPY would never send."""
    if db.is_sqlite:
        pytest.skip("COPY is PostgreSQL's")

    async def read_all() -> list[bytes]:
        failing: Select[Any] = select(literal_column("1 / 0").label("x"))
        return [chunk async for chunk in stream_copy(db, failing)]

    with pytest.raises(asyncpg.DivisionByZeroError):
        await asyncio.wait_for(read_all(), timeout=20)


async def test_postgres_date_time_cells_are_python_isoformat_whatever_the_date_style(
    db: Database,
) -> None:
    """COPY writes date-times from the timestamp's own text, its fraction padded back to six
    digits; the cells equal isoformat() for whole seconds and every fraction length, for an
    instant given in another zone, and on a connection whose DateStyle is not ISO."""
    if db.is_sqlite:
        pytest.skip("COPY is PostgreSQL's")
    instants = [
        datetime(2026, 3, 4, 5, 6, 7, micro, tzinfo=UTC)
        for micro in (0, 1, 5, 120000, 123450, 999999, 100000)
    ]
    instants.append(datetime(999, 12, 31, 23, 59, 59, 500000, tzinfo=UTC))
    values = ", ".join(f"(timestamptz '{moment.isoformat()}')" for moment in instants)
    other_zone = "(timestamptz '2026-03-04 07:06:07.25+02')"
    statement = select(iso_utc(literal_column("v.t")).label("at")).select_from(
        text(f"(values {values}, {other_zone}) v(t)")
    )
    async with db.engine.connect() as connection:  # the pool's connections, one at a time
        await connection.exec_driver_sql("SET DateStyle TO 'SQL, DMY'")
        await connection.commit()
    try:
        data = b"".join([chunk async for chunk in stream_copy(db, statement)])
    finally:
        await db.engine.dispose()  # no connection keeps the odd DateStyle
    cells = [row[0] for row in csv.reader(io.StringIO(data.decode()))][1:]
    expected = [moment.isoformat() for moment in instants]
    assert cells == [*expected, "2026-03-04T05:06:07.250000+00:00"]
