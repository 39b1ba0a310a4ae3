"""The statements that read one list page (and its total), built once per query shape.

Building a list's statement per request (the filters, the sort, the cursor's segments, the
total's subquery) and then SQLAlchemy's cache key for it (a walk of the whole statement) took
~13 % of a server worker's CPU on a 50-record page (py-spy under wrk). Queries that differ
only in their values (the organization, the filters' values, the cursor, the page) share one
plan whose values are bindparams (build.list_params, build.after_params), run with
fast_read.fetch_prepared. Searches are still built per request: their words shape the SQL.
Filters whose value shapes the SQL (is_null, a multi-picklist's `contains`) keep it in the
statement, and in the shape: one plan per value.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, Table, bindparam, null
from sqlalchemy.util import LRUCache

from finite.crm.engine import CrmEngine
from finite.crm.modules.schema import RecordSchema
from finite.crm.records import repository
from finite.crm.records.counters import kept_total_params
from finite.crm.records.postgres_json import stored_json
from finite.crm.records.query.build import (
    after_params,
    capped_count,
    continue_after,
    first_segments,
    holds_values,
    list_params,
    list_select,
    page_parts,
)
from finite.crm.records.query.cursor import decode_cursor
from finite.crm.records.query.grammar import ListQuery

TOTAL_CAP = 1_000  # counting matches stops here; beyond it the total is a labelled lower bound
PAGE_LIMIT = "page_limit"  # the bindparam each part's LIMIT takes: rows still wanted, plus one


@dataclass(frozen=True, slots=True)
class PagePlan:
    matching: Select[Any]  # every match, in order, unpaged (to count a page past the end)
    # One statement per cursor segment (build.after_segments), each read only when the page
    # reaches it; each carries the total as its last column when the list is counted along.
    parts: tuple[Select[Any], ...]
    counted_along: bool
    prepared: bool  # built once for its shape: run with fetch_prepared, else with fetch_all
    # The same statements selecting each record's stored JSON instead of its columns
    # (records/postgres_json.py), laid out as JSON_AT ... SORT_AT say; None where there is none
    # (SQLite, modules with line items) or the page names its fields.
    json_parts: tuple[Select[Any], ...] | None = None


JSON_AT, ID_AT, CUSTOM_AT, SORT_AT = range(4)  # a json_parts row's columns (then the total)


_plans: LRUCache[Hashable, PagePlan] = LRUCache(500)


def page_plan(
    engine: CrmEngine, schema: RecordSchema, org_id: str, query: ListQuery, few_matches: bool
) -> tuple[PagePlan, dict[str, Any]]:
    """The plan for the query's page, and the values its statements take (but PAGE_LIMIT)."""
    cursor = decode_cursor(query.sort, query.cursor) if query.cursor is not None else None
    params: dict[str, Any] = {}
    if not query.q and not query.filters:
        params = kept_total_params(org_id, schema.name)
    if query.cursor is None and query.page > 1:
        params["page_offset"] = (query.page - 1) * query.per_page
    shape = _shape(engine, schema, query, cursor)
    if shape is None:
        return _built(engine, schema, org_id, query, cursor, few_matches, False), params
    plan = _plans.get(shape)
    if plan is None:
        plan = _plans[shape] = _built(engine, schema, org_id, query, cursor, False, True)
    params.update(list_params(org_id, query))
    if cursor is not None:
        params.update(after_params(query.sort, *cursor))
    return plan, params


def _shape(
    engine: CrmEngine, schema: RecordSchema, query: ListQuery, cursor: tuple[Any, int] | None
) -> Hashable | None:
    """What the SQL of a page depends on besides values; None for a search."""
    if query.q:
        return None
    filters = tuple(
        (found.field.key, found.custom, found.op, found.value if holds_values(found) else None)
        for found in query.filters
    )
    sort = (query.sort.field.key, query.sort.custom, query.sort.descending)
    after = None if cursor is None else cursor[0] is None  # a null last value: other segments
    paged = query.cursor is None and query.page > 1
    every_field = query.fields is None
    # The module by name, not the schema: hashing its ~30 standard fields cost every request.
    return (engine.name, schema.name, schema.custom, filters, sort, after, paged, every_field)


def _built(
    engine: CrmEngine,
    schema: RecordSchema,
    org_id: str,
    query: ListQuery,
    cursor: tuple[Any, int] | None,
    few_matches: bool,
    placeholders: bool,
) -> PagePlan:
    module, table = schema.name, repository.table(schema.name)
    matching = list_select(
        engine, table, module, org_id, query, few_matches=few_matches, placeholders=placeholders
    )
    segments: Sequence[Any] = first_segments(table, query.sort)
    if cursor is not None:
        segments = continue_after(
            engine, table, module, org_id, query, *cursor, placeholders=placeholders
        )
    offset: Any = bindparam("page_offset") if cursor is None and query.page > 1 else None
    # The total rides along with the page as one more column: one round trip fewer.
    counted_along = not query.q
    total: list[Any] = []
    if counted_along and not query.filters:
        total = [engine.kept_total]
    elif counted_along:
        total = [capped_count(matching, TOTAL_CAP).scalar_subquery().label("capped_total")]

    def paged_parts(selected: Select[Any]) -> tuple[Select[Any], ...]:
        parts = page_parts(table, query.sort, selected, matching, segments, offset)
        return tuple(part.limit(bindparam(PAGE_LIMIT)) for part in parts)

    parts = paged_parts(matching.add_columns(*total))
    json_parts = None
    if query.fields is None and engine.stored_record_json(module):
        json_columns = _json_columns(schema, table, query)
        json_parts = paged_parts(matching.with_only_columns(*json_columns, *total))
    return PagePlan(matching, parts, counted_along, placeholders, json_parts)


def _json_columns(schema: RecordSchema, table: Table, query: ListQuery) -> list[Any]:
    """The stored JSON, the id, the custom values when the page shows or sorts by some, and
    the sort's value for the next cursor (laid out as JSON_AT, ID_AT, CUSTOM_AT, SORT_AT)."""
    wants_custom = bool(schema.custom) or query.sort.custom
    sorted_by = null() if query.sort.custom else table.c[query.sort.field.key]
    return [
        stored_json(schema.name),
        table.c.id,
        table.c.custom if wants_custom else null(),
        sorted_by,
    ]
