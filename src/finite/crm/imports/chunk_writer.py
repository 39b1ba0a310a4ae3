"""Write one chunk of an import's rows inside the caller's transaction: each good row becomes a
record (or, with `upsert_on`, updates the record holding the row's value there) with its audit
row and outbox event, exactly as a batch write gives them; each bad row adds its problems to
the outcome and leaves nothing behind.

THE one place import rows are written, through the batch writer (crm/records/batch.py
`apply_batch`, sub-batches of up to MAX_BATCH rows), so an import and a batch call follow one
set of rules. A dry run writes each sub-batch in a savepoint and rolls it back: it reports what
a real run would, upserts and references included. Stop-on-error writes the rows before the
first failing one and stops there.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.audit.entries import insert_audit_rows, job_audit_values
from finite.core.auth.principal import Principal
from finite.crm.imports.cells import is_blank, row_body
from finite.crm.imports.columns import ColumnPlan
from finite.crm.modules.kinds import InvalidValue
from finite.crm.modules.schema import RecordSchema
from finite.crm.records.batch import MAX_BATCH, BatchItem, ItemOutcome, apply_batch
from finite.crm.records.references import check_references
from finite.crm.records.validation import validate
from finite.kit.errors import ErrorDetail

Problem = tuple[int, int, str | None, str]  # row, position, field, reason


@dataclass(frozen=True, slots=True)
class ImportTarget:
    """What every row of one job shares."""

    principal: Principal  # the key that asked, as it is now
    schema: RecordSchema
    plan: ColumnPlan
    upsert_on: str | None
    dry_run: bool
    stop_on_error: bool
    audit_path: str  # the job's path, on each record's audit row
    request_id: str  # the upload's
    client_ip: str | None


@dataclass(slots=True)
class ChunkOutcome:
    rows: int = 0  # rows read (blank lines are not rows)
    created: int = 0
    updated: int = 0
    failed: int = 0
    problems: list[Problem] = field(default_factory=list)
    stopped: bool = False  # stop_on_error, at the last failed row
    last_row: int = 0  # the file's number of the last row handled


async def write_chunk(
    session: AsyncSession, target: ImportTarget, first_row: int, rows: list[list[str]]
) -> ChunkOutcome:
    outcome = ChunkOutcome()
    pending: list[BatchItem] = []  # good rows so far, each indexed by its row number
    for offset, row in enumerate(rows):
        if is_blank(row):
            continue
        number = first_row + offset
        outcome.rows += 1
        outcome.last_row = number
        body, problems = row_body(target.plan, target.schema, row)
        if not problems:
            pending.append(BatchItem(number, body, upsert_on=target.upsert_on))
            continue
        # A row some cell of which cannot be read is never written: listed with every other
        # problem its fields have. With stop_on_error the rows before it are written first.
        if target.stop_on_error:
            await _write(session, target, pending, outcome)
            pending = []
            if outcome.stopped:
                return outcome
        seen = {problem.field for problem in problems}
        others = await _other_problems(session, target, body)
        _failed(target, outcome, number, problems + [p for p in others if p.field not in seen])
        if target.stop_on_error:
            outcome.stopped = True
            outcome.last_row = number
            return outcome
    await _write(session, target, pending, outcome)
    return outcome


async def _write(
    session: AsyncSession, target: ImportTarget, items: list[BatchItem], outcome: ChunkOutcome
) -> None:
    for batch in _batches(target, items):
        done = await _apply(session, target, batch)
        if target.stop_on_error:
            first = next((item for item in done if item.error is not None), None)
            if first is not None:
                # Undone whole (savepoint); the rows before the failing one are written again.
                done = await _apply(session, target, [i for i in batch if i.index < first.index])
                _count(outcome, done)
                _failed(target, outcome, first.index, _details(first))
                outcome.stopped = True
                outcome.last_row = first.index
                return
        _count(outcome, done)
        for item in done:
            if item.error is not None:
                _failed(target, outcome, item.index, _details(item))


async def _apply(
    session: AsyncSession, target: ImportTarget, batch: list[BatchItem]
) -> list[ItemOutcome]:
    """The sub-batch written in a savepoint; kept unless a dry run or (stop_on_error) a row of
    it failed. The records' audit rows are added with it."""
    if not batch:
        return []
    savepoint = await session.begin_nested()
    written = await apply_batch(session, target.principal, target.schema, batch, partial=True)
    failed = any(item.error is not None for item in written.items)
    if target.dry_run or (target.stop_on_error and failed):
        await savepoint.rollback()
        return written.items
    await savepoint.commit()
    await insert_audit_rows(
        session,
        [
            job_audit_values(
                target.principal,
                method="POST",
                path=target.audit_path,
                status=each.status,
                module=each.module,
                record_id=each.record_id,
                action=each.action,
                request_id=target.request_id,
                client_ip=target.client_ip,
                changes=each.diff or None,
            )
            for each in written.audited
        ],
    )
    return written.items


def _batches(target: ImportTarget, items: list[BatchItem]) -> Iterator[list[BatchItem]]:
    """Runs of at most MAX_BATCH rows in file order; a row upserting a value an earlier row of
    the run upserts starts the next run, so it updates the record that row wrote."""
    batch: list[BatchItem] = []
    values: set[Any] = set()
    for item in items:
        value = _upsert_value(target, item)
        if len(batch) == MAX_BATCH or (value is not None and value in values):
            yield batch
            batch, values = [], set()
        batch.append(item)
        if value is not None:
            values.add(value)
    if batch:
        yield batch


def _upsert_value(target: ImportTarget, item: BatchItem) -> Any:
    if target.upsert_on is None:
        return None
    spec = target.schema.field(target.upsert_on)
    given = item.data.get(target.upsert_on)
    if spec is None or given is None:
        return None
    try:
        return spec.kind.convert(spec, given)  # as stored: an email in any case is one value
    except InvalidValue:
        return None  # the batch writer reports it


async def _other_problems(
    session: AsyncSession, target: ImportTarget, body: dict[str, Any]
) -> list[ErrorDetail]:
    """The problems of a row's readable fields, found as a write would find them."""
    changes = validate(target.schema, body, creating=target.upsert_on is None)
    await check_references(session, target.principal.org_id, target.schema, changes)
    return list(changes.errors)


def _details(item: ItemOutcome) -> list[ErrorDetail]:
    assert item.error is not None
    return list(item.error.details) or [ErrorDetail(None, item.error.message)]


def _count(outcome: ChunkOutcome, done: list[ItemOutcome]) -> None:
    outcome.created += sum(1 for item in done if item.status == 201)
    outcome.updated += sum(1 for item in done if item.status == 200 and item.error is None)


def _failed(
    target: ImportTarget, outcome: ChunkOutcome, number: int, problems: list[ErrorDetail]
) -> None:
    """Every problem of the row once, in the order of the file's columns."""
    order = {column.key: column.index for column in target.plan.columns}
    unique: dict[tuple[str | None, str], ErrorDetail] = {}
    for problem in problems:
        unique.setdefault((problem.field, problem.message), problem)
    listed = sorted(
        unique.values(),
        key=lambda p: -1 if p.field is None else order.get(p.field, len(order)),
    )
    outcome.failed += 1
    outcome.problems += [
        (number, position, problem.field, problem.message)
        for position, problem in enumerate(listed, start=1)
    ]
