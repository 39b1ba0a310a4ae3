"""List pages from plans built once per query shape (crm/query/page_plans.py): the same pages,
totals and cursors as statements built per request, on SQLite and PostgreSQL, for every operator
on standard and custom fields, every sort, page and cursor paging; and which queries share a plan.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from finite.crm.engines import SQLITE
from finite.crm.modules.definitions import MODULES
from finite.crm.modules.schema import RecordSchema
from finite.crm.records.query import page_plans
from finite.crm.records.query.cursor import encode_cursor
from finite.crm.records.query.grammar import ListQuery, parse_list_query
from tests.crm.factories import CUSTOM_FIELDS, FIVE_LEADS, add_field, create, exact
from tests.factories import OrgSetup, bearer

Client = AsyncTestClient[Litestar]
LEADS = RecordSchema(MODULES["leads"], ())

# Each runs as given, then at page 2 of 2 records; every one is also walked by cursor.
QUERIES = (
    "",
    "status=New",
    "status[ne]=New",
    "status[in]=New,Lost&sort=name",
    "value[gte]=1000&sort=-value",
    "value[lt]=1000",
    "value[gt]=999.99&value[lte]=50000",
    "employees[gt]=10&sort=employees",
    "company[contains]=acme&sort=-company",
    "company[contains]=_",  # LIKE wildcards in values match themselves
    "name[starts_with]=ra&sort=-name",
    "email[is_null]=true",
    "email[is_null]=false&sort=email",
    "rating[is_null]=false&status=New",
    "email_opt_out=true&sort=-email_opt_out",
    "sort=-updated_at",
    "sort=rating",
    "sort=-rating",
    "cf_code=ABC-1",
    "cf_code[ne]=ABC-1&sort=cf_code",
    "cf_code[in]=ABC-1,XYZ-2",
    "cf_code[contains]=yz",
    "cf_budget[gte]=99&sort=-cf_budget",
    "cf_budget[in]=99,1500.5",
    "cf_region=eu",
    "cf_tags[contains]=blue",  # a multi-picklist value is part of its plan's shape
    "cf_seats[gt]=3&sort=cf_seats",
    "cf_vip=false&cf_budget[lt]=100",
    "q=acme",  # searches are built per request
)


def per_request(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every list builds its statements for its own values, as before plans."""
    monkeypatch.setattr(page_plans, "_shape", lambda *_: None)


async def answer(client: Client, key: str, query: str) -> dict[str, Any]:
    response = await client.get(f"/api/records/leads?{query}", headers=bearer(key))
    assert response.status_code == 200, (query, response.text)
    body: dict[str, Any] = exact(response)
    return {name: value for name, value in body.items() if name != "meta"}


async def answers(client: Client, key: str) -> list[dict[str, Any]]:
    found = []
    for query in QUERIES:
        found.append(await answer(client, key, query))
        found.append(await answer(client, key, f"{query}&page=2&per_page=2"))
        cursor = ""
        while True:
            page = await answer(client, key, f"{query}&per_page=2{cursor}")
            found.append(page)
            if page["next_cursor"] is None:
                break
            cursor = f"&cursor={page['next_cursor']}"
    return found


async def test_prepared_pages_equal_pages_built_per_request(
    client: Client, org: OrgSetup, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = org.crm_key
    for body in CUSTOM_FIELDS:
        await add_field(client, key, "leads", body)
    for body in FIVE_LEADS:
        await create(client, key, "leads", body)
    await create(client, key, "leads", {"name": "L1", "cf_code": "ABC-1", "cf_budget": 1500.5})
    await create(
        client,
        key,
        "leads",
        {"name": "L2", "cf_code": "XYZ-2", "cf_budget": 99, "cf_region": "US", "cf_seats": 3},
    )
    await create(
        client,
        key,
        "leads",
        {"name": "L3", "cf_region": "EU", "cf_tags": ["Blue"], "cf_seats": 10, "cf_vip": False},
    )
    assert plan_of("status=New").prepared
    prepared = await answers(client, key)
    assert sum(len(page["data"]) for page in prepared) > 100  # the queries do match records
    per_request(monkeypatch)
    assert not plan_of("status=New").prepared
    assert await answers(client, key) == prepared


def parsed(query: str) -> ListQuery:
    pairs = [tuple(pair.split("=", 1)) for pair in query.split("&") if pair]
    return parse_list_query(LEADS, [(name, value) for name, value in pairs])


def plan_of(query: str, org_id: str = "org_a") -> page_plans.PagePlan:
    return page_plans.page_plan(SQLITE, LEADS, org_id, parsed(query), False)[0]


def params_of(query: str, org_id: str = "org_a") -> dict[str, Any]:
    return page_plans.page_plan(SQLITE, LEADS, org_id, parsed(query), False)[1]


def test_queries_that_differ_only_in_values_share_one_plan() -> None:
    first = plan_of("status=New&value[gte]=10&sort=-updated_at", "org_a")
    assert first.prepared
    assert plan_of("status=Lost&value[gte]=99&sort=-updated_at", "org_b") is first
    assert plan_of("status[in]=New,Lost") is plan_of("status[in]=New,Lost,Contacted")
    assert plan_of("page=2&per_page=10") is plan_of("page=7&per_page=50")
    assert params_of("status=Lost&value[gte]=99&name[contains]=a_b", "org_b") == {
        "org_id": "org_b",
        "filter_0": "Lost",
        "filter_1": Decimal("99"),
        "filter_2": "%a\\_b%",
    }
    assert params_of("page=3&per_page=10") == {
        "org_id": "org_a",
        "kept_org_id": "org_a",  # the unfiltered total: the kept count
        "kept_module": "leads",
        "page_offset": 20,
    }


def test_the_values_that_shape_the_sql_get_their_own_plans() -> None:
    assert plan_of("email[is_null]=true") is not plan_of("email[is_null]=false")
    assert plan_of("status=New") is not plan_of("status[ne]=New")
    assert plan_of("status=New") is not plan_of("rating=Hot")
    assert plan_of("sort=name") is not plan_of("sort=-name")
    assert plan_of("page=1") is not plan_of("page=2")
    sort = parsed("sort=name").sort
    at_null = f"sort=name&cursor={encode_cursor(sort, None, 5)}"
    at_value = f"sort=name&cursor={encode_cursor(sort, 'Asha', 5)}"
    assert plan_of(at_null) is not plan_of(at_value)
    assert len(plan_of(at_value).parts) == 2  # the names beyond the cursor, then the nulls
    assert plan_of(f"sort=name&cursor={encode_cursor(sort, 'Zed', 9)}") is plan_of(at_value)
    # Empty values last: a descending first page reads the values, then the empties.
    assert len(plan_of("sort=-value").parts) == 2
    assert len(plan_of("sort=-value&page=3").parts) == 2
    assert len(plan_of("sort=value").parts) == len(plan_of("sort=-updated_at").parts) == 1


def test_searches_are_built_for_their_words() -> None:
    plan = plan_of("q=acme")
    assert not plan.prepared
    assert plan_of("q=acme") is not plan
