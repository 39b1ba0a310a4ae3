"""On SQLite, the processes sharing a database file take write turns on a lock file beside it
(kit/sqlite_write_turns.py), and commits checkpoint the WAL in a worker thread
(kit/sqlite_checkpoints.py)."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

import finite
from finite.kit.db import Database
from finite.kit.sqlite_checkpoints import CHECKPOINT_FRAMES, WalIndex
from finite.kit.sqlite_inline_driver import InlineConnection
from finite.kit.sqlite_write_turns import lock_path
from tests.sqlite_writer_process import INSERT, create_file

PADDED = text("INSERT INTO writes (n, pad) VALUES (:n, :pad)")
REPO = Path(__file__).resolve().parents[2]
SRC = Path(finite.__file__).resolve().parents[1]


def start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.sqlite_writer_process", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), str(REPO)])},
    )


def rows_by_process(path: Path) -> dict[int, int]:
    with contextlib.closing(sqlite3.connect(path)) as connection:
        return dict(connection.execute("SELECT pid, count(*) FROM writes GROUP BY pid").fetchall())


@contextlib.contextmanager
def lock_file_held(database: Path) -> Iterator[None]:
    """The lock file taken as another process's writer takes it."""
    with lock_path(str(database)).open("ab") as file:
        fcntl.flock(file, fcntl.LOCK_EX)
        yield


def lock_file_free(database: Path) -> bool:
    with lock_path(str(database)).open("ab") as file:
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


async def insert_one(db: Database) -> None:
    async with db.transaction() as session:
        await session.execute(INSERT, {"pid": os.getpid(), "n": 0})


def test_processes_writing_one_file_take_turns_without_meeting_sqlite_s_lock(
    tmp_path: Path,
) -> None:
    """Two processes, four writers each, every transaction holding the write lock 2 ms: before
    the lock file, a writer of one often found SQLite's lock taken by the other and retried it
    from a worker thread every 5 ms; now none does, and every write lands."""
    path = tmp_path / "shared.db"
    create_file(path)
    writers = [start("write", str(path), "4", "25") for _ in range(2)]
    try:
        for writer in writers:
            assert writer.stdout is not None
            assert writer.stdout.readline().strip() == "ready"
        for writer in writers:
            assert writer.stdin is not None
            writer.stdin.write("go\n")
            writer.stdin.flush()
        outputs = [writer.communicate(timeout=120)[0] for writer in writers]
    finally:
        for writer in writers:
            writer.kill()
    assert [writer.returncode for writer in writers] == [0, 0], outputs
    assert [json.loads(output.splitlines()[-1]) for output in outputs] == [0, 0]
    assert rows_by_process(path) == {writer.pid: 100 for writer in writers}


async def test_a_writer_waits_for_the_lock_file_and_writes_at_its_release(
    tmp_path: Path, worker_threads: list[str]
) -> None:
    path = tmp_path / "shared.db"
    db = Database(create_file(path))
    try:
        with lock_file_held(path):
            waiting = asyncio.create_task(insert_one(db))
            await asyncio.sleep(0.3)
            assert not waiting.done()  # another process's turn
        await asyncio.wait_for(waiting, timeout=10)
    finally:
        await db.dispose()
    assert rows_by_process(path) == {os.getpid(): 1}
    assert worker_threads == []  # it never met SQLite's own lock
    assert lock_file_free(path)


async def test_a_writer_cancelled_while_waiting_for_the_lock_file_leaves_it_free(
    tmp_path: Path,
) -> None:
    """The waiting thread cannot be stopped: when it gets the lock for nobody, it lets go."""
    path = tmp_path / "shared.db"
    db = Database(create_file(path))
    try:
        with lock_file_held(path):
            waiting = asyncio.create_task(insert_one(db))
            await asyncio.sleep(0.3)
            assert not waiting.done()
            waiting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await waiting
        deadline = time.monotonic() + 10
        while not lock_file_free(path):
            assert time.monotonic() < deadline, "the cancelled writer kept the lock file"
            await asyncio.sleep(0.01)
        await asyncio.wait_for(insert_one(db), timeout=10)  # and the next writer writes
    finally:
        await db.dispose()
    assert rows_by_process(path) == {os.getpid(): 1}


