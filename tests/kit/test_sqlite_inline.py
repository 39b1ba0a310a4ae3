"""kit/sqlite_inline: quick reads on the loop's thread, the rest in a worker thread, safely."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import literal, select

from finite.kit import sqlite_inline
from finite.kit.db import Database
from finite.kit.fast_read import fetch_all
from tests.factories import OrgSetup

COUNT_TO = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
LONG_COUNT = COUNT_TO + "SELECT count(*) FROM n"


@pytest.fixture
def connection(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    path = tmp_path / "inline.db"
    setup = sqlite3.connect(path)
    setup.execute("PRAGMA journal_mode = WAL")
    setup.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)")
    setup.executemany("INSERT INTO t (name) VALUES (?)", [("a",), ("b",), ("c",)])
    setup.commit()
    setup.close()
    opened = sqlite3.connect(path, check_same_thread=False)
    sqlite_inline.configure(opened)
    yield opened
    opened.close()


async def test_a_quick_read_runs_on_the_loop_thread(
    connection: sqlite3.Connection, worker_threads: list[str]
) -> None:
    rows = await sqlite_inline.fetch_all(connection, "SELECT name FROM t WHERE id > ?", [1])
    assert rows == [("b",), ("c",)]
    assert worker_threads == []


async def test_a_read_past_its_budget_finishes_in_a_worker_thread(
    connection: sqlite3.Connection, worker_threads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_inline, "INLINE_BUDGET_SECONDS", 0.0)
    rows = await sqlite_inline.fetch_all(connection, LONG_COUNT, [200_000])
    assert rows == [(200_000,)]
    assert worker_threads == ["worker thread"]
    # The budget's progress handler is gone: the same statement runs whole on this thread.
    assert connection.execute(LONG_COUNT, [200_000]).fetchall() == [(200_000,)]


async def test_a_read_that_meets_a_lock_waits_for_it_in_a_worker_thread(
    tmp_path: Path, worker_threads: list[str]
) -> None:
    path = tmp_path / "journal.db"  # a rollback journal: a writer's EXCLUSIVE lock stops readers
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    writer.execute("BEGIN EXCLUSIVE")
    writer.execute("INSERT INTO t (id) VALUES (1)")
    reader = sqlite3.connect(path, check_same_thread=False)
    sqlite_inline.configure(reader)
    try:
        asyncio.get_running_loop().call_later(0.2, writer.execute, "COMMIT")
        rows = await sqlite_inline.fetch_all(reader, "SELECT id FROM t", [])
        assert rows == [(1,)]  # after the commit, not an error at once
        assert worker_threads == ["worker thread"]
    finally:
        reader.close()
        writer.close()


async def test_a_cancelled_read_lets_go_of_its_connection_before_the_cancellation_ends(
    connection: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pool may close a connection as soon as its user is gone: the worker thread must not
    be using it then (closing it under a running statement can crash the process)."""
    monkeypatch.setattr(sqlite_inline, "INLINE_BUDGET_SECONDS", 0.0)
    thread_done = threading.Event()
    original = sqlite_inline._patiently

    def patiently(*args: Any) -> list[Any]:
        try:
            return original(*args)
        finally:
            thread_done.set()

    monkeypatch.setattr(sqlite_inline, "_patiently", patiently)
    reading = asyncio.create_task(sqlite_inline.fetch_all(connection, LONG_COUNT, [10**8]))
    await asyncio.sleep(0.2)  # well into the statement (many seconds long) in its thread
    assert not thread_done.is_set()
    reading.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reading
    assert thread_done.is_set()  # interrupted, not left running
    assert connection.execute("SELECT count(*) FROM t").fetchall() == [(3,)]


async def test_raw_read_connections_are_read_only(db: Database, org: OrgSetup) -> None:
    if not db.is_sqlite:
        pytest.skip("SQLite's inline reads")
    async with db.raw_read() as connection:
        assert isinstance(connection.driver, sqlite3.Connection)
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            connection.driver.execute("UPDATE organizations SET name = 'x'")


async def test_raw_read_never_waits_for_a_pooled_connection(db: Database) -> None:
    """Checkouts run on the event loop's thread: past the pool's size they open connections
    rather than wait for one (a wait there would hold the loop that gives them back)."""
    if not db.is_sqlite:
        pytest.skip("SQLite's inline reads")
    async with contextlib.AsyncExitStack() as held:
        connections = [await held.enter_async_context(db.raw_read()) for _ in range(40)]
        assert len({id(connection.driver) for connection in connections}) == 40
        assert await fetch_all(connections[-1], select(literal(1))) == [(1,)]
