"""Write one chunk of an import's rows inside the caller's transaction: each good row becomes a
record (or, with `upsert_on`, updates the record whose field holds the row's value) with its
audit row and outbox event, exactly as a single create or update gives; each bad row adds its
problems to the outcome and leaves nothing behind (its own savepoint).

THE one place import rows are written. Today it goes through the records service row by row
(crm/records/service.py: create_record / update_record); the batch path (`apply_batch`) can take
its place here without the runner or the endpoints knowing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.audit.entries import job_audit_values
from finite.core.auth.principal import Principal
from finite.crm.imports.cells import is_blank, row_body
from finite.crm.imports.columns import ColumnPlan
from finite.crm.modules.kinds import InvalidValue
from finite.crm.modules.schema import RecordSchema
from finite.crm.records import repository
from finite.crm.records.references import check_references
from finite.crm.records.service import create_record, update_record
from finite.crm.records.validation import validate
from finite.kit.errors import AppError, ErrorDetail
from finite.models.events import AuditEntry

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
    audit_rows: list[dict[str, Any]] = []
    order = {column.key: column.index for column in target.plan.columns}
    for offset, row in enumerate(rows):
        if is_blank(row):
            continue
        number = first_row + offset
        outcome.rows += 1
        outcome.last_row = number
        problems = await _row(session, target, row, outcome, audit_rows)
        if problems:
            outcome.failed += 1
            problems.sort(key=lambda p: -1 if p.field is None else order.get(p.field, len(order)))
            outcome.problems += [
                (number, position, problem.field, problem.message)
                for position, problem in enumerate(problems, start=1)
            ]
            if target.stop_on_error:
                outcome.stopped = True
                break
    if audit_rows:
        await session.execute(insert(AuditEntry), audit_rows)
    return outcome


async def _row(
    session: AsyncSession,
    target: ImportTarget,
    row: list[str],
    outcome: ChunkOutcome,
    audit_rows: list[dict[str, Any]],
) -> list[ErrorDetail]:
    """Writes the row; or, when it is bad (or in a dry run), lists every problem it has."""
    schema, principal = target.schema, target.principal
    body, problems = row_body(target.plan, schema, row)
    existing: int | None = None
    if target.upsert_on is not None:
        # UPSERT: the record whose `upsert_on` field holds this row's value is updated.
        found = await _matching_record(session, target, body)
        if isinstance(found, ErrorDetail):
            problems.append(found)
        else:
            existing = found
    if problems or target.dry_run:
        changes = validate(schema, body, creating=existing is None)
        await check_references(session, principal.org_id, schema, changes)
        seen = {problem.field for problem in problems}
        problems += [error for error in changes.errors if error.field not in seen]
        if problems:
            return problems
        _count(outcome, existing)
        return []
    try:
        async with session.begin_nested():
            if existing is None:
                changed = await create_record(session, principal, schema, body)
            else:
                changed = await update_record(session, principal, schema, existing, body, None)
    except AppError as error:
        return error.details or [ErrorDetail(None, error.message)]
    _count(outcome, existing)
    if existing is None or changed.diff:
        audit_rows.append(
            job_audit_values(
                principal,
                method="POST",
                path=target.audit_path,
                status=201 if existing is None else 200,
                module=schema.name,
                record_id=changed.data["id"],
                action="create" if existing is None else "update",
                request_id=target.request_id,
                client_ip=target.client_ip,
                changes=changed.diff or None,
            )
        )
    return []


def _count(outcome: ChunkOutcome, existing: int | None) -> None:
    if existing is None:
        outcome.created += 1
    else:
        outcome.updated += 1


async def _matching_record(
    session: AsyncSession, target: ImportTarget, body: dict[str, Any]
) -> int | ErrorDetail | None:
    """UPSERT: the id of the one record whose key field holds the row's value (compared in its
    stored form: emails are stored in lower case, so they match in any case); None when no
    record does; a problem when the row has no value or several records match."""
    key = target.upsert_on
    assert key is not None
    spec = target.schema.field(key)
    assert spec is not None
    raw = body.get(key)
    if raw is None:
        return ErrorDetail(key, "is needed to find the record to update (upsert)")
    try:
        value = spec.kind.convert(spec, raw)
    except InvalidValue as invalid:
        return ErrorDetail(key, str(invalid))
    table = repository.table(target.schema.name)
    ids = (
        await session.scalars(
            select(table.c.id)
            .where(table.c.org_id == target.principal.org_id, table.c[key] == value)
            .limit(2)
        )
    ).all()
    if len(ids) > 1:
        return ErrorDetail(key, "matches more than one record; the row cannot say which")
    return int(ids[0]) if ids else None
