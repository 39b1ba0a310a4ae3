"""Lists whose best plan does not depend on their values run on connections that plan each
statement once (PostgreSQL's generic plans); every other list is planned for its values.
Checked: which query shapes qualify, that the two pools really differ, that a generic plan of a
qualifying shape reads exactly its page from one index for common and rare values alike (on
enough skewed data for the planner's estimates to matter), and that both pools list the same
records."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from finite.core.auth.authenticate import authenticate
from finite.crm.bulk import seed_records
from finite.crm.engines import POSTGRES
from finite.crm.fields.service import load_schema
from finite.crm.modules.definitions import MODULES
from finite.crm.modules.fields import Field
from finite.crm.modules.schema import SYSTEM_FIELDS
from finite.crm.modules.tables import MODULE_TABLES
from finite.crm.records import service
from finite.crm.records.query.build import (
    capped_count,
    continue_after,
    first_segments,
    list_select,
    page_parts,
)
from finite.crm.records.query.grammar import Filter, ListQuery, Sort, parse_list_query
from finite.crm.records.query.stable_plans import has_value_independent_plan
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from tests.factories import make_org
from tests.query_plans import generic_plan

LEADS = MODULE_TABLES["leads"]


def bearer_header(key: str) -> list[tuple[bytes, bytes]]:
    return [(b"authorization", f"Bearer {key}".encode())]


def field(key: str) -> Field:
    found = SYSTEM_FIELDS.get(key) or MODULES["leads"].field(key)
    assert found is not None
    return found


def query(sort: str = "id", *filters: tuple[str, str, Any], q: str | None = None) -> ListQuery:
    descending = sort.startswith("-")
    return ListQuery(
        filters=[Filter(field(key), op, value, False) for key, op, value in filters],
        q=q,
        sort=Sort(field(sort.lstrip("-")), descending, False),
    )


@pytest.mark.parametrize(
    "shape",
    [
        query(),
        query("-updated_at"),
        query("company"),
        query("-value"),
        query("-updated_at", ("status", "eq", "New")),
        query("updated_at", ("owner", "eq", "mem_x")),
        query("id", ("industry", "eq", "Finance")),
        query("-id", ("status", "eq", "Lost")),
    ],
)
def test_one_index_reading_exactly_the_page_qualifies(shape: ListQuery) -> None:
    assert has_value_independent_plan(LEADS, shape)


@pytest.mark.parametrize(
    "shape",
    [
        query(q="acme"),  # how many records match decides between the search and sort indexes
        query("-updated_at", ("value", "gte", 1000)),  # a range: selectivity decides
        query("id", ("company", "contains", "acme")),
        query("id", ("status", "in", ["New", "Lost"])),
        query("id", ("status", "ne", "New")),
        query("id", ("status", "is_null", True)),
        query("-value", ("status", "eq", "New")),  # no (status, value) index
        query("-updated_at", ("industry", "eq", "Finance")),  # no (industry, updated_at) index
        query("id", ("status", "eq", "New"), ("industry", "eq", "Finance")),
        query("description"),  # long text: no index, every match is sorted
    ],
)
def test_shapes_whose_best_index_depends_on_the_values_do_not(shape: ListQuery) -> None:
    assert not has_value_independent_plan(LEADS, shape)


def test_custom_fields_never_qualify() -> None:
    custom = Field("tier", "Tier", field("status").type)
    assert not has_value_independent_plan(
        LEADS, ListQuery(filters=[Filter(custom, "eq", "Gold", True)])
    )
    assert not has_value_independent_plan(LEADS, ListQuery(sort=Sort(custom, False, True)))


async def plan_cache_mode(db: Database, generic_plans: bool) -> str:
    async with db.raw_read(generic_plans=generic_plans) as connection:
        if connection.dialect.name != "postgresql":
            pytest.skip("SQLite prepares each statement once anyway")
        return str(await connection.driver.fetchval("SHOW plan_cache_mode"))


async def test_the_generic_pool_plans_once_and_the_other_for_the_values(db: Database) -> None:
    assert await plan_cache_mode(db, generic_plans=True) == "force_generic_plan"
    assert await plan_cache_mode(db, generic_plans=False) == "auto"


def reads_exactly_the_page(steps: str, keys: Sequence[str]) -> bool:
    """One index scan in order, every condition in the index's range (none left as a filter)."""
    conditions = "\n".join(line for line in steps.splitlines() if "Index Cond" in line)
    return (
        "Sort" not in steps
        and "Filter" not in steps
        and "Seq Scan" not in steps
        and all(key in conditions for key in keys)
    )


