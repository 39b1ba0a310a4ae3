"""What every CLI command shares: settings, a database session, and clear failures."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from finite.cli.products import load_products
from finite.config import ConfigError, Settings, load_settings
from finite.core.retention import RetentionConfigError, retention_plan
from finite.kit.db import Database
from finite.kit.errors import AppError
from finite.platform.migrations import migrate_to_head

T = TypeVar("T")


def settings_or_exit() -> Settings:
    try:
        settings = load_settings()
        load_products()  # their kinds of rows for retention too
        retention_plan(settings.retention_days)  # every FINITE_RETENTION_<NAME>_DAYS is known
    except (ConfigError, RetentionConfigError) as exc:
        typer.secho(f"configuration error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from None
    return settings


def run(work: Callable[[Settings], Coroutine[Any, Any, T]], *, migrate: bool = True) -> T:
    """Run async work against the configured database, first migrating the schema."""
    settings = settings_or_exit()
    if migrate:
        migrate_to_head(settings.database_url)
    try:
        return asyncio.run(work(settings))
    except AppError as exc:
        details = "; ".join(
            f"{d.field}: {d.message}" if d.field else d.message for d in exc.details
        )
        message = details if details and exc.code == "VALIDATION_ERROR" else exc.message
        typer.secho(f"error: {message}", fg="red", err=True)
        raise typer.Exit(1) from None


@asynccontextmanager
async def transaction(settings: Settings) -> AsyncIterator[AsyncSession]:
    db = Database(settings.database_url)
    try:
        async with db.transaction() as session:
            yield session
    finally:
        await db.dispose()
