"""The list query of GET /api/records/{module}, on SQLite and PostgreSQL: field filters with every
operator (standard and custom fields), AND-combination, sorting with empty values last in both
directions and an id tie-break, `fields`, page and keyset-cursor paging (also while records are
inserted), `total` / `total_relation`, 400s that name every bad parameter, and organization
isolation.

`q` is only checked for behaviour (name word, email fragment, company; never another org's):
its implementation is being replaced by indexed search.
"""

from __future__ import annotations

import base64
import csv
import io
import itertools
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from httpx import Response
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import insert, update

from finite.crm.modules.tables import MODULE_TABLES
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.models.crm import RecordCounter
from tests.crm.factories import (
    CUSTOM_FIELDS,
    FIVE_LEADS,
    add_field,
    assert_invalid,
    create,
    error_fields,
    exact,
)
from tests.factories import OrgSetup, bearer, make_org

Client = AsyncTestClient[Litestar]
Params = Sequence[tuple[str, str]]

# --- Helpers ---------------------------------------------------------------------------------


async def get_list(client: Client, key: str, module: str, params: Params = ()) -> Response:
    return await client.get(f"/api/records/{module}", params=list(params), headers=bearer(key))


async def page_of(client: Client, key: str, module: str, params: Params = ()) -> dict[str, Any]:
    response = await get_list(client, key, module, params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = exact(response)
    return body


async def ids(client: Client, key: str, module: str, params: Params = ()) -> list[int]:
    """Ids of every match, in the list's order (one page of up to 200)."""
    body = await page_of(client, key, module, [*params, ("per_page", "200")])
    assert body["has_more"] is False
    return [record["id"] for record in body["data"]]


async def matches(client: Client, key: str, module: str, query: str) -> set[int]:
    """Ids matching a raw query string like `value[gte]=1000&status=New` (values pre-encoded)."""
    response = await client.get(f"/api/records/{module}?{query}&per_page=200", headers=bearer(key))
    assert response.status_code == 200, (query, response.text)
    body = response.json()
    found = {record["id"] for record in body["data"]}
    assert body["total"] == len(found), (query, body["total"])
    assert body["total_relation"] == "eq"
    return found


async def walk_cursor(
    client: Client, key: str, module: str, params: Params, per_page: int = 7
) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(200):
        extra = [("per_page", str(per_page))] + ([("cursor", cursor)] if cursor else [])
        body = await page_of(client, key, module, [*params, *extra])
        assert len(body["data"]) <= per_page
        seen += body["data"]
        if not body["has_more"]:
            assert body["next_cursor"] is None
            return seen
        assert len(body["data"]) == per_page
        cursor = body["next_cursor"]
        assert isinstance(cursor, str)
        assert cursor
    raise AssertionError("the cursor walk never ended")


async def walk_pages(
    client: Client, key: str, module: str, params: Params, per_page: int = 7
) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    for number in range(1, 200):
        body = await page_of(
            client, key, module, [*params, ("page", str(number)), ("per_page", str(per_page))]
        )
        assert (body["page"], body["per_page"]) == (number, per_page)
        seen += body["data"]
        if not body["has_more"]:
            return seen
    raise AssertionError("paging never ended")


def ordered(
    records: list[dict[str, Any]], key: str, descending: bool, parse: Callable[[Any], Any]
) -> list[int]:
    """The contract's order: the value, then id (descending reverses both); empty values (null)
    last in both directions, among themselves by id (descending: reversed)."""
    valued = sorted(
        (r for r in records if r[key] is not None),
        key=lambda r: (parse(r[key]), r["id"]),
        reverse=descending,
    )
    empty = sorted(
        (r for r in records if r[key] is None), key=lambda r: r["id"], reverse=descending
    )
    return [r["id"] for r in (*valued, *empty)]


def when(text: str) -> datetime:
    return datetime.fromisoformat(text)


def same(value: Any) -> Any:
    return value


def cursor_of(parts: Any) -> str:
    """A cursor in the server's own encoding (URL-safe base64 JSON), for forged-cursor checks."""
    raw = json.dumps(parts, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


async def bulk_leads(db: Database, org_id: str, count: int, prefix: str = "Bulk") -> None:
    """`count` minimal leads straight into the table (ids 1..count), the id counter kept in step."""
    table = MODULE_TABLES["leads"]
    now = utcnow()
    rows = [
        {
            "org_id": org_id,
            "id": number,
            "version": 1,
            "created_at": now,
            "updated_at": now,
            "custom": {},
            "name": f"{prefix} {number:05d}",
            "status": "New",
            "email_opt_out": False,
        }
        for number in range(1, count + 1)
    ]
    async with db.transaction() as session:
        await session.execute(insert(table), rows)
        session.add(RecordCounter(org_id=org_id, module="leads", last_id=count, record_count=count))


# --- Shared data -----------------------------------------------------------------------------


async def five_leads(client: Client, key: str) -> list[int]:
    return [(await create(client, key, "leads", body))["id"] for body in FIVE_LEADS]


# --- 1. Operators on standard fields ---------------------------------------------------------


async def test_text_operators(client: Client, org: OrgSetup) -> None:
    key = org.crm_key
    asha, ravi, chen, dana, eve = await five_leads(client, key)
    cases: list[tuple[str, set[int]]] = [
        ("name=Asha%20Rao", {asha}),
        ("name=asha%20rao", set()),  # eq on text is exact
        ("company[ne]=Acme%20Pumps", {ravi, dana, eve}),  # ne keeps the lead without a company
        ("company[in]=Beta%20Tools,Gamma_Co", {ravi, eve}),
        ("company[contains]=acme", {asha, chen}),  # contains ignores case
        ("company[contains]=PUMPS", {asha, chen}),
        ("company[contains]=_", {eve}),  # wildcards are literal
        ("name[contains]=50%25", {eve}),
        ("name[contains]=%25", {eve}),
        ("name[starts_with]=r", {ravi}),
        ("name[starts_with]=Rao", set()),
        ("email[starts_with]=asha", {asha}),
        ("email[contains]=acmepumps", {asha, chen}),
        ("email=ravi@betatools.com", {ravi}),
        ("title[in]=CEO,CTO", {asha, ravi}),
        ("title[ne]=CEO", {ravi, chen, dana, eve}),
        ("name[gt]=Dana%20White", {eve, ravi}),
        ("name[gte]=Dana%20White", {dana, eve, ravi}),
        ("name[lt]=Chen%20Wei", {asha}),
        ("name[lte]=Chen%20Wei", {asha, chen}),
        ("company[is_null]=true", {dana}),
        ("company[is_null]=false", {asha, ravi, chen, eve}),
        ("title[is_null]=TRUE", {chen, dana, eve}),
    ]
    for query, expected in cases:
        assert await matches(client, key, "leads", query) == expected, query


async def test_money_and_integer_operators(client: Client, org: OrgSetup) -> None:
    key = org.crm_key
    asha, ravi, chen, dana, eve = await five_leads(client, key)
    cases: list[tuple[str, set[int]]] = [
        ("value=1000", {ravi, eve}),
        ("value=1000.00", {ravi, eve}),
        ("value=999.99", {dana}),
        ("value[gte]=1000", {asha, ravi, eve}),
        ("value[gt]=1000", {asha}),
        ("value[lt]=1000", {dana}),
        ("value[lte]=1000", {ravi, dana, eve}),
        ("value[in]=1000,50000", {asha, ravi, eve}),
        ("value[in]=999.99", {dana}),
        ("value[ne]=1000", {asha, chen, dana}),  # ne includes the lead without a value
        ("value[is_null]=true", {chen}),
        ("value[is_null]=false", {asha, ravi, dana, eve}),
        ("value[gte]=-5", {asha, ravi, dana, eve}),
        ("employees=15", {ravi, eve}),
        ("employees=0", {dana}),
        ("employees[gt]=0", {asha, ravi, eve}),
        ("employees[gte]=0", {asha, ravi, dana, eve}),
        ("employees[lt]=100", {ravi, dana, eve}),
        ("employees[lte]=15", {ravi, dana, eve}),
        ("employees[in]=0,120", {asha, dana}),
        ("employees[ne]=15", {asha, chen, dana}),
        ("employees[is_null]=true", {chen}),
        ("id=2", {ravi}),
        ("id[in]=1,3,99", {asha, chen}),
        ("id[gt]=3", {dana, eve}),
        ("version=1", {asha, ravi, chen, dana, eve}),
    ]
    for query, expected in cases:
        assert await matches(client, key, "leads", query) == expected, query


async def test_boolean_and_picklist_operators(client: Client, org: OrgSetup) -> None:
    key = org.crm_key
    asha, ravi, chen, dana, eve = await five_leads(client, key)
    cases: list[tuple[str, set[int]]] = [
        ("email_opt_out=true", {ravi, dana}),
        ("email_opt_out=TRUE", {ravi, dana}),
        ("email_opt_out=false", {asha, chen, eve}),
        ("email_opt_out[ne]=true", {asha, chen, eve}),
        ("email_opt_out[is_null]=false", {asha, ravi, chen, dana, eve}),
        ("status=New", {asha, eve}),
        ("status=new", {asha, eve}),  # picklist values match without regard to case
        ("status=%20NEW%20", {asha, eve}),
        ("status[in]=new,LOST", {asha, dana, eve}),
        ("status[ne]=new", {ravi, chen, dana}),
        ("rating=warm", {ravi, eve}),
        ("rating[ne]=Hot", {ravi, chen, dana, eve}),  # ne includes the unrated lead
        ("rating[is_null]=true", {chen}),
        ("status[starts_with]=Con", {ravi}),
        ("status[contains]=ali", {chen}),
    ]
    for query, expected in cases:
        assert await matches(client, key, "leads", query) == expected, query
    assert_invalid(await get_list(client, key, "leads", [("status", "Hot")]), "status")
    assert_invalid(await get_list(client, key, "leads", [("status[in]", "New,Hot")]), "status[in]")
    assert_invalid(
        await get_list(client, key, "leads", [("email_opt_out", "yes")]), "email_opt_out"
    )


async def test_email_filters_match_the_way_emails_are_stored(client: Client, org: OrgSetup) -> None:
    key = org.crm_key
    lead = await create(client, key, "leads", {"name": "Ravi", "email": "Ravi@BetaTools.com"})
    assert lead["email"] == "ravi@betatools.com"
    assert await ids(client, key, "leads", [("email", "Ravi@BetaTools.com")]) == [lead["id"]]
    assert await ids(client, key, "leads", [("email[in]", "RAVI@betatools.com")]) == [lead["id"]]


async def test_date_and_datetime_operators_respect_time_zones(
    client: Client, org: OrgSetup
) -> None:
    key = org.crm_key
    bodies = [
        {"subject": "A1", "due_date": "2026-06-10", "start_at": "2026-06-12T10:30:00+05:30"},
        {"subject": "A2", "due_date": "2026-06-12", "start_at": "2026-06-12T05:30:00Z"},
        {"subject": "A3"},
        {"subject": "A4", "due_date": "2026-06-15", "start_at": "2026-06-12T01:00:00-05:00"},
    ]
    a1, a2, a3, a4 = [await create(client, key, "activities", body) for body in bodies]
    i1, i2, i3, i4 = (a1["id"], a2["id"], a3["id"], a4["id"])  # start: 05:00Z, 05:30Z, -, 06:00Z
    cases: list[tuple[str, set[int]]] = [
        ("due_date=2026-06-12", {i2}),
        ("due_date[gt]=2026-06-10", {i2, i4}),
        ("due_date[gte]=2026-06-10", {i1, i2, i4}),
        ("due_date[lt]=2026-06-12", {i1}),
        ("due_date[lte]=2026-06-12", {i1, i2}),
        ("due_date[ne]=2026-06-12", {i1, i3, i4}),
        ("due_date[in]=2026-06-10,2026-06-15", {i1, i4}),
        ("due_date[is_null]=true", {i3}),
        ("start_at[gte]=2026-06-12T10:45:00%2B05:30", {i2, i4}),  # 05:15Z
        ("start_at[lt]=2026-06-12T05:30:00Z", {i1}),
        ("start_at[lte]=2026-06-12T05:30:00Z", {i1, i2}),
        ("start_at=2026-06-12T00:30:00-05:00", {i2}),  # the same instant as 05:30Z
        ("start_at[gt]=2026-06-12T05:59:59.999999%2B00:00", {i4}),
        ("start_at[is_null]=false", {i1, i2, i4}),
    ]
    for query, expected in cases:
        assert await matches(client, key, "activities", query) == expected, query

    # created_at with an explicit zone: the moment A3 was created, written in +05:30 and in Z.
    created = when(a3["created_at"])
    assert created.utcoffset() == timedelta(0)
    for moment in (created.astimezone(timezone(timedelta(hours=5, minutes=30))), created):
        stamp = moment.isoformat()
        assert await ids(client, key, "activities", [("created_at[gte]", stamp)]) == [i3, i4]
        assert await ids(client, key, "activities", [("created_at[lt]", stamp)]) == [i1, i2]
        assert await ids(client, key, "activities", [("created_at[lte]", stamp)]) == [i1, i2, i3]
    later = (created + timedelta(days=1)).isoformat()
    assert await ids(client, key, "activities", [("updated_at[gt]", later)]) == []

    for bad in ("yesterday", "2026-06-12", "2026-06-12T10:30:00", "2026-02-30T00:00:00Z"):
        assert_invalid(
            await get_list(client, key, "activities", [("created_at[gte]", bad)]),
            "created_at[gte]",
        )
    for bad in ("2026-6-1", "12/06/2026", "2026-02-30"):
        assert_invalid(
            await get_list(client, key, "activities", [("due_date[gt]", bad)]), "due_date[gt]"
        )


async def test_lookup_operators(client: Client, org: OrgSetup) -> None:
    key = org.crm_key
    acme = (await create(client, key, "accounts", {"name": "Acme"}))["id"]
    beta = (await create(client, key, "accounts", {"name": "Beta"}))["id"]
    c1 = (await create(client, key, "contacts", {"name": "C1", "account_id": acme}))["id"]
    c2 = (await create(client, key, "contacts", {"name": "C2", "account_id": beta}))["id"]
    c3 = (await create(client, key, "contacts", {"name": "C3"}))["id"]
    cases: list[tuple[str, set[int]]] = [
        (f"account_id={acme}", {c1}),
        (f"account_id[in]={acme},{beta}", {c1, c2}),
        (f"account_id[ne]={acme}", {c2, c3}),
        ("account_id[is_null]=true", {c3}),
        ("account_id[is_null]=false", {c1, c2}),
        ("account_id=999", set()),
    ]
    for query, expected in cases:
        assert await matches(client, key, "contacts", query) == expected, query
    for param, value in (
        ("account_id[gt]", "1"),
        ("account_id[contains]", "1"),
        ("account_id", "abc"),
        ("account_id", "1.5"),
    ):
        assert_invalid(await get_list(client, key, "contacts", [(param, value)]), param)


async def test_filters_combine_with_and(client: Client, org: OrgSetup) -> None:
    key = org.crm_key
    asha, ravi, _chen, dana, eve = await five_leads(client, key)
    cases: list[tuple[str, set[int]]] = [
        ("status=New&value[gte]=1000", {asha, eve}),
        ("status=New&value[gte]=1000&company[contains]=acme", {asha}),
        ("value[gte]=500&value[lt]=2000", {ravi, dana, eve}),  # one field twice: a range
        ("value[gte]=500&value[lt]=2000&email_opt_out=false", {eve}),
        ("status=New&status=Lost", set()),
        ("employees=15&rating=warm&company[starts_with]=gamma", {eve}),
    ]
    for query, expected in cases:
        assert await matches(client, key, "leads", query) == expected, query


# --- 2. Custom fields ------------------------------------------------------------------------


async def test_filters_on_custom_fields(client: Client, org: OrgSetup) -> None:
    key = org.crm_key
    before = (await create(client, key, "leads", {"name": "Before the fields"}))["id"]
    for body in CUSTOM_FIELDS:
        await add_field(client, key, "leads", body)
    l1 = await create(
        client,
        key,
        "leads",
        {
            "name": "L1",
            "cf_code": "ABC-1",
            "cf_budget": 1500.5,
            "cf_region": "eu",
            "cf_tags": ["red", "Blue"],
            "cf_seats": 10,
            "cf_vip": True,
        },
    )
    assert (l1["cf_region"], l1["cf_tags"]) == ("EU", ["Red", "Blue"])
    l2 = await create(
        client,
        key,
        "leads",
        {
            "name": "L2",
            "cf_code": "XYZ-2",
            "cf_budget": 99,
            "cf_region": "US",
            "cf_tags": ["Blue"],
            "cf_seats": 3,
            "cf_vip": False,
        },
    )
    l3 = await create(client, key, "leads", {"name": "L3", "cf_code": None, "cf_budget": None})
    i1, i2, i3 = l1["id"], l2["id"], l3["id"]
    cases: list[tuple[str, set[int]]] = [
        ("cf_code=ABC-1", {i1}),
        ("cf_code[ne]=ABC-1", {before, i2, i3}),  # null, never set, and unset alike
        ("cf_code[in]=ABC-1,XYZ-2", {i1, i2}),
        ("cf_code[contains]=yz", {i2}),
        ("cf_code[starts_with]=abc", {i1}),
        ("cf_code[gt]=B", {i2}),
        ("cf_code[is_null]=true", {before, i3}),
        ("cf_budget[gte]=100", {i1}),
        ("cf_budget[gte]=99", {i1, i2}),
        ("cf_budget[gt]=99.00", {i1}),
        ("cf_budget[lt]=1500.50", {i2}),
        ("cf_budget[lte]=1500.5", {i1, i2}),
        ("cf_budget=1500.50", {i1}),
        ("cf_budget[in]=99,1500.5", {i1, i2}),
        ("cf_budget[ne]=99", {before, i1, i3}),
        ("cf_budget[is_null]=false", {i1, i2}),
        ("cf_region=eu", {i1}),  # picklist values match without regard to case
        ("cf_region[in]=us,APAC", {i2}),
        ("cf_region[ne]=EU", {before, i2, i3}),
        ("cf_region[is_null]=true", {before, i3}),
        ("cf_tags[contains]=blue", {i1, i2}),
        ("cf_tags[contains]=Red", {i1}),
        ("cf_tags[is_null]=true", {before, i3}),
        ("cf_seats[gt]=3", {i1}),
        ("cf_seats[in]=3,10", {i1, i2}),
        ("cf_seats[ne]=3", {before, i1, i3}),
        ("cf_vip=true", {i1}),
        ("cf_vip[ne]=true", {before, i2, i3}),
        ("cf_vip=false&cf_budget[lt]=100", {i2}),  # custom AND custom
        ("cf_region=EU&name=L1&value[is_null]=true", {i1}),  # custom AND standard
    ]
    for query, expected in cases:
        assert await matches(client, key, "leads", query) == expected, query
    for param, value in (
        ("cf_budget[gte]", "lots"),
        ("cf_budget", "1.001"),
        ("cf_region", "Mars"),
        ("cf_tags", "Red"),  # multi-picklists take contains and is_null only
        ("cf_tags[contains]", "Green"),
        ("cf_seats", "1.5"),
        ("cf_vip[gt]", "true"),
        ("cf_nope", "1"),
    ):
        assert_invalid(await get_list(client, key, "leads", [(param, value)]), param)


async def test_custom_datetime_fields_filter_and_sort_by_instant(
    client: Client, org: OrgSetup
) -> None:
    key = org.crm_key
    await add_field(client, key, "leads", {"key": "cf_met", "label": "Met", "type": "datetime"})
    early = await create(client, key, "leads", {"name": "E", "cf_met": "2026-06-12T10:30:00+05:30"})
    late = await create(client, key, "leads", {"name": "L", "cf_met": "2026-06-12T06:00:00Z"})
    # 05:00Z and 06:00Z: by instant "early" comes first, though its text sorts last.
    assert await ids(client, key, "leads", [("sort", "cf_met")]) == [early["id"], late["id"]]
    assert await ids(client, key, "leads", [("cf_met[lt]", "2026-06-12T05:30:00Z")]) == [
        early["id"]
    ]
    assert await ids(client, key, "leads", [("cf_met[gte]", "2026-06-12T05:30:00+00:00")]) == [
        late["id"]
    ]


async def test_custom_date_fields_filter_sort_and_page_by_cursor(
    client: Client, org: OrgSetup, request: pytest.FixtureRequest, database_url: str
) -> None:
    key = org.crm_key
    await add_field(client, key, "leads", {"key": "cf_day", "label": "Day", "type": "date"})
    days = ["2026-06-12", None, "2026-01-31", "2026-06-12", "2025-12-31", None, "2026-03-01"]
    records = [
        await create(client, key, "leads", {"name": f"D{n}", "cf_day": day})
        for n, day in enumerate(days)
    ]
    by_id = {r["id"]: r for r in records}
    assert await ids(client, key, "leads", [("cf_day[gt]", "2026-01-31")]) == [
        r["id"] for r in records if r["cf_day"] and r["cf_day"] > "2026-01-31"
    ]
    assert await ids(client, key, "leads", [("cf_day", "2026-06-12")]) == [
        r["id"] for r in records if r["cf_day"] == "2026-06-12"
    ]
    dated = [r for r in records if r["cf_day"] is not None]
    for sort in ("cf_day", "-cf_day"):
        descending = sort.startswith("-")
        expected = ordered(records, "cf_day", descending, same)
        assert await ids(client, key, "leads", [("sort", sort)]) == expected, sort
        # (nulls kept out of the walk: see test_a_cursor_walk_crosses_null_sort_values)
        params = [("sort", sort), ("cf_day[is_null]", "false")]
        walked = await walk_cursor(client, key, "leads", params, per_page=2)
        assert [r["id"] for r in walked] == ordered(dated, "cf_day", descending, same), sort
        assert all(by_id[r["id"]] == r for r in walked)


# --- 3. Sorting, fields, paging and cursors --------------------------------------------------

# The values of 40 leads: duplicates and nulls in every sorted field, names not in id order.
VALUES = (None, 100, 250.5, 100, 9999.99, None, 0, -20, 250.5, 100)
STATUSES = ("New", "Contacted", "Qualified", "Lost")
BUDGETS = (None, 5, 5, 70.25, None, 1)

SORTS: tuple[tuple[str, str, Callable[[Any], Any]], ...] = (
    ("", "id", same),  # the default
    ("id", "id", same),
    ("-id", "id", same),
    ("name", "name", same),
    ("-name", "name", same),
    ("value", "value", Decimal),
    ("-value", "value", Decimal),
    ("employees", "employees", same),
    ("-employees", "employees", same),
    ("status", "status", same),
    ("-status", "status", same),
    ("email_opt_out", "email_opt_out", same),
    ("-email_opt_out", "email_opt_out", same),
    ("created_at", "created_at", when),
    ("-created_at", "created_at", when),
    ("-updated_at", "updated_at", when),
    ("cf_budget", "cf_budget", Decimal),
    ("-cf_budget", "cf_budget", Decimal),
    ("cf_code", "cf_code", same),
    ("-cf_code", "cf_code", same),
)
# Sorts whose keys are never null and not boolean (nullable and boolean keys have their own
# cursor tests below).
CURSOR_SAFE = frozenset({"", "id", "-id", "name", "-name", "status", "-status"}) | {
    "created_at",
    "-created_at",
    "-updated_at",
}
NULLABLE_SORTS: tuple[str, ...] = (
    "value",
    "-value",
    "employees",
    "-employees",
    "cf_budget",
    "-cf_budget",
)
NULLABLE_SORTS += ("cf_code", "-cf_code")


async def forty_leads(client: Client, key: str) -> list[dict[str, Any]]:
    await add_field(client, key, "leads", {"key": "cf_budget", "label": "B", "type": "money"})
    await add_field(client, key, "leads", {"key": "cf_code", "label": "C", "type": "text"})
    records = []
    for n in range(40):
        body = {
            "name": f"Lead {(n * 17) % 40:02d}",
            "value": VALUES[n % len(VALUES)],
            "employees": None if n % 4 == 0 else n % 5,
            "status": STATUSES[n % len(STATUSES)],
            "email_opt_out": n % 3 == 0,
            "cf_budget": BUDGETS[n % len(BUDGETS)],
            "cf_code": None if n % 7 == 0 else f"C{n % 6}",
        }
        records.append(await create(client, key, "leads", body))
    return records


async def test_sorting_paging_and_cursor_walks_agree_with_the_contract(
    client: Client, org: OrgSetup
) -> None:
    """For every sort: the full list is in contract order (nulls last in both directions;
    equal values by id), and both a page walk and a cursor walk with per_page 7
    visit every record exactly once in that order (cursor walks: on keys that are never null;
    nullable and boolean keys have their own tests below)."""
    key = org.crm_key
    records = await forty_leads(client, key)
    by_id = {r["id"]: r for r in records}
    for sort, field, parse in SORTS:
        params = [("sort", sort)] if sort else []
        expected = ordered(records, field, sort.startswith("-"), parse)
        full = await page_of(client, key, "leads", [*params, ("per_page", "200")])
        assert [r["id"] for r in full["data"]] == expected, sort
        assert (full["total"], full["total_relation"], full["has_more"]) == (40, "eq", False)
        assert full["next_cursor"] is None
        assert all(by_id[r["id"]] == r for r in full["data"])

        paged = await walk_pages(client, key, "leads", params)
        assert [r["id"] for r in paged] == expected, sort

        if sort in CURSOR_SAFE:
            walked = await walk_cursor(client, key, "leads", params)
            assert [r["id"] for r in walked] == expected, sort
            assert all(by_id[r["id"]] == r for r in walked)

    # A cursor walk over a nullable key works while no page ends on a null: here the nulls
    # are filtered out.
    for sort in NULLABLE_SORTS:
        field = sort.lstrip("-")
        chosen = [r for r in records if r[field] is not None]
        parse = Decimal if field in ("value", "cf_budget") else same
        params = [("sort", sort), (f"{field}[is_null]", "false")]
        walked = await walk_cursor(client, key, "leads", params)
        assert [r["id"] for r in walked] == ordered(chosen, field, sort.startswith("-"), parse)

    # Empty values come last in both directions (`-value` used to start with them).
    ascending = await ids(client, key, "leads", [("sort", "value")])
    descending = await ids(client, key, "leads", [("sort", "-value")])
    nulls = [r["id"] for r in records if r["value"] is None]
    assert ascending[-len(nulls) :] == nulls
    assert descending[-len(nulls) :] == nulls[::-1]


async def test_a_cursor_walk_crosses_null_sort_values(client: Client, org: OrgSetup) -> None:
    """Empty values come last: a walk in either direction ends with them; pages that end on
    a null continue correctly."""
    key = org.crm_key
    records = await forty_leads(client, key)
    failures = []
    for sort in NULLABLE_SORTS:
        field = sort.lstrip("-")
        parse = Decimal if field in ("value", "cf_budget") else same
        response = None
        try:
            walked = await walk_cursor(client, key, "leads", [("sort", sort)])
        except AssertionError as error:
            response = str(error)[:80]
            walked = []
        if [r["id"] for r in walked] != ordered(records, field, sort.startswith("-"), parse):
            failures.append((sort, response))
    assert not failures


async def test_a_page_that_straddles_values_and_nulls_keeps_its_total(
    client: Client, org: OrgSetup
) -> None:
    """A cursor page is read in segments (the values after the cursor, then the nulls, each
    its own index range): a page holding both is whole, in order, and carries the total."""
    key = org.crm_key
    valued = [await create(client, key, "leads", {"name": f"V{n}", "value": n}) for n in (3, 1, 2)]
    empty = [await create(client, key, "leads", {"name": f"N{n}"}) for n in range(3)]
    await create(client, key, "leads", {"name": "Other", "value": 9, "status": "Lost"})
    ascending = [r["id"] for r in sorted(valued, key=lambda r: Decimal(r["value"]))]
    nulls = [r["id"] for r in empty]
    orders = {"value": [*ascending, *nulls], "-value": [*ascending[::-1], *nulls[::-1]]}
    for (sort, expected), per_page in itertools.product(orders.items(), (2, 3)):
        # per_page 2: a page holds a value and a null; 3: a page starts right at the boundary
        params = [("sort", sort), ("status[ne]", "Lost"), ("per_page", str(per_page))]
        pages = []
        cursor: str | None = None
        while True:
            more = [("cursor", cursor)] if cursor else []
            body = await page_of(client, key, "leads", [*params, *more])
            assert (body["total"], body["total_relation"]) == (6, "eq"), (sort, body)
            pages.append([record["id"] for record in body["data"]])
            if not body["has_more"]:
                break
            cursor = body["next_cursor"]
        chunks = [expected[at : at + per_page] for at in range(0, 6, per_page)]
        assert pages == chunks, (sort, per_page)


@pytest.mark.parametrize("per_page", [1, 2, 3, 5])
async def test_empty_values_come_last_in_both_directions_on_every_page(
    client: Client, org: OrgSetup, per_page: int
) -> None:
    """Issue 23, defect 7: `sort=-value` started with the records without a value. In both
    directions, on standard money, text and integer keys and a custom field, the list ends
    with its empty values, and cursor walks and numbered pages of every size read each record
    once, in that order, across the boundary between values and empties."""
    key = org.crm_key
    await add_field(client, key, "leads", {"key": "cf_code", "label": "C", "type": "text"})
    records = []
    for n in range(11):
        body: dict[str, Any] = {"name": f"L{n}"}
        if n % 3:
            body["value"] = (n * 37) % 5
            body["company"] = f"Co {(n * 7) % 4}"
            body["cf_code"] = f"C{n % 2}"
            body["employees"] = n % 4
        records.append(await create(client, key, "leads", body))
    empty = {r["id"] for r in records if r["value"] is None}
    parse: dict[str, Callable[[Any], Any]] = {"value": Decimal}
    for field in ("value", "company", "cf_code", "employees"):
        for sort in (field, f"-{field}"):
            expected = ordered(records, field, sort.startswith("-"), parse.get(field, same))
            assert set(expected[-len(empty) :]) == empty, sort
            params = [("sort", sort)]
            assert await ids(client, key, "leads", params) == expected, sort
            walked = await walk_cursor(client, key, "leads", params, per_page=per_page)
            assert [r["id"] for r in walked] == expected, (sort, per_page)
            paged = await walk_pages(client, key, "leads", params, per_page=per_page)
            assert [r["id"] for r in paged] == expected, (sort, per_page)
            # A filter that keeps some of each: the count and the order hold.
            narrowed = [*params, ("name[ne]", "L1"), ("per_page", str(per_page))]
            body = await page_of(client, key, "leads", narrowed)
            assert (body["total"], body["total_relation"]) == (10, "eq")
            kept = [i for i in expected if i != records[1]["id"]]
            assert [r["id"] for r in body["data"]] == kept[:per_page], sort


async def test_a_cursor_walk_on_a_boolean_sort_key(client: Client, org: OrgSetup) -> None:
    key = org.crm_key
    records = [
        await create(client, key, "leads", {"name": f"B{n}", "email_opt_out": n % 3 == 0})
        for n in range(9)
    ]
    for sort in ("email_opt_out", "-email_opt_out"):
        walked = await walk_cursor(client, key, "leads", [("sort", sort)], per_page=2)
        expected = ordered(records, "email_opt_out", sort.startswith("-"), same)
        assert [r["id"] for r in walked] == expected


async def test_equal_sort_values_are_ordered_by_id(client: Client, org: OrgSetup) -> None:
    key = org.crm_key
    made = [
        await create(client, key, "leads", {"name": "Same", "value": 10, "company": "Same"})
        for _ in range(9)
    ]
    same_ids = [r["id"] for r in made]
    for sort in ("name", "value", "company", "status", "email_opt_out"):
        assert await ids(client, key, "leads", [("sort", sort)]) == same_ids
        assert await ids(client, key, "leads", [("sort", f"-{sort}")]) == same_ids[::-1]
        if sort == "email_opt_out":
            continue  # cursors on boolean keys: test_a_cursor_walk_on_a_boolean_sort_key
        walked = await walk_cursor(client, key, "leads", [("sort", sort)], per_page=2)
        assert [r["id"] for r in walked] == same_ids
        walked = await walk_cursor(client, key, "leads", [("sort", f"-{sort}")], per_page=4)
        assert [r["id"] for r in walked] == same_ids[::-1]
    # The same order on every request.
    first = await ids(client, key, "leads", [("sort", "name")])
    for _ in range(3):
        assert await ids(client, key, "leads", [("sort", "name")]) == first


async def test_sort_combined_with_filters_and_cursor(client: Client, org: OrgSetup) -> None:
    key = org.crm_key
    records = await forty_leads(client, key)
    chosen = [r for r in records if r["status"] in ("New", "Lost") and r["value"] is not None]
    expected = ordered(chosen, "value", True, Decimal)
    params = [("status[in]", "new,lost"), ("value[is_null]", "false"), ("sort", "-value")]
    assert await ids(client, key, "leads", params) == expected
    walked = await walk_cursor(client, key, "leads", params, per_page=3)
    assert [r["id"] for r in walked] == expected
    body = await page_of(client, key, "leads", [*params, ("per_page", "3")])
    assert (body["total"], body["total_relation"], body["has_more"]) == (len(chosen), "eq", True)
    # A cursor keeps the total of the whole match.
    next_page = await page_of(
        client, key, "leads", [*params, ("per_page", "3"), ("cursor", body["next_cursor"])]
    )
    assert next_page["total"] == len(chosen)


@pytest.mark.parametrize(
    ("sort", "behind", "ahead"),
    [
        ("name", "Aardvark", "Zulu"),  # new names sort before and after every existing one
        ("-name", "Zulu", "Aardvark"),
        ("-created_at", "Newest", None),  # new records are always behind the cursor
        ("", None, "Appended"),  # by id: new records are always ahead of it
    ],
)
async def test_a_cursor_walk_while_records_are_inserted(
    client: Client, org: OrgSetup, sort: str, behind: str | None, ahead: str | None
) -> None:
    """Records inserted behind the cursor never show up (and shift nothing: no record is seen
    twice or skipped); records inserted ahead of it show up once, in order."""
    key = org.crm_key
    existing = [
        await create(client, key, "leads", {"name": f"Lead {(n * 17) % 40:02d}"}) for n in range(40)
    ]
    params = [("sort", sort)] if sort else []
    field, parse = ("created_at", when) if "created_at" in sort else ("name", same)
    field = "id" if not sort else field
    descending = sort.startswith("-")
    expected_existing = ordered(existing, field, descending, parse)

    seen: list[dict[str, Any]] = []
    inserted_behind: set[int] = set()
    inserted_ahead: set[int] = set()
    cursor: str | None = None
    for round_number in range(100):
        extra = [("per_page", "7")] + ([("cursor", cursor)] if cursor else [])
        body = await page_of(client, key, "leads", [*params, *extra])
        seen += body["data"]
        if not body["has_more"]:
            break
        cursor = body["next_cursor"]
        for prefix, bucket in ((behind, inserted_behind), (ahead, inserted_ahead)):
            if prefix is not None:
                for n in range(3):
                    # later insertions sort later in the walk's direction
                    number = (
                        f"{round_number:02d}{n}"
                        if not descending
                        else f"{99 - round_number:02d}{9 - n}"
                    )
                    name = f"{prefix} {number}"
                    bucket.add((await create(client, key, "leads", {"name": name}))["id"])
    else:
        raise AssertionError("the cursor walk never ended")

    seen_ids = [r["id"] for r in seen]
    assert len(seen_ids) == len(set(seen_ids)), "a record was listed twice"
    assert [i for i in seen_ids if i not in inserted_ahead] == expected_existing
    assert not inserted_behind & set(seen_ids)
    assert inserted_ahead <= set(seen_ids)
    assert seen_ids == ordered(seen, field, descending, parse)
    assert (await page_of(client, key, "leads"))["total"] == 40 + len(inserted_behind) + len(
        inserted_ahead
    )


async def test_fields_selects_columns_and_id_is_always_there(client: Client, org: OrgSetup) -> None:
    key = org.crm_key
    await add_field(client, key, "leads", {"key": "cf_code", "label": "Code", "type": "text"})
    full = [await create(client, key, "leads", dict(body)) for body in FIVE_LEADS]
    cases: list[tuple[str, set[str]]] = [
        ("name,email", {"id", "name", "email"}),
        (" name , email ", {"id", "name", "email"}),
        ("email", {"id", "email"}),
        ("id", {"id"}),
        ("", {"id"}),
        ("id,version,created_at,owner", {"id", "version", "created_at", "owner"}),
        ("cf_code,value", {"id", "cf_code", "value"}),
    ]
    for fields, keys in cases:
        body = await page_of(client, key, "leads", [("fields", fields)])
        assert [r["id"] for r in body["data"]] == [r["id"] for r in full], fields
        for record, whole in zip(body["data"], full, strict=True):
            assert set(record) == keys, fields
            assert record == {k: whole[k] for k in keys}
    # The sort key may be left out; the cursor still works.
    walked = await walk_cursor(
        client, key, "leads", [("fields", "name"), ("sort", "-value")], per_page=2
    )
    assert [r["id"] for r in walked] == ordered(full, "value", True, Decimal)
    assert all(set(r) == {"id", "name"} for r in walked)
    # Filters on fields that are not selected still apply.
    body = await page_of(client, key, "leads", [("fields", "name"), ("status", "New")])
    assert body["data"] == [
        {"id": full[0]["id"], "name": "Asha Rao"},
        {"id": full[4]["id"], "name": "Eve 50%_off"},
    ]


async def test_page_walk_and_page_bounds(client: Client, org: OrgSetup) -> None:
    key = org.crm_key
    made = [(await create(client, key, "leads", {"name": f"P{n:02d}"}))["id"] for n in range(23)]
    default = await page_of(client, key, "leads")
    assert (default["page"], default["per_page"], default["total"]) == (1, 50, 23)
    assert [r["id"] for r in default["data"]] == made
    assert [r["id"] for r in await walk_pages(client, key, "leads", [], per_page=5)] == made
    assert [r["id"] for r in await walk_pages(client, key, "leads", [], per_page=23)] == made
    last = await page_of(client, key, "leads", [("page", "5"), ("per_page", "5")])
    assert [r["id"] for r in last["data"]] == made[20:]
    assert (last["has_more"], last["next_cursor"]) == (False, None)
    beyond = await page_of(client, key, "leads", [("page", "9"), ("per_page", "5")])
    assert (beyond["data"], beyond["has_more"], beyond["total"]) == ([], False, 23)
    # A filtered total rides with the page's rows; past the end it is still counted.
    narrowed = [("name[starts_with]", "P1"), ("page", "3"), ("per_page", "5")]
    filtered_beyond = await page_of(client, key, "leads", narrowed)
    assert (filtered_beyond["data"], filtered_beyond["total"]) == ([], 10)
    filtered_last = await page_of(
        client, key, "leads", [*narrowed[:1], ("page", "2"), *narrowed[2:]]
    )
    assert (len(filtered_last["data"]), filtered_last["total"]) == (5, 10)
    widest = await page_of(client, key, "leads", [("per_page", "200")])
    assert widest["per_page"] == 200
    first = await page_of(client, key, "leads", [("per_page", "1")])
    assert first["has_more"] is True
    assert first["next_cursor"]


async def test_page_numbers_are_ascii_digits(client: Client, org: OrgSetup) -> None:
    """str.isdigit takes a superscript two and an Arabic-Indic one: page=\u00b2 answered 500."""
    for value in ("\u00b2", "\u0661", "1000000000"):
        for name in ("page", "per_page"):
            response = await get_list(client, org.crm_key, "leads", [(name, value)])
            assert_invalid(response, name)


async def test_cursor_misuse_is_refused(client: Client, org: OrgSetup) -> None:
    key = org.crm_key
    for n in range(5):
        await create(client, key, "leads", {"name": f"C{n}", "value": n})
    by_name = await page_of(client, key, "leads", [("sort", "name"), ("per_page", "2")])
    cursor = by_name["next_cursor"]
    assert cursor
    # The cursor continues its own sort.
    body = await page_of(client, key, "leads", [("sort", "name"), ("cursor", cursor)])
    assert [r["name"] for r in body["data"]] == ["C2", "C3", "C4"]

    def refused(response: Response, *fields: str) -> None:
        assert_invalid(response, *fields)

    refused(
        await get_list(client, key, "leads", [("sort", "name"), ("cursor", cursor), ("page", "2")]),
        "cursor",
    )
    for other_sort in ("-name", "value", "id", ""):
        params = [("cursor", cursor)] + ([("sort", other_sort)] if other_sort else [])
        refused(await get_list(client, key, "leads", params), "cursor")
    by_id = (await page_of(client, key, "leads", [("per_page", "2")]))["next_cursor"]
    refused(await get_list(client, key, "leads", [("sort", "name"), ("cursor", by_id)]), "cursor")
    for garbage in (
        "garbage",
        "not a cursor!",
        "%%%",
        cursor[:-3],
        cursor + "x",
        base64.urlsafe_b64encode(b"[1,2]").decode(),
        cursor_of(["name"]),
        cursor_of(["name", "C1", "1"]),
        cursor_of({"sort": "name"}),
    ):
        params = [("sort", "name"), ("cursor", garbage)]
        refused(await get_list(client, key, "leads", params), "cursor")
    # An empty cursor is no cursor: the first page, as the OpenAPI document allows.
    first = await page_of(
        client, key, "leads", [("sort", "name"), ("cursor", ""), ("per_page", "2")]
    )
    assert first == by_name
    stamp_cursor = cursor_of(["created_at", "not a time", 1])
    params = [("sort", "created_at"), ("cursor", stamp_cursor)]
    refused(await get_list(client, key, "leads", params), "cursor")


async def test_forged_cursors_with_wrong_value_types_are_refused(
    client: Client, org: OrgSetup
) -> None:
    key = org.crm_key
    await create(client, key, "leads", {"name": "A", "value": 1, "employees": 2})
    forged = [
        ("value", cursor_of(["value", "abc", 1])),
        ("name", cursor_of(["name", [1], 1])),
        ("name", cursor_of(["name", {"a": 1}, 1])),
        ("created_at", cursor_of(["created_at", "2026-01-01T00:00:00", 1])),
        ("employees", cursor_of(["employees", "x", 1])),
        ("", cursor_of(["id", None, 2**70])),
        ("", cursor_of(["id", None, True])),
    ]
    statuses = []
    for sort, cursor in forged:
        params = [("cursor", cursor)] + ([("sort", sort)] if sort else [])
        statuses.append((await get_list(client, key, "leads", params)).status_code)
    assert statuses == [400] * len(forged)


# --- 4. Parameters are validated, every problem named ------------------------------------------


async def test_each_bad_parameter_is_named(client: Client, org: OrgSetup) -> None:
    key = org.crm_key
    await create(client, key, "leads", {"name": "Asha"})
    hundred_and_one = ",".join(str(n) for n in range(101))
    cases: list[tuple[str, str, str]] = [
        # (parameter, value, named field)
        ("nickname", "x", "nickname"),
        ("org_id", "org_x", "org_id"),
        ("custom", "x", "custom"),
        ("Name", "x", "Name"),
        ("name[bogus]", "x", "name[bogus]"),
        ("name[]", "x", "name[]"),
        ("email_opt_out[gt]", "true", "email_opt_out[gt]"),
        ("value[contains]", "1", "value[contains]"),
        ("created_at[starts_with]", "2026", "created_at[starts_with]"),
        ("value[gte]", "abc", "value[gte]"),
        ("value[gte]", "NaN", "value[gte]"),
        ("value[gte]", "1.001", "value[gte]"),
        ("employees", "1.5", "employees"),
        ("employees", "", "employees"),
        ("id", "99999999999999999999", "id"),
        ("created_at[gte]", "yesterday", "created_at[gte]"),
        ("employees[in]", hundred_and_one, "employees[in]"),
        ("name[in]", ",,", "name[in]"),
        ("name[contains]", "", "name[contains]"),
        ("value[is_null]", "maybe", "value[is_null]"),
        ("sort", "nope", "sort"),
        ("sort", "name,value", "sort"),
        ("sort", "-", "sort"),
        ("sort", "custom", "sort"),
        ("fields", "nope", "fields"),
        ("fields", "name,nope", "fields"),
        ("per_page", "201", "per_page"),
        ("per_page", "0", "per_page"),
        ("per_page", "abc", "per_page"),
        ("page", "0", "page"),
        ("page", "-1", "page"),
        ("page", "1.5", "page"),
        ("q", "x" * 201, "q"),
    ]
    for param, value, field in cases:
        response = await get_list(client, key, "leads", [(param, value)])
        assert_invalid(response, field)
    # Names in the messages: the unknown operator, sort key and field.
    body = assert_invalid(await get_list(client, key, "leads", [("name[bogus]", "x")]))
    assert "bogus" in body["details"][0]["message"]
    body = assert_invalid(await get_list(client, key, "leads", [("sort", "nope")]))
    assert "nope" in body["details"][0]["message"]
    body = assert_invalid(await get_list(client, key, "leads", [("fields", "name,zzz,yyy")]))
    messages = " ".join(d["message"] for d in body["details"])
    assert "zzz" in messages
    assert "yyy" in messages
    # The limits themselves are accepted.
    hundred = ",".join(str(n) for n in range(100))
    assert (await get_list(client, key, "leads", [("employees[in]", hundred)])).status_code == 200
    assert (await get_list(client, key, "leads", [("q", "x" * 200)])).status_code == 200
    # Sorting on a multi-picklist or line items is refused, like unknown keys.
    await add_field(client, key, "leads", {**CUSTOM_FIELDS[3]})
    assert_invalid(await get_list(client, key, "leads", [("sort", "cf_tags")]), "sort")
    assert_invalid(await get_list(client, key, "quotes", [("sort", "items")]), "sort")
    assert_invalid(await get_list(client, key, "quotes", [("items", "x")]), "items")


async def test_every_problem_is_named_at_once(client: Client, org: OrgSetup) -> None:
    params = [
        ("nickname", "x"),
        ("name[bogus]", "x"),
        ("email_opt_out[gt]", "true"),
        ("value[gte]", "abc"),
        ("employees", "1.5"),
        ("created_at[gte]", "yesterday"),
        ("status", "New"),  # a good one among them
        ("sort", "nope"),
        ("fields", "nope"),
        ("per_page", "201"),
        ("page", "0"),
    ]
    response = await get_list(client, org.crm_key, "leads", params)
    named = [p for p, _ in params if p != "status"]
    assert_invalid(response, *named)
    assert "status" not in error_fields(response)
    assert len(error_fields(response)) == len(named)


# --- 5. Totals --------------------------------------------------------------------------------


async def test_totals_are_exact_with_filters(client: Client, org: OrgSetup) -> None:
    key = org.crm_key
    await five_leads(client, key)
    for query, expected in (
        ([], 5),
        ([("status", "New")], 2),
        ([("value[gte]", "1000")], 3),
        ([("value[gte]", "1000"), ("status", "new")], 2),
        ([("name", "nobody")], 0),
    ):
        for paging in ([("per_page", "1")], [("per_page", "1"), ("page", "3")]):
            body = await page_of(client, key, "leads", [*query, *paging])
            assert (body["total"], body["total_relation"]) == (expected, "eq"), query
            assert body["has_more"] is (expected > int(dict(paging).get("page", "1")))


async def test_big_filtered_totals_are_a_labelled_lower_bound(
    client: Client, db: Database, org: OrgSetup
) -> None:
    """Unfiltered totals are exact from the kept count; filtered ones count up to 1,000."""
    key = org.crm_key
    await bulk_leads(db, org.org_id, 10_001)
    body = await page_of(client, key, "leads", [("per_page", "3")])
    assert (body["total"], body["total_relation"], body["has_more"]) == (10_001, "eq", True)
    assert [r["id"] for r in body["data"]] == [1, 2, 3]
    body = await page_of(client, key, "leads", [("name[starts_with]", "Bulk 0000")])
    assert (body["total"], body["total_relation"]) == (9, "eq")
    body = await page_of(client, key, "leads", [("id[lte]", "1000")])
    assert (body["total"], body["total_relation"]) == (1_000, "eq")
    body = await page_of(client, key, "leads", [("id[lte]", "10000")])
    assert (body["total"], body["total_relation"]) == (1_000, "gte")
    # A new record via the API lands after the bulk ones.
    created = await create(client, key, "leads", {"name": "After"})
    assert created["id"] == 10_002


# --- 6. Search and organization isolation ------------------------------------------------------


async def test_q_finds_by_name_word_email_fragment_and_company(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    key = org.crm_key
    asha, ravi, chen, _dana, eve = await five_leads(client, key)
    other = await make_org(db, peppers)
    await five_leads(client, other.crm_key)
    cases: list[tuple[str, set[int]]] = [
        ("Asha", {asha}),
        ("rao", {asha}),  # a word of the name, any case
        ("Kumar", {ravi}),
        ("acmepumps", {asha, chen}),  # a fragment of the email
        ("betatools", {ravi}),
        ("Beta", {ravi}),  # the company
        ("acme", {asha, chen}),
        ("Acme Pumps", {asha, chen}),
        ("Asha acme", {asha}),  # every word must match
        ("zzzzzz", set()),
    ]
    for q, expected in cases:
        body = await page_of(client, key, "leads", [("q", q), ("per_page", "200")])
        found = {r["id"] for r in body["data"]}
        assert found == expected, q
        assert body["total"] == len(expected)
    # q combines with filters and sorting.
    assert await ids(client, key, "leads", [("q", "acme"), ("status", "New")]) == [asha]
    assert await ids(client, key, "leads", [("q", "acme"), ("sort", "-name")]) == [chen, asha]
    assert await ids(client, key, "leads", [("q", "gamma")]) == [eve]


async def test_a_search_total_with_more_to_come_says_at_least(
    client: Client, org: OrgSetup
) -> None:
    """Searches are counted only as far as paging has seen: with more to come, at least that
    many and one more; on the last page, exactly."""
    key = org.crm_key
    for number in range(5):
        await create(client, key, "leads", {"name": f"Acme {number}"})
    first = await page_of(client, key, "leads", [("q", "acme"), ("per_page", "2")])
    assert (first["total"], first["total_relation"], first["has_more"]) == (3, "gte", True)
    last = await page_of(client, key, "leads", [("q", "acme"), ("per_page", "2"), ("page", "3")])
    assert (last["total"], last["total_relation"], last["has_more"]) == (5, "eq", False)


async def test_another_orgs_records_never_appear(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    other = await make_org(db, peppers)
    for setup in (org, other):
        await add_field(client, setup.crm_key, "leads", {**CUSTOM_FIELDS[1]})
    theirs = [
        await create(
            client,
            other.crm_key,
            "leads",
            {"name": f"Shared {n}", "company": "Acme", "value": 10, "cf_budget": 5},
        )
        for n in range(6)
    ]
    ours = [
        await create(
            client,
            org.crm_key,
            "leads",
            {"name": f"Shared {n}", "company": "Acme", "value": 10, "cf_budget": 5},
        )
        for n in range(3)
    ]
    our_ids = [r["id"] for r in ours]
    assert our_ids == [1, 2, 3]
    assert [r["id"] for r in theirs] == [1, 2, 3, 4, 5, 6]  # ids count per organization
    key = org.crm_key
    for params in (
        [],
        [("name[starts_with]", "Shared")],
        [("company", "Acme"), ("value", "10")],
        [("cf_budget", "5")],
        [("id[in]", "1,2,3,4,5,6")],
        [("id[gt]", "0")],
        [("q", "Shared")],
        [("q", "Acme")],
        [("sort", "-name")],
        [("created_by", org.owner_id)],
    ):
        body = await page_of(client, key, "leads", [*params, ("per_page", "200")])
        found = body["data"]
        assert sorted(r["id"] for r in found) == our_ids, params
        assert all(r["created_by"] == org.owner_id for r in found), params
        assert body["total"] == 3, params
    assert await ids(client, key, "leads", [("id", "5")]) == []
    assert await ids(client, key, "leads", [("created_by", other.owner_id)]) == []
    walked = await walk_cursor(client, key, "leads", [("sort", "name")], per_page=1)
    assert [r["id"] for r in walked] == our_ids
    # The export streams ours only, too.
    response = await client.get("/api/export/leads.csv", headers=bearer(key))
    assert response.status_code == 200, response.text
    rows = list(csv.DictReader(io.StringIO(response.text, newline="")))
    assert [int(row["id"]) for row in rows] == our_ids
    assert {row["created_by"] for row in rows} == {org.owner_id}
    response = await client.get(
        "/api/export/leads.csv", params={"q": "Shared", "id[gt]": "3"}, headers=bearer(key)
    )
    assert list(csv.DictReader(io.StringIO(response.text, newline=""))) == []


# --- 7. Odds and ends -------------------------------------------------------------------------


async def test_filters_see_values_written_straight_to_the_table(
    client: Client, db: Database, org: OrgSetup
) -> None:
    """created_at comparisons use the stored instant: a record stamped a day ago is found by a
    bound written in another zone."""
    key = org.crm_key
    old = await create(client, key, "leads", {"name": "Old"})
    new = await create(client, key, "leads", {"name": "New"})
    table = MODULE_TABLES["leads"]
    stamp = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    async with db.transaction() as session:
        await session.execute(
            update(table)
            .where(table.c.org_id == org.org_id, table.c.id == old["id"])
            .values(created_at=stamp, updated_at=stamp)
        )
    plus_one = timezone(timedelta(hours=1))
    assert await ids(
        client, key, "leads", [("created_at[lte]", stamp.astimezone(plus_one).isoformat())]
    ) == [old["id"]]
    assert await ids(client, key, "leads", [("created_at[gt]", "2026-01-01T12:00:00Z")]) == [
        new["id"]
    ]
    assert await ids(client, key, "leads", [("sort", "updated_at")]) == [old["id"], new["id"]]