async def test_generic_plans_of_qualifying_lists_read_only_their_page(
    db: Database, peppers: Peppers
) -> None:
    """On 20,000 leads with skewed values (one status on 1 in 4,000 records, one organization
    100 times smaller), each qualifying shape's one plan reads exactly its page for a common
    and a rare value, in both organizations."""
    big = await make_org(db, peppers)
    small = await make_org(db, peppers)
    if db.is_sqlite:
        pytest.skip("SQLite has no generic plans")
    await seed_records(db, big.org_id, "leads", 20_000, owner=big.owner_id)
    await seed_records(db, small.org_id, "leads", 200, owner=small.owner_id)
    async with db.transaction() as session:
        await session.connection()
        await session.execute(LEADS.update().where(LEADS.c.id % 4000 == 7).values(status="Lost"))
    async with db.engine.connect() as connection:
        await connection.exec_driver_sql("ANALYZE crm_leads")

    moment = datetime(2024, 6, 1, tzinfo=UTC)
    shapes = [  # the shape, the filters its index range must hold, a cursor's sort value
        (query("-updated_at"), [], moment),
        (query("company"), [], "m"),
        (query("-value"), [], Decimal("5000")),
        (query("-updated_at", ("status", "eq", "New")), ["status"], moment),
        (query("-updated_at", ("status", "eq", "Lost")), ["status"], moment),
        (query("id", ("industry", "eq", "Finance")), ["industry"], None),
    ]
    failures = []
    for org_id in (big.org_id, small.org_id):
        for shape, keys, last_value in shapes:
            assert has_value_independent_plan(LEADS, shape)
            page = list_select(POSTGRES, LEADS, "leads", org_id, shape)
            # A descending sort on a nullable key: its values, then its empty ones.
            for part in page_parts(
                LEADS, shape.sort, page, page, first_segments(LEADS, shape.sort)
            ):
                steps = await generic_plan(db, part.limit(51))
                if not reads_exactly_the_page(steps, keys):
                    failures.append((org_id, shape, "page", steps))
            later = continue_after(POSTGRES, LEADS, "leads", org_id, shape, last_value, 9_000)
            steps = await generic_plan(
                db, page_parts(LEADS, shape.sort, page, page, later)[0].limit(51)
            )
            if "Sort" in steps or "Seq Scan" in steps:
                failures.append((org_id, shape, "cursor", steps))
            if shape.filters:
                steps = await generic_plan(db, capped_count(page, 1000))
                if "Seq Scan" in steps or not all(key in steps for key in keys):
                    failures.append((org_id, shape, "count", steps))
    assert not failures, failures[:2]


async def test_both_pools_list_the_same_records(db: Database, peppers: Peppers) -> None:
    org = await make_org(db, peppers)
    await seed_records(db, org.org_id, "leads", 300, owner=org.owner_id)
    principal = await authenticate(db, peppers, bearer_header(org.crm_key), "crm")
    async with db.raw_read() as connection:
        schema = await load_schema(connection, org.org_id, "leads")
    pages: dict[bool, list[Any]] = {}
    for generic_plans in (True, False):
        found = []
        for params in (
            [("sort", "-updated_at"), ("per_page", "200")],
            [("status", "New"), ("sort", "-updated_at")],
            [("industry", "Finance"), ("page", "2"), ("per_page", "10")],
        ):
            wanted = parse_list_query(schema, params)
            async with db.raw_read(generic_plans=generic_plans) as connection:
                page = await service.list_records(connection, principal, schema, wanted)
            found.append((page.records, page.total, page.total_relation, page.next_cursor))
        pages[generic_plans] = found
    assert pages[True] == pages[False]
    assert all(records for records, *_ in pages[True])
