"""The rules of CRM records: validation, versions, line items, outbox events. Who may act is
declared on the route (crm/auth.py).

Never commits: the unit of work owns the transaction, so the change, its audit row and its event
commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import msgspec
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.auth.principal import Principal
from finite.core.events.outbox import look_up_endpoints, record_event
from finite.crm.engine import CrmEngine, crm_engine
from finite.crm.modules.schema import RecordSchema
from finite.crm.records import page_json, repository
from finite.crm.records.line_items import Line, out_of_range, totals
from finite.crm.records.postgres_json import json_is_current
from finite.crm.records.query.build import capped_count, wants_match_probe
from finite.crm.records.query.cursor import encode_cursor
from finite.crm.records.query.grammar import ListQuery
from finite.crm.records.query.page_plans import (
    ID_AT,
    JSON_AT,
    PAGE_LIMIT,
    TOTAL_CAP,
    PagePlan,
    page_plan,
)
from finite.crm.records.query.search import sqlite_match_probe
from finite.crm.records.references import check_references
from finite.crm.records.serialize import (
    custom_to_json,
    json_safe,
    line_row,
    row_reader,
    snapshot,
)
from finite.crm.records.validation import Changes, validate
from finite.kit.clock import utcnow
from finite.kit.errors import AppError, ErrorDetail, not_found, validation_error
from finite.kit.fast_read import Source, fetch_all, fetch_prepared
from finite.platform.unit_of_work import Changed

FEW_SEARCH_MATCHES = 500  # SQLite sorts up to this many matches rather than walk an index
MAX_RECORD_ID = 2**63 - 1


# The record after the change (before it, for a delete) and the field diff for the audit row.
RecordChange = Changed[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Page:
    records: list[dict[str, Any]] | msgspec.Raw  # Raw: the JSON array, read ready-made
    page: int
    per_page: int
    total: int
    total_relation: str  # "eq": exact; "gte": at least this many (counting stopped there)
    has_more: bool
    next_cursor: str | None


async def get_record(
    source: Source, principal: Principal, schema: RecordSchema, record_id: int
) -> dict[str, Any]:
    """One record. Runs only fast_read statements (`source`: a session or a raw_read())."""
    row = _possible(record_id) and await repository.read_record(
        source, principal.org_id, schema.name, record_id
    )
    if not row:
        raise not_found(f"No {schema.name} record with id {record_id}.")
    read = row_reader(schema, tuple(repository.table(schema.name).columns.keys()))
    lines = None
    if read.has_items:
        found = await repository.lines_of(source, principal.org_id, schema.name, [record_id])
        lines = found[record_id]
    return read(row, lines)


async def list_records(
    source: Source, principal: Principal, schema: RecordSchema, query: ListQuery
) -> Page:
    """A page of records. Runs only fast_read statements, so `source` may be a session or a
    Database.raw_read() connection."""
    org_id, table = principal.org_id, repository.table(schema.name)
    engine = crm_engine(source)
    few = await _few_search_matches(source, engine, schema.name, query)
    plan, params = page_plan(engine, schema, org_id, query, few)
    fetch = fetch_prepared if plan.prepared else fetch_all
    stored_json = plan.json_parts is not None and await json_is_current(source, schema.name)
    if stored_json and plan.json_parts is not None:
        rows, has_more = await _page_rows(source, fetch, plan.json_parts, params, query.per_page)
        # A row written while no trigger kept its JSON has none: built in Python, then.
        stored_json = all(row[JSON_AT] is not None for row in rows)
    if not stored_json:
        rows, has_more = await _page_rows(source, fetch, plan.parts, params, query.per_page)
    records: list[dict[str, Any]] | msgspec.Raw
    next_cursor = None
    if stored_json:
        records = page_json.records(schema, rows)
        if has_more and rows:
            sorted_by = page_json.sort_value(query.sort, rows[-1])
            next_cursor = encode_cursor(query.sort, sorted_by, rows[-1][ID_AT])
    else:
        read = row_reader(schema, tuple(table.columns.keys()))
        lines: dict[int, list[Any]] = {}
        if read.has_items:
            ids = [row[read.id_at] for row in rows]
            lines = await repository.lines_of(source, org_id, schema.name, ids)
        records = [read(row, lines.get(row[read.id_at])) for row in rows]
        if has_more and records:
            last = records[-1]
            next_cursor = encode_cursor(query.sort, last.get(query.sort.field.key), last["id"])
    if plan.counted_along and rows:
        total, relation = _counted(query, int(rows[0][-1] or 0))
    else:  # a search, or a page past the end (no row to carry the count)
        total, relation = await _total(
            source, org_id, schema.name, query, plan, params, len(rows), has_more
        )
    if query.fields is not None and isinstance(records, list):  # never stored JSON (page_plans)
        wanted = {"id", *query.fields}
        records = [{k: v for k, v in record.items() if k in wanted} for record in records]
    return Page(records, query.page, query.per_page, total, relation, has_more, next_cursor)


async def _page_rows(
    source: Source,
    fetch: Callable[[Source, Any, dict[str, Any]], Awaitable[list[Any]]],
    parts: tuple[Any, ...],
    params: dict[str, Any],
    per_page: int,
) -> tuple[list[Any], bool]:
    """The page's rows, and whether more follow. A later part (cursor segment) is read only
    when the page reaches it."""
    rows: list[Any] = []
    for part in parts:
        rows += await fetch(source, part, {**params, PAGE_LIMIT: per_page + 1 - len(rows)})
        if len(rows) > per_page:
            break
    return rows[:per_page], len(rows) > per_page


async def _few_search_matches(
    source: Source, engine: CrmEngine, module: str, query: ListQuery
) -> bool:
    """SQLite, a search sorted by another field than id: read its matches from the FTS5 index
    and sort them when they are few; otherwise walk the sort's index and keep the matches.
    SQLite's planner cannot tell the two apart (a rare word by the walk: 0.1-0.6 s at 1M
    records; a common word by the sort: ~1 s); PostgreSQL's statistics can."""
    if not query.q or not wants_match_probe(engine, module, query):
        return False
    probe = sqlite_match_probe(module, query.q, FEW_SEARCH_MATCHES)
    return int((await fetch_all(source, probe))[0][0]) <= FEW_SEARCH_MATCHES


