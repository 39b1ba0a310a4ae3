"""`finite bench seed`: load many records into one organization (and others), with progress."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from finite.cli.common import run, transaction
from finite.config import Settings
from finite.core.accounts import repository as accounts
from finite.core.accounts.service import PlanChoice, create_org, resolve_org
from finite.crm.bulk import seed_records
from finite.crm.modules.definitions import MODULES
from finite.kit.db import Database

bench_app = typer.Typer(help="Data for benchmarks and trials.", no_args_is_help=True)


@bench_app.command("seed")
def bench_seed(
    org: Annotated[str | None, typer.Option(help="Organization id or exact name.")] = None,
    new_org: Annotated[
        str | None, typer.Option(help="Create an organization with this name.")
    ] = None,
    module: Annotated[str, typer.Option(help="The module to fill.")] = "leads",
    count: Annotated[int, typer.Option(min=1, help="Records for the organization.")] = 1_000_000,
    other_orgs: Annotated[int, typer.Option(min=0, help="Other organizations to fill too.")] = 2,
    other_count: Annotated[
        int, typer.Option(min=0, help="Records per other organization.")
    ] = 50_000,
) -> None:
    """Load records fast (COPY on PostgreSQL). Prints the organization id last."""
    if module not in MODULES:
        typer.secho(f"error: unknown module {module!r}", fg="red", err=True)
        raise typer.Exit(2)
    if (org is None) == (new_org is None):
        typer.secho("error: give exactly one of --org and --new-org", fg="red", err=True)
        raise typer.Exit(2)

    async def work(settings: Settings) -> None:
        targets: list[tuple[str, str | None, int]] = []
        async with transaction(settings) as session:
            if new_org is not None:
                found, owner = await create_org(
                    session,
                    new_org,
                    owner_email=f"owner@{module}-bench.example",
                    owner_name="Bench Owner",
                    crm=PlanChoice("ultimate"),
                    handover=PlanChoice("agency"),
                )
                owner_id: str | None = owner.id
            else:
                found = await resolve_org(session, org or "")
                owner_row = await accounts.owner_of(session, found.id)
                owner_id = owner_row.id if owner_row else None
            targets.append((found.id, owner_id, count))
            for number in range(other_orgs):
                other, other_owner = await create_org(
                    session,
                    f"Bench neighbour {number + 1}",
                    owner_email=f"owner{number}@neighbour.example",
                    owner_name="Neighbour",
                    crm=PlanChoice("free"),
                    handover=PlanChoice("free"),
                )
                targets.append((other.id, other_owner.id, other_count))
        db = Database(settings.database_url)
        started = time.perf_counter()
        total = sum(target[2] for target in targets)
        try:
            with Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
            ) as progress:
                task = progress.add_task(f"seeding {module}", total=total)
                for org_id, holder, how_many in targets:
                    if how_many:
                        await seed_records(
                            db,
                            org_id,
                            module,
                            how_many,
                            owner=holder,
                            progress=lambda done: progress.advance(task, done),
                        )
        finally:
            await db.dispose()
        elapsed = time.perf_counter() - started
        typer.echo(f"{total:,} {module} in {elapsed:.1f} s ({total / elapsed:,.0f} rows/s)")
        typer.echo(targets[0][0])

    run(work)
