"""Store an uploaded CSV in the database as it arrives: CHUNK_ROWS rows a chunk, each chunk in a
short transaction of its own (a slow upload never holds SQLite's writer), so memory stays flat
whatever the file's size and any process can run the job. The job itself is created after the
last chunk, by the endpoint's unit of work; an upload that breaks off leaves chunks no job
refers to, deleted at once here or, if the process died, by retention (`import_uploads`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from finite.crm.imports import repository
from finite.crm.imports.cells import is_blank
from finite.crm.imports.columns import ColumnPlan, plan_columns
from finite.crm.imports.csv_stream import csv_batches, csv_problem
from finite.crm.modules.schema import RecordSchema
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.kit.errors import ErrorDetail, validation_error

CHUNK_ROWS = 500  # rows a chunk: one transaction of the runner's


@dataclass(frozen=True, slots=True)
class StoredUpload:
    plan: ColumnPlan
    total_rows: int  # blank lines are not rows
    total_chunks: int


async def store_upload(
    db: Database,
    org_id: str,
    job_id: str,
    schema: RecordSchema,
    body: AsyncIterator[bytes],
    *,
    needs_column: str | None = None,
) -> StoredUpload:
    """Raises a 400 naming `body` or `header` for a file that cannot be read, or `upsert_on`
    when `needs_column` (its field) has no column."""
    try:
        stored = await _store(db, org_id, job_id, schema, body)
        if needs_column is not None and all(c.key != needs_column for c in stored.plan.columns):
            raise validation_error(
                [ErrorDetail("upsert_on", "names a field no column of the file fills")]
            )
        return stored
    except BaseException:
        async with db.transaction() as session:
            await repository.drop_chunks(session, org_id, job_id)
        raise


async def _store(
    db: Database, org_id: str, job_id: str, schema: RecordSchema, body: AsyncIterator[bytes]
) -> StoredUpload:
    plan: ColumnPlan | None = None
    seq = total = 0
    next_row = 1  # the file's row numbers: the header is row 1
    now = utcnow()
    async for batch in csv_batches(body, CHUNK_ROWS):
        if plan is None:
            plan = plan_columns(schema, batch[0])
            batch = batch[1:]
            next_row = 2
            if not batch:
                continue
        async with db.transaction() as session:
            await repository.add_chunk(session, org_id, job_id, seq, next_row, batch, now)
        seq += 1
        next_row += len(batch)
        total += sum(1 for row in batch if not is_blank(row))
    if plan is None:
        raise csv_problem("is empty: send a header row naming the fields, then the rows")
    return StoredUpload(plan, total, seq)
