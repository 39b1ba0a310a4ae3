"""Every query on import jobs, their uploaded chunks and their problems; scoped by `org_id`
except the worker's claim, which looks across organizations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import msgspec
from sqlalchemy import delete, exists, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.retention.registry import RetentionKind, register
from finite.kit.ids import new_id
from finite.models.imports import IMPORT_FINISHED_STATUSES, ImportChunk, ImportJob, ImportProblem

ACTIVE = ("queued", "running")


def _register_job_rows(
    name: str, table: type[ImportProblem] | type[ImportChunk], default_days: int, about: str
) -> RetentionKind:
    """A job's own rows, never removed while the job is queued or running."""
    return register(
        name,
        table,
        table.created_at,
        default_days=default_days,
        about=about,
        removable=~exists().where(
            ImportJob.org_id == table.org_id,
            ImportJob.id == table.job_id,
            ImportJob.status.in_(ACTIVE),
        ),
    )


# Finished jobs and their reports go after 30 days (FINITE_RETENTION_IMPORT_JOBS_DAYS); the
# rows of an upload that never became a job (the upload broke off) after a day.
JOBS_RETAINED = register(
    "import_jobs",
    ImportJob,
    ImportJob.created_at,
    default_days=30,
    about="finished CSV import jobs",
    removable=ImportJob.status.in_(IMPORT_FINISHED_STATUSES),
)
PROBLEMS_RETAINED = _register_job_rows(
    "import_problems", ImportProblem, 30, "CSV import error reports"
)
UPLOADS_RETAINED = _register_job_rows(
    "import_uploads", ImportChunk, 1, "rows of CSV uploads that no running import job needs"
)

Row = list[str]
_ROWS = msgspec.msgpack.Decoder(list[list[str]])


async def add_chunk(
    session: AsyncSession,
    org_id: str,
    job_id: str,
    seq: int,
    first_row: int,
    rows: Sequence[Row],
    now: datetime,
) -> None:
    await session.execute(
        insert(ImportChunk).values(
            org_id=org_id,
            job_id=job_id,
            seq=seq,
            first_row=first_row,
            rows=len(rows),
            data=msgspec.msgpack.encode(rows),
            created_at=now,
        )
    )


async def chunk(
    session: AsyncSession, org_id: str, job_id: str, seq: int
) -> tuple[int, list[Row]] | None:
    """The chunk's first row number and rows."""
    found = (
        await session.execute(
            select(ImportChunk.first_row, ImportChunk.data).where(
                ImportChunk.org_id == org_id, ImportChunk.job_id == job_id, ImportChunk.seq == seq
            )
        )
    ).first()
    return None if found is None else (int(found[0]), _ROWS.decode(found[1]))


async def drop_chunks(
    session: AsyncSession, org_id: str, job_id: str, below: int | None = None
) -> None:
    condition = [ImportChunk.org_id == org_id, ImportChunk.job_id == job_id]
    if below is not None:
        condition.append(ImportChunk.seq < below)
    await session.execute(delete(ImportChunk).where(*condition))


async def get_job(
    session: AsyncSession, org_id: str, job_id: str, *, for_update: bool = False
) -> ImportJob | None:
    query = select(ImportJob).where(ImportJob.org_id == org_id, ImportJob.id == job_id)
    if for_update:
        query = query.with_for_update()
    return (await session.scalars(query.execution_options(populate_existing=True))).first()


async def list_jobs(
    session: AsyncSession, org_id: str, limit: int, before: str | None
) -> list[ImportJob]:
    query = select(ImportJob).where(ImportJob.org_id == org_id)
    if before is not None:
        query = query.where(ImportJob.id < before)
    query = query.order_by(ImportJob.id.desc()).limit(limit)
    return list((await session.scalars(query)).all())


async def claim_job(session: AsyncSession, now: datetime, lease: timedelta) -> ImportJob | None:
    """Lease the oldest job waiting, or one whose runner's lease ran out (it died)."""
    job = (
        await session.scalars(
            select(ImportJob)
            .where(
                ImportJob.status.in_(ACTIVE),
                or_(ImportJob.lease_until.is_(None), ImportJob.lease_until < now),
            )
            .order_by(ImportJob.created_at)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
    ).first()
    if job is None:
        return None
    job.status = "running"
    job.lease_token = new_id("lease")
    job.lease_until = now + lease
    job.attempts += 1
    job.started_at = job.started_at or now
    await session.flush()
    return job


async def job_waiting(session: AsyncSession, now: datetime) -> bool:
    return bool(
        await session.scalar(
            select(
                exists().where(
                    ImportJob.status.in_(ACTIVE),
                    or_(ImportJob.lease_until.is_(None), ImportJob.lease_until < now),
                )
            )
        )
    )


async def add_problems(
    session: AsyncSession,
    org_id: str,
    job_id: str,
    problems: Sequence[tuple[int, int, str | None, str]],
    now: datetime,
) -> None:
    """(row, position, field, reason) each."""
    if problems:
        await session.execute(
            insert(ImportProblem),
            [
                {
                    "org_id": org_id,
                    "job_id": job_id,
                    "row": row,
                    "position": position,
                    "field": field,
                    "reason": reason[:1000],
                    "created_at": now,
                }
                for row, position, field, reason in problems
            ],
        )


async def problems_after(
    session: AsyncSession, org_id: str, job_id: str, after: tuple[int, int], limit: int
) -> list[tuple[int, int, str | None, str]]:
    """The report's lines in order, from past (row, position) on: read in pages."""
    row, position = after
    query = (
        select(ImportProblem.row, ImportProblem.position, ImportProblem.field, ImportProblem.reason)
        .where(
            ImportProblem.org_id == org_id,
            ImportProblem.job_id == job_id,
            or_(
                ImportProblem.row > row,
                (ImportProblem.row == row) & (ImportProblem.position > position),
            ),
        )
        .order_by(ImportProblem.row, ImportProblem.position)
        .limit(limit)
    )
    return [(int(r), int(p), f, m) for r, p, f, m in (await session.execute(query)).all()]


async def count_problems(session: AsyncSession, org_id: str, job_id: str) -> int:
    return int(
        await session.scalar(
            select(func.count()).where(
                ImportProblem.org_id == org_id, ImportProblem.job_id == job_id
            )
        )
        or 0
    )


async def finish(
    session: AsyncSession, job: ImportJob, status: str, now: datetime, error: str | None = None
) -> None:
    job.status = status
    job.error = error
    job.finished_at = now
    job.lease_until = None
    job.lease_token = None
    await session.flush()
    await drop_chunks(session, job.org_id, job.id)


async def set_status(
    session: AsyncSession, org_id: str, job_id: str, status: str, now: datetime
) -> None:
    await session.execute(
        update(ImportJob)
        .where(ImportJob.org_id == org_id, ImportJob.id == job_id)
        .values(status=status, finished_at=now, lease_until=None, lease_token=None)
    )
