"""Batch writes: up to MAX_BATCH records of one module created, updated by id (with their
versions) or upserted on an upsert key (e.g. `email`), in the caller's one transaction.

Each record gets what a single write of it gets: the same validation, one event in the outbox
and, through the unit of work (`Audited`), one audit row. All or nothing unless `partial`: one
failing record refuses the batch (422, every failing record listed, nothing written); with
`partial`, the others are written and each failure is answered in its place.

Free of HTTP: the batch endpoint and the CSV import both call `apply_batch`.

Upserts: the records already holding each value are looked up after taking a lock per
(organization, module, key, value) — PostgreSQL's advisory locks, SQLite's write transaction —
so two batches upserting the same value at once create one record between them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.auth.principal import Principal
from finite.core.events.outbox import RecordEvent, look_up_endpoints, record_events
from finite.crm.modules.kinds import InvalidValue
from finite.crm.modules.schema import RecordSchema
from finite.crm.records import repository, service
from finite.crm.records.line_items import out_of_range, totals
from finite.crm.records.references import check_references
from finite.crm.records.serialize import json_safe, row_reader
from finite.crm.records.validation import Changes, validate
from finite.kit.clock import utcnow
from finite.kit.db import engine_of
from finite.kit.errors import AppError, ErrorDetail, conflict, invalid_field, validation_error
from finite.platform.unit_of_work import Audited

MAX_BATCH = 100
REJECTED = "BATCH_REJECTED"
_NOT_CHANGED = ("id", "version", "created_at", "updated_at")  # as a single create's event

Action = Literal["create", "update", "upsert"]


@dataclass(frozen=True, slots=True)
class BatchItem:
    """One record of a batch: `data` is what a create or update body holds. With `record_id`
    it updates that record; with `upsert_on` (an upsert key of the module) it updates the
    record holding the same value there, or creates one when none does."""

    index: int
    data: dict[str, Any]
    record_id: int | None = None
    upsert_on: str | None = None

    @property
    def action(self) -> Action:
        if self.record_id is not None:
            return "update"
        return "upsert" if self.upsert_on else "create"


@dataclass(frozen=True, slots=True)
class ItemOutcome:
    index: int
    status: int  # 201 created, 200 updated; a failure's own status (400, 404, 409)
    record: dict[str, Any] | None = None
    error: AppError | None = None

    def answer(self) -> dict[str, Any]:
        if self.error is None:
            assert self.record is not None
            return {
                "index": self.index,
                "status": self.status,
                "id": self.record["id"],
                "record": self.record,
            }
        return {
            "index": self.index,
            "status": self.status,
            "code": self.error.code,
            "error": self.error.message,
            "details": [{"field": d.field, "message": d.message} for d in self.error.details],
            **self.error.extra,
        }


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    items: list[ItemOutcome]  # in the batch's order
    audited: tuple[Audited, ...]  # one per record written

    @property
    def created(self) -> int:
        return sum(1 for item in self.items if item.status == 201)

    @property
    def updated(self) -> int:
        return sum(1 for item in self.items if item.status == 200)

    @property
    def failed(self) -> int:
        return sum(1 for item in self.items if item.error is not None)

    def answer(self) -> dict[str, Any]:
        return {
            "results": [item.answer() for item in self.items],
            "created": self.created,
            "updated": self.updated,
            "failed": self.failed,
        }


@dataclass(slots=True)
class _Run:
    """The batch as it goes: failures by index, and what was written."""

    items: Sequence[BatchItem]
    failed: dict[int, AppError] = field(default_factory=dict)
    done: dict[int, ItemOutcome] = field(default_factory=dict)
    audited: dict[int, Audited] = field(default_factory=dict)

    def fail(self, item: BatchItem, error: AppError) -> None:
        self.failed[item.index] = error


async def apply_batch(
    session: AsyncSession,
    principal: Principal,
    schema: RecordSchema,
    items: Sequence[BatchItem],
    *,
    partial: bool,
) -> BatchOutcome:
    """Write `items` (at most MAX_BATCH, the caller checked who may) in `session`'s
    transaction; raises the 422 BATCH_REJECTED AppError when one fails and not `partial`."""
    org_id = principal.org_id
    await look_up_endpoints(session, org_id, "crm")  # before any row lock
    run = _Run(items)
    matches = await _match_upserts(session, org_id, schema, items, run)
    creates: list[BatchItem] = []
    updates: list[tuple[BatchItem, int]] = []
    targeted: set[int] = set()
    for item in items:
        if item.index in run.failed:
            continue
        target = item.record_id if item.record_id is not None else matches.get(item.index)
        if target is None:
            creates.append(item)
        elif target in targeted:
            run.fail(item, invalid_field("id", "is changed by an earlier record of this batch"))
        else:
            targeted.add(target)
            updates.append((item, target))
    prepared = await _prepare_creates(session, org_id, schema, creates, run)
    # In id order: two batches changing the same records lock them in one order, no deadlock.
    for item, record_id in sorted(updates, key=lambda update: update[1]):
        try:  # refused before it writes anything (service.update_record)
            changed = await service.update_record(
                session, principal, schema, record_id, item.data, None
            )
        except AppError as error:
            run.fail(item, error)
            continue
        _wrote(run, schema, item, 200, changed.data, changed.diff or None)
    if run.failed and not partial:
        raise _rejected(run)
    if prepared:
        await _create(session, principal, schema, prepared, run)
    outcomes = [
        run.done[item.index]
        if item.index in run.done
        else ItemOutcome(item.index, run.failed[item.index].status, None, run.failed[item.index])
        for item in items
    ]
    return BatchOutcome(outcomes, tuple(run.audited[i] for i in sorted(run.audited)))


def _wrote(
    run: _Run,
    schema: RecordSchema,
    item: BatchItem,
    status: int,
    record: dict[str, Any],
    diff: dict[str, Any] | None,
) -> None:
    run.done[item.index] = ItemOutcome(item.index, status, record)
    action = "create" if status == 201 else "update"
    run.audited[item.index] = Audited(schema.name, record["id"], action, status, diff)


async def _match_upserts(
    session: AsyncSession,
    org_id: str,
    schema: RecordSchema,
    items: Sequence[BatchItem],
    run: _Run,
) -> dict[int, int | None]:
    """Each upserting item's record (None: none holds its value, it creates one)."""
    values: dict[str, dict[int, Any]] = defaultdict(dict)  # key → index → stored value
    for item in items:
        if item.action != "upsert":
            continue
        key = item.upsert_on
        assert key is not None
        spec = schema.field(key)
        assert spec is not None
        assert spec.upsert_key
        given = item.data.get(key)
        if given is None or given == "":
            run.fail(item, invalid_field(key, "is required to upsert on it"))
            continue
        try:
            value = spec.kind.convert(spec, given)
        except InvalidValue as invalid:
            run.fail(item, invalid_field(key, str(invalid)))
            continue
        if value in values[key].values():
            run.fail(item, invalid_field(key, "is upserted by an earlier record of this batch"))
            continue
        values[key][item.index] = value
    matches: dict[int, int | None] = {}
    if not values:
        return matches
    names = [
        f"crm.upsert:{org_id}:{schema.name}:{key}:{value}"
        for key, by_index in values.items()
        for value in by_index.values()
    ]
    await engine_of(session).lock_names(session, names)
    for key, by_index in values.items():
        found = await repository.ids_by_value(session, org_id, schema.name, key, by_index.values())
        for index, value in by_index.items():
            ids = found.get(value, [])
            if len(ids) > 1:
                run.failed[index] = conflict(
                    f"{len(ids)} {schema.name} records have this {key} "
                    f"(ids {', '.join(map(str, ids[:5]))}); update one by its id."
                )
            matches[index] = ids[0] if ids else None
    return matches


