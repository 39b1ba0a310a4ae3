"""`finite serve` and `finite migrate`."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from finite.cli.common import settings_or_exit
from finite.config import Settings
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.platform.first_run import DemoAccess, create_demo_if_empty
from finite.platform.logs import configure_logging
from finite.platform.migrations import migrate_to_head


def migrate() -> None:
    """Bring the database schema up to date (SQLite or PostgreSQL)."""
    settings = settings_or_exit()
    migrate_to_head(settings.database_url)
    typer.echo("database is up to date")


def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (FINITE_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (FINITE_PORT).")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Server worker processes.")] = 1,
    migrate_first: Annotated[
        bool, typer.Option("--migrate/--no-migrate", help="Migrate the schema before serving.")
    ] = True,
) -> None:
    """Serve both APIs. On an empty database, first create a demo organization and print keys."""
    from granian import Granian
    from granian.constants import Interfaces, Loops
    from granian.log import LogLevels

    settings = settings_or_exit()
    configure_logging(settings.log_level)
    if migrate_first:
        migrate_to_head(settings.database_url)
    bind_host, bind_port = host or settings.host, port or settings.port
    if settings.demo_on_first_run:
        demo = asyncio.run(_demo(settings))
        if demo is not None:
            _print_demo(demo, bind_host, bind_port)
    typer.echo(f"Finite listening on http://{bind_host}:{bind_port} ({settings.data_dir})")
    Granian(
        "finite.app:create_served_app",
        factory=True,
        address=bind_host,
        port=bind_port,
        workers=workers,
        interface=Interfaces.ASGI,
        # Not "auto": granian would take rloop whenever it is installed, and asyncpg cannot
        # start TLS on its transports ("TCPTransport protocol cannot be changed"). uvloop
        # measured no faster here.
        loop=Loops.asyncio,
        log_level=LogLevels(settings.log_level.lower()),
    ).serve()


async def _demo(settings: Settings) -> DemoAccess | None:
    db = Database(settings.database_url)
    try:
        return await create_demo_if_empty(
            db, Peppers.from_secrets(settings.secret_key, settings.old_secret_keys)
        )
    finally:
        await db.dispose()


def _print_demo(demo: DemoAccess, host: str, port: int) -> None:
    base = f"http://{host}:{port}"
    typer.echo(
        "\n".join(
            [
                "",
                "First run: created the demo organization "
                f"{demo.org_id} (owner {demo.owner_email}).",
                "These keys are shown once and cannot be recovered; save them now.",
                f"  CRM key:      {demo.crm_key}",
                f"  Handover key: {demo.handover_key}",
                "Try:",
                f'  curl -H "Authorization: Bearer {demo.crm_key}" {base}/api/me',
                f'  curl -H "Authorization: Bearer {demo.handover_key}" {base}/api/v1/auth',
                "",
            ]
        )
    )
