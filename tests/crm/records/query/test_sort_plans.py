"""Sorted lists read only their page: for every sortable field of every module, in both
directions, the first page comes from an index in order (no sort of every record), and a
cursor's continuation seeks into that index (its bound is an index condition, not a filter over
every earlier row). Checked in the engines' own query plans."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from finite.crm.engine import crm_engine
from finite.crm.modules.definitions import MODULES
from finite.crm.modules.fields import Field
from finite.crm.modules.schema import SYSTEM_FIELDS
from finite.crm.modules.tables import MAX_INDEXED_CHARS, MODULE_TABLES, indexable, sort_indexed
from finite.crm.records.query.build import (
    NOT_NULL_COLUMNS,
    capped_count,
    continue_after,
    first_segments,
    list_select,
    page_parts,
)
from finite.crm.records.query.grammar import Filter, ListQuery, Sort
from finite.kit.db import Database
from tests.query_plans import query_plan

SAMPLE_VALUES: dict[str, Any] = {
    "integer": 5,
    "lookup": 5,
    "decimal": Decimal("1.5000"),
    "money": Decimal("1.50"),
    "percent": Decimal("1.5000"),
    "date": date(2024, 1, 1),
    "datetime": datetime(2024, 1, 1, 12, tzinfo=UTC),
    "boolean": True,
}


def sorted_fields(module: str) -> list[Field]:
    """Every key a list of `module` can sort by that an index serves."""
    spec = MODULES[module]
    keys = ["id", "created_at", "updated_at", *sort_indexed(spec)]
    title = next(field for field in spec.fields if field.required)
    if indexable(title):
        keys.append(title.key)
    return [SYSTEM_FIELDS.get(key) or spec.field(key) for key in dict.fromkeys(keys)]  # type: ignore[misc]


def sample(field: Field) -> Any:
    if field.key in ("created_at", "updated_at"):
        return SAMPLE_VALUES["datetime"]
    return SAMPLE_VALUES.get(field.type, "m")


async def plan(session: AsyncSession, statement: Select[Any]) -> str:
    """With PostgreSQL steered off whole-table scans and sorts: a sort or a filter that remains
    is the only way the engine has."""
    return await query_plan(session, statement, avoid=("seqscan", "bitmapscan", "sort"))


def seeks_on(dialect: str, steps: str, key: str) -> bool:
    """Whether the plan's index access is bounded by `key` (a seek), not only by org_id."""
    if dialect == "postgresql":
        conditions = [line for line in steps.splitlines() if "Index Cond" in line]
        return any(key in line for line in conditions)
    searches = [line for line in steps.splitlines() if "USING" in line and "INDEX" in line]
    return any(f"AND {key}" in line or f"({key}," in line for line in searches)


def test_every_sortable_field_short_enough_for_an_index_has_one() -> None:
    for module, spec in MODULES.items():
        indexed = {field.key for field in sorted_fields(module)}
        for field in spec.fields:
            short = field.length_limit is None or field.length_limit <= MAX_INDEXED_CHARS
            if field.kind.sortable and field.type != "long_text" and short:
                assert field.key in indexed, (module, field.key)


def ordered(steps: str) -> bool:
    return "Sort" not in steps and "TEMP B-TREE" not in steps


@pytest.mark.parametrize("module", list(MODULES))
async def test_sorted_pages_and_cursors_are_read_from_an_index(db: Database, module: str) -> None:
    """Every statement of a page (build.page_parts: one per segment, empty values in a
    segment of their own where one index scan cannot put them last) reads an index in order;
    a page read in segments, and every cursor's continuation, seeks to its segment."""
    table = MODULE_TABLES[module]
    failures: list[tuple[str, bool, Any, str]] = []
    async with db.read(snapshot=True) as session:  # SET LOCAL needs a transaction
        engine = crm_engine(session)
        dialect = engine.name
        for field in sorted_fields(module):
            for descending in (False, True):
                sort = Sort(field, descending, False)
                first = list_select(engine, table, module, "org_x", ListQuery(sort=sort))
                pages: dict[Any, Any] = {"page 1": first_segments(table, sort)}
                for last_value in (sample(field), None):
                    if last_value is None and field.key in NOT_NULL_COLUMNS:
                        continue
                    pages[last_value] = continue_after(
                        engine, table, module, "org_x", ListQuery(sort=sort), last_value, 7
                    )
                for at, segments in pages.items():
                    offsets = (None, 100) if at == "page 1" else (None,)
                    for offset in offsets:
                        parts = page_parts(table, sort, first, first, segments, offset)
                        for part in parts:
                            steps = await plan(session, part.limit(51))
                            seeks = len(parts) == 1 and at == "page 1"
                            if not ordered(steps) or not (
                                seeks or seeks_on(dialect, steps, field.key)
                            ):
                                failures.append((field.key, descending, (at, offset), steps))
                if dialect == "sqlite":  # its export reads the list as one statement
                    steps = await plan(session, first)
                    if not ordered(steps):
                        failures.append((field.key, descending, "export", steps))
    assert not failures, failures[:3]


async def test_a_filtered_count_reads_the_filters_index_not_the_sorts(db: Database) -> None:
    """The capped total of `status=New&sort=-value` counts through a status index; with the
    list's ORDER BY it walked the value index checking every record's status."""
    table, spec = MODULE_TABLES["leads"], MODULES["leads"]
    status, value = spec.field("status"), spec.field("value")
    assert status is not None
    assert value is not None
    query = ListQuery(filters=[Filter(status, "eq", "New", False)], sort=Sort(value, True, False))
    async with db.read(snapshot=True) as session:
        engine = crm_engine(session)
        dialect = engine.name
        counting = capped_count(list_select(engine, table, "leads", "org_x", query), 1000)
        steps = await plan(session, counting)
    assert "ix_crm_leads_sort_value" not in steps, steps
    if dialect == "sqlite":  # PostgreSQL's choice among indexes of empty tables is a toss-up
        assert "_status" in steps, steps