async def _prepare_creates(
    session: AsyncSession,
    org_id: str,
    schema: RecordSchema,
    creates: list[BatchItem],
    run: _Run,
) -> list[tuple[BatchItem, Changes]]:
    """The creates that will succeed, checked as a single create checks, before anything is
    written: a failure found later could not be left out of a partial batch."""
    prepared: list[tuple[BatchItem, Changes]] = []
    for item in creates:
        changes = validate(schema, item.data, creating=True)
        await check_references(session, org_id, schema, changes)
        if schema.module.line_items and not changes.errors:
            adjustment = changes.values.get("adjustment") or Decimal("0")
            changes.errors.extend(out_of_range(totals(changes.lines or [], adjustment)))
        if changes.errors:
            run.fail(item, validation_error(changes.errors))
        else:
            prepared.append((item, changes))
    return prepared


async def _create(
    session: AsyncSession,
    principal: Principal,
    schema: RecordSchema,
    prepared: list[tuple[BatchItem, Changes]],
    run: _Run,
) -> None:
    """Records without line items: their ids at once, one INSERT, one read back, one INSERT
    of their events. With line items (quotes, orders, invoices): one single create each."""
    if schema.module.line_items:
        for item, _ in prepared:
            created = await service.create_record(session, principal, schema, item.data)
            _wrote(run, schema, item, 201, created.data, created.diff)
        return
    org_id, now = principal.org_id, utcnow()
    member_id = principal.member.id if principal.member else None
    ids = await repository.next_record_ids(session, org_id, schema.name, len(prepared))
    blank = dict.fromkeys(repository.table(schema.name).columns.keys())
    rows = [
        {**blank, **service.new_record_row(org_id, record_id, member_id, now, changes)}
        for record_id, (_, changes) in zip(ids, prepared, strict=True)
    ]
    stored = await repository.insert_records(session, schema.name, rows)
    # One reader for the batch (snapshot() looks it up per row, hashing the schema each time);
    # every record it builds has the same keys, in the same order.
    read = row_reader(schema, tuple(stored[0].keys()))
    keys: list[str] = []
    events: list[RecordEvent] = []
    for record_id, row, (item, _) in zip(ids, stored, prepared, strict=True):
        record = read(tuple(row.values()), None)
        keys = keys or [key for key in record if key not in _NOT_CHANGED]
        events.append(RecordEvent("create", schema.name, record_id, 1, record, keys))
        diff = {key: {"before": None, "after": json_safe(record[key])} for key in keys}
        _wrote(run, schema, item, 201, record, diff)
    await record_events(session, org_id, "crm", events)


def _rejected(run: _Run) -> AppError:
    details: list[ErrorDetail] = []
    results = []
    for index in sorted(run.failed):
        error = run.failed[index]
        place = f"records[{index}]"
        details += [
            ErrorDetail(f"{place}.{d.field}" if d.field else place, d.message)
            for d in error.details
        ] or [ErrorDetail(place, error.message)]
        results.append(ItemOutcome(index, error.status, None, error).answer())
    return AppError(
        422,
        REJECTED,
        f"{len(run.failed)} of the batch's {len(run.items)} records cannot be written, so none "
        "was: fix them, or send ?partial=true to write the others.",
        details,
        extra={"results": results},
    )
