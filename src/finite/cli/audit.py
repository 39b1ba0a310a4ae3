"""`finite audit`: check an organization's tamper-evident audit chain, or seal it now."""

from __future__ import annotations

import typer

from finite.cli.accounts import OrgOption
from finite.cli.common import run, transaction
from finite.config import Settings
from finite.core.accounts.service import resolve_org
from finite.core.audit.chain import Verdict, seal_pending, verify_chain
from finite.kit.db import Database

audit_app = typer.Typer(help="Verify and seal the audit log's hash chain.", no_args_is_help=True)


@audit_app.command("verify")
def audit_verify(org: OrgOption) -> None:
    """Walk the organization's chain; exit 0 when intact, 1 at the first broken link."""

    async def work(settings: Settings) -> Verdict:
        async with transaction(settings) as session:
            org_id = (await resolve_org(session, org)).id
        db = Database(settings.database_url)
        try:
            return await verify_chain(db, org_id)
        finally:
            await db.dispose()

    verdict = run(work)
    waiting = f" ({verdict.pending} not sealed yet)" if verdict.pending else ""
    broken = verdict.broken
    if broken is None:
        typer.echo(f"chain intact: {verdict.rows} rows{waiting}")
        return
    row = broken.id or "(no row)"
    typer.secho(
        f"chain broken at seq {broken.seq}, row {row}: {broken.reason} - {broken.detail}",
        fg="red",
    )
    typer.echo(f"{verdict.rows} rows before it are intact; the head is at seq {verdict.head_seq}")
    raise typer.Exit(1)


@audit_app.command("seal")
def audit_seal() -> None:
    """Seal every audit row still waiting (a running server does this every second)."""

    async def work(settings: Settings) -> int:
        db = Database(settings.database_url)
        try:
            return await seal_pending(db)
        finally:
            await db.dispose()

    typer.echo(f"sealed {run(work)} audit rows")
