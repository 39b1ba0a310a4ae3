"""kit/sqlite_inline_driver.py: on SQLite, a session's statements run on the event loop's thread;
long reads, bulk units of work and lock waits go to a worker thread."""

from __future__ import annotations

import asyncio
import contextlib
import tracemalloc
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import Select, literal_column, select, text

from finite.config import Settings
from finite.kit import sqlite_inline
from finite.kit.db import Database
from finite.kit.fast_read import sqlite_batches
from tests.factories import OrgSetup
from tests.sqlite_locks import write_lock_held_elsewhere

COUNT_TO = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :n) "


@pytest.fixture
def sqlite_db(db: Database) -> Database:
    if not db.is_sqlite:
        pytest.skip("SQLite's session driver")
    return db


@contextlib.asynccontextmanager
async def loop_turns() -> AsyncIterator[list[int]]:
    """Counts the event loop's turns while the block runs."""
    turns = [0]
    stop = asyncio.Event()

    async def tick() -> None:
        while not stop.is_set():
            turns[0] += 1
            await asyncio.sleep(0)

    ticking = asyncio.create_task(tick())
    await asyncio.sleep(0)
    turns[0] = 0
    try:
        yield turns
    finally:
        stop.set()
        await ticking


async def rename(session: Any, org_id: str, name: str) -> None:
    await session.execute(
        text("UPDATE organizations SET name = :name WHERE id = :id"), {"name": name, "id": org_id}
    )


async def name_of(db: Database, org_id: str) -> str:
    async with db.read() as session:
        found = await session.scalar(
            text("SELECT name FROM organizations WHERE id = :id"), {"id": org_id}
        )
    return str(found)


async def test_a_write_transaction_does_not_give_the_loop_a_turn_per_statement(
    sqlite_db: Database, org: OrgSetup, worker_threads: list[str]
) -> None:
    """With a thread per connection (aiosqlite) each statement was a trip out of the loop and
    back: 20 statements gave the loop at least 20 turns. Inline, none of them does."""
    async with loop_turns() as turns, sqlite_db.transaction() as session:
        for index in range(20):
            await rename(session, org.org_id, f"Renamed {index}")
        during = turns[0]
    assert during <= 2, f"{during} loop turns during 20 statements"
    assert worker_threads == []
    assert await name_of(sqlite_db, org.org_id) == "Renamed 19"


