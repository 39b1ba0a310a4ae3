"""`finite backup`: the whole database in one file, while servers keep running."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from finite.cli.common import settings_or_exit
from finite.kit.backups import BackupError
from finite.kit.engines import engine_for_url


def backup(
    target: Annotated[Path, typer.Argument(help="The file to write, e.g. finite-2026-12-07.db")],
    force: Annotated[bool, typer.Option("--force", help="Replace the file if it exists.")] = False,
) -> None:
    """Back up the database to one file (mode 0600) without stopping the servers.

    SQLite: a consistent copy through SQLite's online backup API, checked, ready to be put in
    place of finite.db. PostgreSQL: `pg_dump --format=custom` (pg_dump must be on PATH), for
    `pg_restore`. The secret key is not in it: keep FINITE_SECRET_KEY safe apart from it.
    """
    settings = settings_or_exit()
    target = target.expanduser().resolve()
    if target.exists() and not force:
        typer.secho(f"error: {target} exists; pass --force to replace it", fg="red", err=True)
        raise typer.Exit(1)
    engine = engine_for_url(settings.database_url)
    started = time.monotonic()
    try:
        engine.backup(settings.database_url, target)
    except BackupError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(1) from None
    size = target.stat().st_size
    typer.echo(
        f"backed up the {engine.name} database to {target}"
        f" ({size / 1e6:.1f} MB in {time.monotonic() - started:.1f} s)"
    )
    typer.echo(
        "It holds no secret key: without FINITE_SECRET_KEY (or the data folder's secret_key)"
        " no API key or sealed secret in it works. Keep the key safe, apart from the backup."
    )