async def _total(
    source: Source,
    org_id: str,
    module: str,
    query: ListQuery,
    plan: PagePlan,
    params: dict[str, Any],
    on_page: int,
    has_more: bool,
) -> tuple[int, str]:
    """Exact when cheap: the kept count when nothing narrows the list, else a count that stops
    at TOTAL_CAP and then says "at least". Searches are not counted beyond what paging has
    seen: counting every match of a common word costs far more than the search itself."""
    if not query.filters and not query.q:
        return await repository.count_records(source, org_id, module), "eq"
    if query.q:
        seen = on_page if query.cursor else (query.page - 1) * query.per_page + on_page
        exact = not has_more and query.cursor is None
        return (seen, "eq") if exact else (seen + int(has_more), "gte")
    counting = capped_count(plan.matching, TOTAL_CAP)
    return _counted(query, int((await fetch_all(source, counting, params))[0][0]))


def _counted(query: ListQuery, counted: int) -> tuple[int, str]:
    """The kept count is exact; a filtered count stops past TOTAL_CAP and says "at least"."""
    if not query.filters or counted <= TOTAL_CAP:
        return counted, "eq"
    return TOTAL_CAP, "gte"


def new_record_row(
    org_id: str, record_id: int, member_id: str | None, now: datetime, changes: Changes
) -> dict[str, Any]:
    """A new record's column values (a single create's, each of a batch's)."""
    return {
        "org_id": org_id,
        "id": record_id,
        "version": 1,
        "created_at": now,
        "updated_at": now,
        "created_by": member_id,
        "owner": changes.owner or member_id,
        "custom": custom_to_json(changes.custom),
        **changes.values,
    }