async def test_a_killed_writer_lets_go_of_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    url = create_file(path)
    holder = start("hold", str(path))
    db = Database(url)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "holding"
        waiting = asyncio.create_task(insert_one(db))
        await asyncio.sleep(0.3)
        assert not waiting.done()
        holder.kill()
        holder.wait(timeout=10)
        await asyncio.wait_for(waiting, timeout=10)
    finally:
        holder.kill()
        await db.dispose()
    assert rows_by_process(path) == {os.getpid(): 1}  # the killed one's row rolled back


def test_the_wal_length_is_read_from_the_wal_index(tmp_path: Path) -> None:
    path = tmp_path / "wal.db"
    create_file(path)
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as connection:
        connection.execute("PRAGMA wal_autocheckpoint = 0")
        for n in range(20):
            connection.execute("INSERT INTO writes (n, pad) VALUES (?, ?)", (n, "x" * 6000))
        frames = WalIndex(str(path)).frames()
        _busy, log, _done = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert frames == log > 20


# SQLite's "dead man switch": each process using a WAL database holds a read lock on this byte
# of the -shm (SQLite's os_unix.c, UNIX_SHM_DMS); a process that opens the database and can take
# a write lock on it believes nobody else uses the file and truncates the -shm.
_SHM_DMS_BYTE = 128
_TAKES_THE_DMS_LOCK = f"""
import fcntl, sys
with open(sys.argv[1], "rb+") as shm:
    try:
        fcntl.lockf(shm, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, {_SHM_DMS_BYTE})
    except OSError:
        print("in use")
    else:
        print("free")
"""


def test_reading_the_wal_length_leaves_the_wal_index_marked_in_use(tmp_path: Path) -> None:
    """CI: a server read the WAL's length, then `finite backup` opened the database, found
    the -shm unused and truncated it under the server's mapping: the server died of SIGBUS.
    Closing a descriptor drops every POSIX lock the process holds on the file."""
    path = tmp_path / "wal.db"
    create_file(path)
    shm = f"{path}-shm"

    def seen_by_another_process() -> str:
        run = [sys.executable, "-c", _TAKES_THE_DMS_LOCK, shm]
        return subprocess.run(run, check=True, capture_output=True, text=True).stdout.strip()

    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as connection:
        connection.execute("INSERT INTO writes (n, pad) VALUES (1, 'x')")
        assert seen_by_another_process() == "in use"
        index = WalIndex(str(path))
        assert index.frames() > 0
        assert index.frames() > 0
        assert seen_by_another_process() == "in use"
        index_copy = WalIndex(str(path))  # another engine on the same file, in this process
        assert index_copy.frames() > 0
        assert seen_by_another_process() == "in use"


async def test_commits_checkpoint_in_a_worker_thread_and_the_wal_stays_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """600 commits of ~3 pages: the WAL would reach 1,800 frames unchecked. Before, SQLite
    checkpointed inside a commit on the loop's thread."""
    path = tmp_path / "wal.db"
    db = Database(create_file(path))
    checkpointed_on: list[str] = []
    checkpoint = InlineConnection.checkpoint

    def spy(connection: InlineConnection) -> None:
        checkpointed_on.append(threading.current_thread().name)
        checkpoint(connection)

    monkeypatch.setattr(InlineConnection, "checkpoint", spy)
    try:
        async with db.read() as session:
            assert (await session.execute(text("PRAGMA wal_autocheckpoint"))).scalar() == 0
        for n in range(600):
            async with db.transaction() as session:
                await session.execute(PADDED, {"n": n, "pad": "x" * 6000})
        wal_bytes = Path(f"{path}-wal").stat().st_size
    finally:
        await db.dispose()
    assert checkpointed_on
    assert threading.main_thread().name not in checkpointed_on
    assert wal_bytes < (CHECKPOINT_FRAMES + 50) * (4096 + 24)
