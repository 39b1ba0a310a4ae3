"""Alembic environment: async engines, one code path for SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from finite.config import normalize_database_url
from finite.crm import derived_text_sync
from finite.crm.export import sqlite_lines
from finite.crm.modules import tables as _crm_module_tables  # noqa: F401  (onto the metadata)
from finite.crm.records.query.search import include_name
from finite.models import Base

config = context.config
target_metadata = Base.metadata

# Several server processes may start at once against one PostgreSQL; one migrates, the rest wait.
_PG_MIGRATION_LOCK = 7_244_754


def _database_url() -> str:
    url = config.attributes.get("database_url") or os.environ.get("FINITE_DATABASE_URL")
    if not url:
        raise RuntimeError("no database URL: set FINITE_DATABASE_URL or use `finite migrate`")
    return normalize_database_url(str(url))


def _run(connection: Connection) -> None:
    is_sqlite = connection.dialect.name == "sqlite"
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=is_sqlite,
        compare_type=True,
        include_name=include_name,  # the search objects of 0004 live outside the models
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})"))
        context.run_migrations()
        if not is_sqlite:  # derived from the code, not a revision (see its module)
            derived_text_sync.sync_derived_texts(connection)
    if is_sqlite:
        # As on PostgreSQL; committed here, as Alembic commits only the revisions it runs on
        # SQLite.
        sqlite_lines.sync_export_lines(connection)
        connection.commit()


async def _run_async(url: str) -> None:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    context.configure(url=_database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_async(_database_url()))
