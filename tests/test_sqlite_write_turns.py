"""kit/db.py: on SQLite, one process's write transactions take turns instead of meeting on
SQLite's busy handler."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import event, text

from finite.config import Settings
from finite.kit import db as db_module
from finite.kit.db import Database
from tests.factories import OrgSetup


@pytest.fixture
async def impatient_db(settings: Settings, db: Database) -> AsyncIterator[Database]:
    """A second handle on the same SQLite file whose connections do not wait for a lock at
    all: two write transactions that met on SQLite would fail at once ("database is locked")."""
    if not db.is_sqlite:
        pytest.skip("SQLite's write lock")
    impatient = Database(settings.database_url)

    def no_busy_wait(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout = 0")
        cursor.close()

    event.listen(impatient.engine.sync_engine, "connect", no_busy_wait)
    yield impatient
    await impatient.dispose()


async def rename_slowly(db: Database, org_id: str, inside: list[int]) -> None:
    async with db.transaction() as session:
        inside.append(1)
        assert len(inside) == 1  # nobody else in a write transaction meanwhile
        await session.execute(
            text("UPDATE organizations SET name = name WHERE id = :id"), {"id": org_id}
        )
        await asyncio.sleep(0.02)
        inside.pop()


async def test_write_transactions_in_one_process_take_turns(
    impatient_db: Database, org: OrgSetup
) -> None:
    inside: list[int] = []
    await asyncio.gather(*(rename_slowly(impatient_db, org.org_id, inside) for _ in range(6)))


async def test_a_turn_not_given_in_time_goes_ahead_to_sqlite_s_own_wait(
    db: Database, org: OrgSetup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A transaction inside another of the same task would wait for its turn forever; after the
    timeout it meets SQLite's busy timeout instead, as it did before turns."""
    if not db.is_sqlite:
        pytest.skip("SQLite's write lock")
    monkeypatch.setattr(db_module, "WRITE_TURN_TIMEOUT_SECONDS", 0.05)
    async with db.transaction():
        inner = db._write_turn()
        await asyncio.wait_for(inner.__aenter__(), timeout=5)  # not forever
        await inner.__aexit__(None, None, None)