async def create_record(
    session: AsyncSession, principal: Principal, schema: RecordSchema, body: dict[str, Any]
) -> RecordChange:
    changes = validate(schema, body, creating=True)
    await check_references(session, principal.org_id, schema, changes)
    _raise_if_invalid(changes)
    org_id, now = principal.org_id, utcnow()
    await look_up_endpoints(session, org_id, "crm")  # before the id counter's row lock
    record_id = await repository.next_record_id(session, org_id, schema.name)
    member_id = principal.member.id if principal.member else None
    values = new_record_row(org_id, record_id, member_id, now, changes)
    if schema.module.line_items:
        values.update(_checked_totals(changes.lines or [], values["adjustment"]))
    row = await repository.insert_record(session, schema.name, values)
    if schema.module.line_items:
        await _store_lines(session, org_id, schema, record_id, changes)
    record = await _snapshot(session, org_id, schema, row)
    changed = [key for key in record if key not in ("id", "version", "created_at", "updated_at")]
    await _event(session, principal, schema, "create", record, changed)
    return Changed(
        record, {key: {"before": None, "after": json_safe(record[key])} for key in changed}
    )


async def update_record(
    session: AsyncSession,
    principal: Principal,
    schema: RecordSchema,
    record_id: int,
    body: dict[str, Any],
    if_match: int | None,
) -> RecordChange:
    org_id = principal.org_id
    changes = validate(schema, body, creating=False)
    await look_up_endpoints(session, org_id, "crm")  # before the record's row lock
    current_row = await _existing(session, org_id, schema, record_id, for_update=True)
    await check_references(session, org_id, schema, changes)
    _raise_if_invalid(changes)
    before = await _snapshot(session, org_id, schema, current_row)
    expected = changes.version if changes.version is not None else if_match
    if expected is not None and expected != current_row["version"]:
        raise _version_conflict(expected, before)

    values: dict[str, Any] = dict(changes.values)
    if changes.owner is not None:
        values["owner"] = changes.owner
    if changes.custom:
        values["custom"] = custom_to_json({**(current_row["custom"] or {}), **changes.custom})
    if schema.module.line_items and (changes.lines is not None or "adjustment" in values):
        lines = changes.lines if changes.lines is not None else _stored_lines(before)
        adjustment = values.get("adjustment", current_row["adjustment"]) or Decimal("0")
        values.update(_checked_totals(lines, adjustment))
    if changes.lines is not None:
        await _store_lines(session, org_id, schema, record_id, changes)
    changed_keys = [key for key in _compare(schema, before, values, changes) if key]
    if not changed_keys:
        return Changed(before, {})
    values["version"] = current_row["version"] + 1
    values["updated_at"] = utcnow()
    row = await repository.update_record(
        session, org_id, schema.name, record_id, current_row["version"], values
    )
    if row is None:
        fresh = await _existing(session, org_id, schema, record_id)
        raise _version_conflict(
            current_row["version"], await _snapshot(session, org_id, schema, fresh)
        )
    after = await _snapshot(session, org_id, schema, row)
    await _event(session, principal, schema, "update", after, changed_keys)
    diff = {
        key: {"before": json_safe(before.get(key)), "after": json_safe(after.get(key))}
        for key in changed_keys
    }
    return Changed(after, diff)


async def delete_record(
    session: AsyncSession,
    principal: Principal,
    schema: RecordSchema,
    record_id: int,
    if_match: int | None,
) -> RecordChange:
    """Refuses (409, listing them) while other records still point at this one."""
    org_id = principal.org_id
    await look_up_endpoints(session, org_id, "crm")  # before the record's row lock
    row = await _existing(session, org_id, schema, record_id, for_update=True)
    before = await _snapshot(session, org_id, schema, row)
    if if_match is not None and if_match != row["version"]:
        raise _version_conflict(if_match, before)
    paths = repository.standard_lookups_to(schema.name)
    paths += await repository.custom_lookups_to(session, org_id, schema.name)
    found = await repository.referrers(session, org_id, schema.name, record_id, paths)
    if found:
        raise AppError(
            409,
            "CONFLICT",
            f"Other records refer to {schema.name} {record_id}; change or delete them first.",
            [ErrorDetail(r.field, f"{r.module} {r.record_id}") for r in found],
            extra={
                "referrers": [
                    {"module": r.module, "id": r.record_id, "field": r.field} for r in found
                ]
            },
        )
    await repository.delete_record(session, org_id, schema.name, record_id)
    await _event(session, principal, schema, "delete", before, [])
    diff = {key: {"before": json_safe(value), "after": None} for key, value in before.items()}
    return Changed(before, diff)


