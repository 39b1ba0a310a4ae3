"""`finite import MODULE FILE`: a CSV import run from the command line, with progress bars.

The same job as POST /api/import/{module}.csv (the same checks, chunks, audit rows, events and
report), created already claimed by this process and run here; stopped part-way (Ctrl-C, a
kill), it is resumed by any `finite serve` or `finite worker` once its lease runs out.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from sqlalchemy import insert

from finite.cli.common import run
from finite.config import Settings
from finite.core.accounts.roles import Action
from finite.core.audit.entries import job_audit_values
from finite.core.auth.authenticate import authenticate
from finite.crm.fields.service import load_schema
from finite.crm.imports import service
from finite.crm.imports.runner import ImportRunner
from finite.crm.imports.upload import store_upload
from finite.crm.modules.definitions import MODULES
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.kit.errors import forbidden
from finite.kit.ids import new_id
from finite.models.events import AuditEntry
from finite.models.imports import ImportJob

READ_BYTES = 1024 * 1024


def import_csv(
    module: Annotated[str, typer.Argument(help="The module to import into, e.g. leads.")],
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="The CSV file.")
    ],
    key: Annotated[
        str,
        typer.Option(
            envvar="FINITE_KEY",
            help="The CRM key (fsk_…) the import acts as: its role must create in the module "
            "(and edit, with --upsert-on); its audit rows name it.",
        ),
    ],
    upsert_on: Annotated[
        str | None,
        typer.Option(help="A standard field (e.g. email): matching rows update that record."),
    ] = None,
    dry_run: Annotated[bool, typer.Option(help="Check every row; write no record.")] = False,
    stop_on_error: Annotated[bool, typer.Option(help="Stop at the first row that fails.")] = False,
    report: Annotated[
        Path | None,
        typer.Option(help="Where the error report goes (default: JOB_ID-errors.csv here)."),
    ] = None,
) -> None:
    """Import a CSV file (header row: field keys or labels) into MODULE; FINITE_DATABASE_URL
    (or FINITE_DATA_DIR) names the database. Exits 1 when rows failed, naming the report."""
    if module not in MODULES:
        typer.secho(f"error: unknown module {module!r}", fg="red", err=True)
        raise typer.Exit(2)
    options = service.ImportOptions(upsert_on, dry_run, stop_on_error)
    size = file.stat().st_size

    async def work(settings: Settings) -> int:
        db = Database(settings.database_url)
        try:
            return await _import(settings, db, module, file, size, key, options, report)
        finally:
            await db.dispose()

    failed = run(work)
    if failed:
        raise typer.Exit(1)


async def _import(
    settings: Settings,
    db: Database,
    module: str,
    file: Path,
    size: int,
    key: str,
    options: service.ImportOptions,
    report: Path | None,
) -> int:
    peppers = Peppers.from_secrets(
        settings.secret_key, settings.old_secret_keys, settings.next_secret_keys
    )
    principal = await authenticate(
        db, peppers, [(b"authorization", f"Bearer {key}".encode())], "crm"
    )
    actions: tuple[Action, ...] = ("create", "edit") if options.upsert_on else ("create",)
    for action in actions:
        if not principal.may(module, action):
            raise forbidden(f"The key's role cannot {action} {module}.")
    async with db.read() as session:
        schema = await load_schema(session, principal.org_id, module)
    service.check_options(schema, options)
    job_id = new_id("imp")
    runner = ImportRunner(db, lease=timedelta(seconds=settings.import_lease_seconds))
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    ) as progress:
        reading = progress.add_task(f"reading {file.name} (bytes)", total=size)

        async def body() -> AsyncIterator[bytes]:
            with file.open("rb") as source:
                while chunk := source.read(READ_BYTES):
                    progress.advance(reading, len(chunk))
                    yield chunk

        upload = await store_upload(
            db, principal.org_id, job_id, schema, body(), needs_column=options.upsert_on
        )
        job = service.new_job(
            principal, schema, job_id, file.name, upload, options, f"cli_{job_id}", None
        )
        token = _claim(job, runner.lease)
        async with db.transaction() as session:
            session.add(job)
            await session.execute(
                insert(AuditEntry).values(
                    job_audit_values(
                        principal,
                        method="CLI",
                        path=f"finite import {module}"[:500],
                        status=202,
                        module=module,
                        record_id=None,
                        action="import",
                        request_id=f"cli_{job_id}",
                        client_ip=None,
                        changes={"import": {"before": None, "after": {"id": job_id}}},
                    )
                )
            )
        writing = progress.add_task(f"importing {module}", total=upload.total_rows)
        await runner.run_job(
            principal.org_id,
            job_id,
            token,
            lambda done: progress.update(writing, completed=done.rows_done),
        )
    async with db.read() as session:
        final = await service.visible_job(session, principal, job_id)
    verb = "would create" if final.dry_run else "created"
    typer.echo(
        f"{final.status}: {final.rows_done:,} rows read, {final.created:,} {verb}, "
        f"{final.updated:,} updated, {final.failed:,} failed (job {job_id})"
    )
    for ignored in final.ignored_columns:
        typer.echo(f"column {ignored['column']!r} ignored: {ignored['reason']}")
    if final.error:
        typer.secho(f"error: {final.error}", fg="red", err=True)
    if final.failed:
        path = report or Path(f"{job_id}-errors.csv")
        with path.open("wb") as out:
            async for chunk in service.error_report(db, principal.org_id, job_id):
                out.write(chunk)
        typer.secho(f"the rows that failed, and why: {path}", fg="red", err=True)
    return final.failed or int(final.status != "done")


def _claim(job: ImportJob, lease: timedelta) -> str:
    """The job starts claimed by this process: no server's runner takes it meanwhile."""
    now = utcnow()
    job.status = "running"
    job.lease_token = new_id("lease")
    job.lease_until = now + lease
    job.attempts = 1
    job.started_at = now
    return job.lease_token
