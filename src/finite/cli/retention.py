"""`finite retention`: delete rows past their time now, or show what is kept how long."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from finite.cli.common import run, settings_or_exit
from finite.config import Settings
from finite.core.retention import Retained, retention_plan
from finite.core.retention.purge import count_old, purge
from finite.kit.clock import utcnow
from finite.kit.db import Database

retention_app = typer.Typer(
    help="Delete old events, webhook deliveries and attempts, idempotency keys.",
    no_args_is_help=True,
)


def _kept(retained: Retained) -> str:
    if retained.days is None:
        return "for good"
    return f"{retained.days} day" + ("" if retained.days == 1 else "s")


@retention_app.command("show")
def retention_show() -> None:
    """Each kind of row, how long it is kept, and the setting that changes it."""
    settings = settings_or_exit()
    for retained in retention_plan(settings.retention_days):
        kind = retained.kind
        typer.echo(f"{kind.name}: kept {_kept(retained)} ({kind.setting}) - {kind.about}")


@retention_app.command("run")
def retention_run(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count the rows that would go; delete nothing.")
    ] = False,
) -> None:
    """Delete every row past its time now, in small batches.

    `finite worker` does this every FINITE_RETENTION_INTERVAL_SECONDS; safe beside running
    servers and workers."""

    async def work(settings: Settings) -> list[str]:
        plan = retention_plan(settings.retention_days)
        now = utcnow()
        db = Database(settings.database_url)
        lines = []
        try:
            if dry_run:
                for retained in plan:
                    cutoff = retained.cutoff(now)
                    count = 0 if cutoff is None else await count_old(db, retained.kind, cutoff)
                    lines.append(
                        f"{retained.kind.name}: {count} would be deleted (kept {_kept(retained)})"
                    )
                return lines
            due = {
                retained.kind.name: await count_old(db, retained.kind, cutoff)
                for retained in plan
                if (cutoff := retained.cutoff(now)) is not None
            }
            with Progress(
                TextColumn("[bold]deleting rows past their time"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
            ) as progress:
                task = progress.add_task("retention", total=sum(due.values()))
                purged = await purge(
                    db,
                    plan,
                    now,
                    batch_size=settings.retention_batch_size,
                    on_batch=lambda _kind, deleted: progress.advance(task, deleted),
                )
        finally:
            await db.dispose()
        for retained in plan:
            deleted = purged.deleted.get(retained.kind.name, 0)
            lines.append(f"{retained.kind.name}: {deleted} deleted (kept {_kept(retained)})")
        return lines

    for line in run(work):
        typer.echo(line)
