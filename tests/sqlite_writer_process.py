"""Another process writing to a SQLite file through its own Database, as a second `finite serve`
worker would (tests/kit/test_sqlite_write_lock.py starts it).

    python -m tests.sqlite_writer_process write <path> <tasks> <transactions each>
        prints "ready", waits for a line on stdin, writes, then prints the JSON count of
        statements that met SQLite's lock held by another connection;
    python -m tests.sqlite_writer_process hold <path>
        takes a write turn, inserts a row, prints "holding" and waits in the transaction.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import text

from finite.kit import sqlite_inline
from finite.kit.db import Database

INSERT = text("INSERT INTO writes (pid, n) VALUES (:pid, :n)")


def create_file(path: Path) -> str:
    """A WAL database with the one table the writers fill; its SQLAlchemy URL."""
    setup = sqlite3.connect(path)
    setup.execute("PRAGMA journal_mode = WAL")
    setup.execute("CREATE TABLE writes (id INTEGER PRIMARY KEY, pid INTEGER, n INTEGER, pad TEXT)")
    setup.commit()
    setup.close()
    return f"sqlite+aiosqlite:///{path}"


async def write(path: str, tasks: int, each: int) -> None:
    met_lock = 0
    original = sqlite_inline.in_worker_thread

    async def counted(connection: sqlite3.Connection, work: Callable[[], Any]) -> Any:
        nonlocal met_lock
        met_lock += 1  # a short write goes to a worker thread only to wait for a lock
        return await original(connection, work)

    sqlite_inline.in_worker_thread = counted
    db = Database(f"sqlite+aiosqlite:///{path}")

    async def writer(task: int) -> None:
        for n in range(each):
            async with db.transaction() as session:
                await session.execute(INSERT, {"pid": os.getpid(), "n": task * each + n})
                await asyncio.sleep(0.002)  # holding SQLite's write lock meanwhile

    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    try:
        await asyncio.gather(*(writer(task) for task in range(tasks)))
    finally:
        await db.dispose()
    print(json.dumps(met_lock), flush=True)


async def hold(path: str) -> None:
    db = Database(f"sqlite+aiosqlite:///{path}")
    async with db.transaction() as session:
        await session.execute(INSERT, {"pid": os.getpid(), "n": 0})
        print("holding", flush=True)
        await asyncio.sleep(3600)


if __name__ == "__main__":
    match sys.argv[1:]:
        case ["write", path, tasks, each]:
            asyncio.run(write(path, int(tasks), int(each)))
        case ["hold", path]:
            asyncio.run(hold(path))
        case _:
            raise SystemExit(__doc__)
