"""The import runner: claims a queued import job under a lease and writes it chunk by chunk.

Each chunk commits in one transaction together with its records, their audit rows and events,
its problems and the job's progress (`next_chunk`, the counters, the renewed lease), and the
chunk's uploaded rows are deleted in it. A runner killed at any point leaves the job at its last
committed chunk: once the lease runs out any runner (any `finite serve` with the inline worker,
any `finite worker`) takes the job again from there. Nothing is written twice, nothing lost.

The key that started the import is read again before every chunk: revoked, or its role no longer
allowed to create (and, for an upsert, update) in the module, the job fails at that chunk.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.accounts.roles import Action
from finite.core.auth.authenticate import principal_of_key
from finite.core.auth.principal import Principal
from finite.crm.fields.service import load_schema
from finite.crm.imports import repository
from finite.crm.imports.chunk_writer import ImportTarget, write_chunk
from finite.crm.imports.columns import column_plan_of
from finite.kit import db_errors
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.kit.errors import AppError
from finite.models.imports import ImportJob
from finite.platform.state import Platform

log = logging.getLogger("finite.imports")

LEASE = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class Progress:
    """The job after a committed chunk (for the CLI's progress bar)."""

    rows_done: int
    total_rows: int
    status: str


class ImportRunner:
    def __init__(
        self,
        db: Database,
        *,
        lease: timedelta = LEASE,
        idle_interval: float = 1.0,
        committed: Callable[[], None] | None = None,  # after each chunk: wake the delivery worker
    ) -> None:
        self.db = db
        self.lease = lease
        self.idle_interval = idle_interval
        self.committed = committed
        self._wake = asyncio.Event()
        self._stopping = False
        self._runner: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._runner = asyncio.create_task(self.run(), name="import-runner")

    def nudge(self) -> None:
        """A job was just queued in this process: look now, not at the next poll."""
        self._wake.set()

    async def stop(self) -> None:
        """The chunk in progress commits; then the job's lease is given back, so another runner
        resumes it at once."""
        self._stopping = True
        self._wake.set()
        if self._runner is not None:
            await self._runner
            self._runner = None

    async def run(self) -> None:
        while not self._stopping:
            try:
                worked = await self.run_once() if await self._job_waiting() else False
            except Exception as error:
                if not db_errors.unavailable(error):
                    log.exception("import runner step failed; retrying shortly")
                worked = False
                await asyncio.sleep(1)
            if not worked and not self._stopping:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.idle_interval)
            self._wake.clear()

    async def _job_waiting(self) -> bool:
        """One read, no transaction (SQLite's single writer) while idle."""
        async with self.db.read() as session:
            return await repository.job_waiting(session, utcnow())

    async def run_once(self) -> bool:
        """Claim one job and run it to its end (or this runner's stop); False when none waits."""
        async with self.db.transaction() as session:
            job = await repository.claim_job(session, utcnow(), self.lease)
            claimed = None if job is None else (job.org_id, job.id, job.lease_token or "")
        if claimed is None:
            return False
        await self.run_job(*claimed)
        return True

    async def run_job(
        self,
        org_id: str,
        job_id: str,
        token: str,
        progress: Callable[[Progress], None] | None = None,
    ) -> None:
        """Chunk after chunk while the lease is this runner's."""
        while not self._stopping:
            try:
                going = await self._next_chunk(org_id, job_id, token, progress)
            except Exception as error:
                if db_errors.unavailable(error):
                    raise  # the lease runs out; the job resumes where it stood
                log.exception("import %s failed", job_id)
                await self._fail(org_id, job_id, token, "an internal error stopped the import")
                return
            if self.committed is not None:
                self.committed()
            if not going:
                return
        async with self.db.transaction() as session:  # stopping: give the job back now
            job = await repository.get_job(session, org_id, job_id, for_update=True)
            if job is not None and job.lease_token == token:
                job.lease_until = None

    async def _next_chunk(
        self,
        org_id: str,
        job_id: str,
        token: str,
        progress: Callable[[Progress], None] | None,
    ) -> bool:
        """Commit the job's next chunk; False when the job ended or is no longer ours."""
        async with self.db.read() as session:
            job = await repository.get_job(session, org_id, job_id)
        if job is None or job.lease_token != token or job.status != "running":
            return False
        principal, refusal = await self._principal(job)
        target = None if principal is None else await self._target(job, principal)
        async with self.db.transaction() as session:
            job = await repository.get_job(session, org_id, job_id, for_update=True)
            if job is None or job.lease_token != token or job.status != "running":
                return False  # cancelled, or another runner took it after our lease ran out
            await self._write_next(session, job, target, refusal)
            done = Progress(job.rows_done, job.total_rows, job.status)
        if progress is not None:
            progress(done)
        return done.status == "running"

    async def _write_next(
        self,
        session: AsyncSession,
        job: ImportJob,
        target: ImportTarget | None,
        refusal: str | None,
    ) -> None:
        now = utcnow()
        if target is None:
            await repository.finish(session, job, "failed", now, refusal)
            return
        loaded = await repository.chunk(session, job.org_id, job.id, job.next_chunk)
        if job.next_chunk >= job.total_chunks or loaded is None:
            await repository.finish(session, job, "done", now)
            return
        first_row, rows = loaded
        outcome = await write_chunk(session, target, first_row, rows)
        await repository.add_problems(session, job.org_id, job.id, outcome.problems, now)
        job.rows_done += outcome.rows
        job.created += outcome.created
        job.updated += outcome.updated
        job.failed += outcome.failed
        job.next_chunk += 1
        job.last_row = outcome.last_row if outcome.stopped else first_row + len(rows) - 1
        job.lease_until = utcnow() + self.lease
        await session.flush()
        await repository.drop_chunks(session, job.org_id, job.id, below=job.next_chunk)
        if outcome.stopped:
            row = outcome.problems[-1][0]
            await repository.finish(
                session, job, "failed", now, f"stopped at row {row}, which failed"
            )
        elif job.next_chunk >= job.total_chunks:
            await repository.finish(session, job, "done", now)

    async def _principal(self, job: ImportJob) -> tuple[Principal | None, str | None]:
        try:
            principal = await principal_of_key(self.db, job.key_id, "crm")
        except AppError:
            return None, "the key that started the import is no longer valid"
        actions: tuple[Action, ...] = ("create", "edit") if job.upsert_on else ("create",)
        for action in actions:
            if not principal.may(job.module, action):
                return None, f"the key's role can no longer {action} {job.module}"
        return principal, None

    async def _target(self, job: ImportJob, principal: Principal) -> ImportTarget:
        async with self.db.read() as session:
            schema = await load_schema(
                session, job.org_id, job.module, principal.custom_fields_version
            )
        return ImportTarget(
            principal=principal,
            schema=schema,
            plan=column_plan_of(job),
            upsert_on=job.upsert_on,
            dry_run=job.dry_run,
            stop_on_error=job.stop_on_error,
            audit_path=f"/api/import/jobs/{job.id}",
            request_id=job.request_id,
            client_ip=job.client_ip,
        )

    async def _fail(self, org_id: str, job_id: str, token: str, reason: str) -> None:
        async with self.db.transaction() as session:
            job = await repository.get_job(session, org_id, job_id, for_update=True)
            if job is not None and job.lease_token == token and job.status == "running":
                await repository.finish(session, job, "failed", utcnow(), reason)


RUNNER = "imports"


def import_runner(platform: Platform) -> ImportRunner:
    """The runner inside `finite serve` (platform.worker_factories)."""
    return ImportRunner(
        platform.db,
        lease=timedelta(seconds=platform.settings.import_lease_seconds),
        committed=platform.nudge_worker,
    )


def nudge_imports(platform: Platform) -> None:
    platform.nudge(RUNNER)
