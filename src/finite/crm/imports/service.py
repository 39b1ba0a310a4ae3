"""The rules of import jobs: what an upload's options must be, the job as the API shows it,
who sees a job, cancelling. Never commits (the endpoints' unit of work does)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.auth.principal import Principal
from finite.crm.export.csv_format import header_chunk, text_rows_chunk
from finite.crm.imports import repository
from finite.crm.imports.upload import StoredUpload
from finite.crm.modules.schema import RecordSchema
from finite.crm.records.batch_body import upsert_key_problem
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.kit.errors import conflict, not_found, validation_error
from finite.models.imports import ImportJob
from finite.platform.unit_of_work import Changed

REPORT_PAGE = 5000
REPORT_HEADER = ("row", "field", "reason")


@dataclass(frozen=True, slots=True)
class ImportOptions:
    upsert_on: str | None = None
    dry_run: bool = False
    stop_on_error: bool = False


def check_options(schema: RecordSchema, options: ImportOptions) -> None:
    """An upsert key is one of the module's, as a batch's is."""
    problem = upsert_key_problem(schema.module, options.upsert_on)
    if problem is not None:
        raise validation_error([problem])


def new_job(
    principal: Principal,
    schema: RecordSchema,
    job_id: str,
    filename: str,
    upload: StoredUpload,
    options: ImportOptions,
    request_id: str,
    client_ip: str | None,
) -> ImportJob:
    columns, ignored = upload.plan.as_json()
    return ImportJob(
        org_id=principal.org_id,
        id=job_id,
        module=schema.name,
        status="queued",
        filename=filename[:200],
        key_id=principal.key_id,
        member_id=principal.member.id if principal.member else None,
        request_id=request_id,
        client_ip=client_ip,
        upsert_on=options.upsert_on,
        dry_run=options.dry_run,
        stop_on_error=options.stop_on_error,
        columns=columns,
        ignored_columns=ignored,
        total_rows=upload.total_rows,
        total_chunks=upload.total_chunks,
        next_chunk=0,
        last_row=1,
        rows_done=0,
        created=0,
        updated=0,
        failed=0,
        attempts=0,
        created_at=utcnow(),
    )


async def queue_job(session: AsyncSession, job: ImportJob) -> Changed[dict[str, Any]]:
    session.add(job)
    await session.flush()
    view = job_view(job)
    return Changed(view, {"import": {"before": None, "after": _audited(view)}})


def job_view(job: ImportJob) -> dict[str, Any]:
    return {
        "id": job.id,
        "module": job.module,
        "status": job.status,
        "filename": job.filename,
        "dry_run": job.dry_run,
        "upsert_on": job.upsert_on,
        "stop_on_error": job.stop_on_error,
        "columns": [{"column": c["column"], "field": c["field"]} for c in job.columns],
        "ignored_columns": list(job.ignored_columns),
        "total_rows": job.total_rows,
        "rows_done": job.rows_done,
        # Every row up to this one (the file's numbering, the header is 1) has its outcome
        # committed: where an interrupted or stopped import stands.
        "committed_through_row": job.last_row,
        "created": job.created,
        "updated": job.updated,
        "failed": job.failed,
        "error": job.error,
        "attempts": job.attempts,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "errors_url": f"/api/import/jobs/{job.id}/errors.csv",
    }


def _audited(view: dict[str, Any]) -> dict[str, Any]:
    keep = ("id", "module", "filename", "dry_run", "upsert_on", "stop_on_error", "total_rows")
    return {key: view[key] for key in keep}


async def visible_job(session: AsyncSession, principal: Principal, job_id: str) -> ImportJob:
    """A job of the caller's organization in a module its role may import into; any other
    answers 404, as an unknown id does."""
    job = await repository.get_job(session, principal.org_id, job_id)
    if job is None or not principal.may(job.module, "create"):
        raise not_found(f"No import job with id {job_id}.")
    return job


async def cancel_job(
    session: AsyncSession, principal: Principal, job_id: str
) -> Changed[dict[str, Any]]:
    """Stops a queued or running job after the chunk in progress; what was committed stays."""
    await visible_job(session, principal, job_id)
    job = await repository.get_job(session, principal.org_id, job_id, for_update=True)
    assert job is not None
    if job.status not in repository.ACTIVE:
        raise conflict(f"The import job is {job.status} already.")
    before = job.status
    await repository.finish(session, job, "cancelled", utcnow())
    return Changed(job_view(job), {"status": {"before": before, "after": "cancelled"}})


async def error_report(db: Database, org_id: str, job_id: str) -> AsyncIterator[bytes]:
    """The report as CSV: row, field, reason; read a page at a time."""
    yield header_chunk(REPORT_HEADER)
    after = (0, 0)
    while True:
        async with db.read() as session:
            page = await repository.problems_after(session, org_id, job_id, after, REPORT_PAGE)
        if not page:
            return
        yield text_rows_chunk(
            ((str(row), field or "", reason) for row, _, field, reason in page), 3
        )
        after = (page[-1][0], page[-1][1])