def _possible(record_id: int) -> bool:
    """Beyond BIGINT the database would fail instead of finding nothing."""
    return 1 <= record_id <= MAX_RECORD_ID


async def _existing(
    session: AsyncSession,
    org_id: str,
    schema: RecordSchema,
    record_id: int,
    *,
    for_update: bool = False,
) -> RowMapping:
    row = _possible(record_id) and await repository.get_record(
        session, org_id, schema.name, record_id, for_update=for_update
    )
    if not row:
        raise not_found(f"No {schema.name} record with id {record_id}.")
    return row


async def _snapshot(
    session: AsyncSession, org_id: str, schema: RecordSchema, row: RowMapping | Mapping[str, Any]
) -> dict[str, Any]:
    lines = None
    if schema.module.line_items:
        lines = (await repository.lines_of(session, org_id, schema.name, [row["id"]]))[row["id"]]
    return snapshot(schema, row, lines)


async def _store_lines(
    session: AsyncSession, org_id: str, schema: RecordSchema, record_id: int, changes: Changes
) -> None:
    rows = [
        line_row(org_id, schema.name, record_id, position, line)
        for position, line in enumerate(changes.lines or (), start=1)
    ]
    await repository.replace_lines(session, org_id, schema.name, record_id, rows)


def _stored_lines(record: dict[str, Any]) -> list[Line]:
    return [
        Line(
            product_id=item["product_id"],
            description=item["description"],
            quantity=item["quantity"],
            list_price=item["list_price"],
            discount=item["discount"],
            tax_rate=item["tax_rate"],
        )
        for item in record.get("items", [])
    ]


def _compare(
    schema: RecordSchema, before: dict[str, Any], values: dict[str, Any], changes: Changes
) -> list[str]:
    changed = [key for key, value in values.items() if key != "custom" and before.get(key) != value]
    changed += [key for key, value in changes.custom.items() if before.get(key) != value]
    if changes.lines is not None:
        new_lines = [
            (
                line.product_id,
                line.description,
                line.quantity,
                line.list_price,
                line.discount,
                line.tax_rate,
            )
            for line in changes.lines
        ]
        old_lines = [
            (
                i["product_id"],
                i["description"],
                i["quantity"],
                i["list_price"],
                i["discount"],
                i["tax_rate"],
            )
            for i in before.get("items", [])
        ]
        if new_lines != old_lines:
            changed.append("items")
    return changed


async def _event(
    session: AsyncSession,
    principal: Principal,
    schema: RecordSchema,
    event: str,
    record: dict[str, Any],
    changed: list[str],
) -> None:
    await record_event(
        session,
        org_id=principal.org_id,
        product="crm",
        event=event,
        module=schema.name,
        record_id=record["id"],
        version=record["version"],
        data=record,
        changed_fields=changed,
    )


def _checked_totals(lines: list[Line], adjustment: Decimal) -> dict[str, Decimal]:
    found = totals(lines, adjustment)
    problems = out_of_range(found)
    if problems:
        raise validation_error(problems)
    return found.as_values()


def _raise_if_invalid(changes: Changes) -> None:
    if changes.errors:
        raise validation_error(changes.errors)


def _version_conflict(expected: int, current: dict[str, Any]) -> AppError:
    return AppError(
        409,
        "VERSION_CONFLICT",
        f"The record is at version {current['version']}, not {expected}; "
        "re-read it and apply your change again.",
        extra={"current": current},
    )
