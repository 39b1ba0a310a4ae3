"""kit/db.py: on SQLite, one process's write transactions take turns instead of meeting on
SQLite's write lock."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from finite.kit import sqlite_write_turns
from finite.kit.db import Database
from tests.factories import OrgSetup


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
    db: Database, org: OrgSetup, worker_threads: list[str]
) -> None:
    """Meeting another's write lock, a transaction waits in a worker thread: none does here."""
    if not db.is_sqlite:
        pytest.skip("SQLite's write lock")
    inside: list[int] = []
    await asyncio.gather(*(rename_slowly(db, org.org_id, inside) for _ in range(6)))
    assert worker_threads == []  # each began when the last had ended


async def test_a_turn_not_given_in_time_goes_ahead_to_sqlite_s_own_wait(
    db: Database, org: OrgSetup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A transaction inside another of the same task would wait for its turn forever; after the
    timeout it goes on to wait for SQLite's lock, as another process's writer does."""
    if not db.is_sqlite:
        pytest.skip("SQLite's write lock")
    monkeypatch.setattr(sqlite_write_turns, "WRITE_TURN_TIMEOUT_SECONDS", 0.05)
    async with db.transaction():
        inner = db.backend.write_turn()
        await asyncio.wait_for(inner.__aenter__(), timeout=5)  # not forever
        await inner.__aexit__(None, None, None)