async def test_a_long_read_in_a_write_transaction_moves_to_a_thread_and_keeps_the_writes(
    sqlite_db: Database, org: OrgSetup, worker_threads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past its budget a SELECT is stopped and run again in a worker thread; stopping a
    read-only statement leaves the transaction's earlier writes in place."""
    monkeypatch.setattr(sqlite_inline, "INLINE_BUDGET_SECONDS", 0.0)
    async with sqlite_db.transaction() as session:
        await rename(session, org.org_id, "Written first")
        counted = await session.scalar(text(COUNT_TO + "SELECT count(*) FROM n"), {"n": 200_000})
    assert counted == 200_000
    assert worker_threads == ["worker thread"]
    assert await name_of(sqlite_db, org.org_id) == "Written first"


async def test_a_write_is_never_interrupted_by_the_budget(
    sqlite_db: Database, org: OrgSetup, worker_threads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An interrupted UPDATE would roll its whole transaction back: writes have no budget."""
    monkeypatch.setattr(sqlite_inline, "INLINE_BUDGET_SECONDS", 0.0)
    async with sqlite_db.transaction() as session:
        await rename(session, org.org_id, "Before")
        await session.execute(
            text(
                "UPDATE organizations SET name = (" + COUNT_TO + "SELECT 'After ' || count(*) "
                "FROM n) WHERE id = :id"
            ),
            {"n": 200_000, "id": org.org_id},
        )
    assert worker_threads == []
    assert await name_of(sqlite_db, org.org_id) == "After 200000"


async def test_a_lock_held_by_another_process_is_waited_for_off_the_loop(
    sqlite_db: Database, settings: Settings, org: OrgSetup
) -> None:
    with write_lock_held_elsewhere(settings) as other:
        writing = asyncio.create_task(write_in_transaction(sqlite_db, org.org_id, "Waited"))
        async with loop_turns() as turns:
            await asyncio.sleep(0.3)
        assert not writing.done(), "went ahead while another connection held the write lock"
        assert turns[0] > 10, "the loop was held while waiting"
        other.rollback()
        await asyncio.wait_for(writing, timeout=5)
    assert await name_of(sqlite_db, org.org_id) == "Waited"


async def write_in_transaction(db: Database, org_id: str, name: str) -> None:
    async with db.transaction() as session:
        await rename(session, org_id, name)


async def test_a_cancelled_wait_for_the_lock_writes_nothing_and_frees_the_connection(
    sqlite_db: Database, settings: Settings, org: OrgSetup
) -> None:
    before = await name_of(sqlite_db, org.org_id)
    with write_lock_held_elsewhere(settings):
        writing = asyncio.create_task(write_in_transaction(sqlite_db, org.org_id, "Never"))
        await asyncio.sleep(0.1)
        writing.cancel()
        with pytest.raises(asyncio.CancelledError):
            await writing
    await write_in_transaction(sqlite_db, org.org_id, "Next")  # the connection is usable
    assert before != "Next"
    assert await name_of(sqlite_db, org.org_id) == "Next"


async def test_a_unit_of_work_cancelled_mid_statement_leaves_the_write_lock_free(
    sqlite_db: Database, settings: Settings, org: OrgSetup
) -> None:
    """A stopping server cancels its background batches: the statement running in a worker
    thread is interrupted inside the write transaction, and SQLAlchemy closes the connection.
    Closed with a statement unfinalized, sqlite3 kept the handle, its transaction and SQLite's
    write lock: every other writer waited 30 s and failed (seen on every such stop)."""
    started = asyncio.Event()

    async def long_batch() -> None:
        async with sqlite_db.transaction(bulk=True) as session:
            await rename(session, org.org_id, "Never")
            started.set()
            await session.execute(text(COUNT_TO + "SELECT count(*) FROM n"), {"n": 10**9})

    batch = asyncio.create_task(long_batch())
    await started.wait()
    await asyncio.sleep(0.2)  # the count is running in its worker thread
    batch.cancel()
    with pytest.raises(asyncio.CancelledError):
        await batch
    with write_lock_held_elsewhere(settings, timeout=0):  # fails at once if the lock is held
        pass
    assert await name_of(sqlite_db, org.org_id) != "Never"


async def test_a_bulk_unit_of_work_runs_in_a_worker_thread(
    sqlite_db: Database, org: OrgSetup, worker_threads: list[str]
) -> None:
    async with sqlite_db.transaction(bulk=True) as session:
        await rename(session, org.org_id, "Slowly")
    assert len(worker_threads) == 2  # the UPDATE and the COMMIT
    assert await name_of(sqlite_db, org.org_id) == "Slowly"
    worker_threads.clear()
    await write_in_transaction(sqlite_db, org.org_id, "Inline again")  # the flag was reset
    assert worker_threads == []


async def test_the_driver_cursor_reports_what_sqlalchemy_reads(
    sqlite_db: Database, org: OrgSetup
) -> None:
    async with sqlite_db.transaction() as session:
        updated = await session.execute(
            text("UPDATE organizations SET name = name WHERE id = :id"), {"id": org.org_id}
        )
        assert updated.rowcount == 1  # type: ignore[attr-defined]
        rows = await session.execute(text(COUNT_TO + "SELECT i FROM n"), {"n": 5})
        assert rows.fetchmany(2) == [(1,), (2,)]
        assert rows.fetchone() == (3,)
        assert rows.fetchall() == [(4,), (5,)]
    async with sqlite_db.engine.connect() as connection:
        driver = (await connection.get_raw_connection()).driver_connection
        assert driver is not None
        cursor = await driver.execute(COUNT_TO + "SELECT i FROM n", {"n": 3})
        assert await cursor.fetchone() == (1,)
        assert await cursor.fetchall() == [(2,), (3,)]
        assert await cursor.fetchone() is None


async def test_an_export_stream_reads_batch_by_batch_off_the_loop(
    sqlite_db: Database, worker_threads: list[str]
) -> None:
    """sqlite_batches (the CSV export's reader) never holds all the rows: 200,000 of them cost
    ~17 MB at once, a batch of 1,000 well under 1 MB."""
    statement: Select[Any] = select(literal_column("i")).select_from(
        text("(" + COUNT_TO.replace(":n", "200000") + "SELECT i FROM n)")
    )
    tracemalloc.start()
    try:
        async with sqlite_db.read(snapshot=True) as session:
            sizes: list[int] = []
            first: list[Any] = []
            async for batch in sqlite_batches(session, statement, 1_000):
                sizes.append(len(batch))
                first = first or batch
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert first[:3] == [(1,), (2,), (3,)]
    assert sum(sizes) == 200_000
    assert max(sizes) == 1_000
    assert peak < 5 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
    assert len(worker_threads) == len(sizes) + 2  # the first step, each batch, the empty end
