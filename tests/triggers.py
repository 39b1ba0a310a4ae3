"""PostgreSQL triggers switched off for the length of a test step."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text

from finite.kit.db import Database


@asynccontextmanager
async def disabled_trigger(db: Database, table: str, trigger: str) -> AsyncIterator[None]:
    async with db.transaction() as session:
        await session.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}"))
    try:
        yield
    finally:
        async with db.transaction() as session:
            await session.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}"))
