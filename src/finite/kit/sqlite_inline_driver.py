"""The SQLite driver under SQLAlchemy's sessions: aiosqlite's interface, statements inline.

aiosqlite runs every statement in a thread of its own; each one is then a trip out of the event
loop and back in, and under load the way back waits for the loop's next turn. A record creation
makes about ten such trips, and while 12 callers kept the loop busy with lists, 4 callers
creating records got 1.2-2.6 creations a second, the median one taking 1.2-1.6 s; inline,
8.9-13.2 a second, 0.18-0.31 s (`finite serve --workers 2`, 1M leads, docs/performance.md).
This connection offers the calls SQLAlchemy's aiosqlite dialect and our own code make on an
aiosqlite connection, and runs each statement on the calling thread, as sqlite_inline does
for raw_read():

- a read-only statement (a SELECT) stops after sqlite_inline's budget and runs again in a worker
  thread; interrupting a read-only statement leaves its transaction as it was;
- any other statement runs to its end here: SQLite rolls a whole transaction back when an
  INSERT, UPDATE or DELETE in it is interrupted, so a write cannot be moved once started. A unit
  of work known to write many rows sets `in_worker_thread` (Database.transaction(bulk=True));
- a lock another connection holds (busy timeout 0 on these connections) is waited for in a
  worker thread, retried, as long as SQLite's own busy timeout would wait (the writers of
  `finite`'s processes take turns first, kit/sqlite_write_turns.py: they seldom meet it);
- a commit that leaves the WAL long runs its checkpoint in a worker thread
  (kit/sqlite_checkpoints.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from typing import Any, TypeVar

from finite.kit import sqlite_inline

T = TypeVar("T")

Parameters = Sequence[Any] | dict[str, Any]
Description = tuple[tuple[str, None, None, None, None, None, None], ...] | None


_WRITES = re.compile(r"\b(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


def _read_only(sql: str) -> bool:
    """A SELECT, or a WITH … SELECT that writes nothing (only these may be interrupted)."""
    start = sql.lstrip()[:6].upper()
    return start == "SELECT" or (start[:4] == "WITH" and _WRITES.search(sql) is None)


class _Outcome:
    __slots__ = ("description", "lastrowid", "rowcount", "rows")

    def __init__(self, cursor: sqlite3.Cursor, rows: list[Any]) -> None:
        self.description: Description = cursor.description
        self.rowcount = cursor.rowcount
        self.lastrowid = cursor.lastrowid
        self.rows = rows


class InlineCursor:
    """aiosqlite's Cursor: every row is read when the statement runs (SQLAlchemy's aiosqlite
    adapter fetches them all at once anyway), then handed out from memory."""

    arraysize = 1

    def __init__(self, connection: InlineConnection) -> None:
        self._connection = connection
        self._outcome: _Outcome | None = None
        self._next = 0

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def execute(self, sql: str, parameters: Parameters = ()) -> InlineCursor:
        def work() -> _Outcome:
            cursor = self._connection.sqlite.cursor()
            cursor.execute(sql, parameters)
            return _Outcome(cursor, cursor.fetchall() if cursor.description else [])

        self._outcome = await self._connection.run(work, budget=_read_only(sql))
        self._next = 0
        return self

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> InlineCursor:
        rows = list(parameters)  # read once: a retry in a worker thread runs it again

        def work() -> _Outcome:
            cursor = self._connection.sqlite.cursor()
            cursor.executemany(sql, rows)
            return _Outcome(cursor, [])

        self._outcome = await self._connection.run(work, budget=False)
        self._next = 0
        return self

    @property
    def description(self) -> Description:
        return None if self._outcome is None else self._outcome.description

    @property
    def rowcount(self) -> int:
        return -1 if self._outcome is None else self._outcome.rowcount

    @property
    def lastrowid(self) -> int | None:
        return None if self._outcome is None else self._outcome.lastrowid

    async def fetchone(self) -> Any:
        rows = self._rows()
        if self._next >= len(rows):
            return None
        self._next += 1
        return rows[self._next - 1]

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        rows = self._rows()
        taken = rows[self._next : self._next + (size or self.arraysize)]
        self._next += len(taken)
        return taken

    async def fetchall(self) -> list[Any]:
        rows = self._rows()
        taken = rows[self._next :]
        self._next = len(rows)
        return taken

    async def close(self) -> None:
        self._outcome = None

    def _rows(self) -> list[Any]:
        return [] if self._outcome is None else self._outcome.rows


class _RunNow:
    """SQLAlchemy's adapter sets isolation_level by putting (future, function) on aiosqlite's
    private queue `_tx`; here it runs at once."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as error:  # noqa: BLE001 - handed to the awaiting caller
            future.set_exception(error)


class InlineConnection:
    """aiosqlite's Connection, as far as SQLAlchemy's aiosqlite dialect and kit/ use it."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.sqlite = connection
        self.in_worker_thread = False  # a bulk unit of work: every statement in a worker thread
        # Whether the WAL wants a checkpoint (kit/sqlite_checkpoints.py); None: never asked.
        self.wal_full: Callable[[], bool] | None = None
        # What SQLAlchemy's adapter reads of aiosqlite's internals:
        self._conn: sqlite3.Connection = connection
        self._connection: sqlite3.Connection | None = connection
        self._tx = _RunNow()

    async def run(self, work: Callable[[], T], *, budget: bool) -> T:
        if self.in_worker_thread:
            return await sqlite_inline.in_worker_thread(self.sqlite, work)
        return await sqlite_inline.run(self.sqlite, work, budget=budget)

    @property
    def in_transaction(self) -> bool:
        return self.sqlite.in_transaction

    @property
    def isolation_level(self) -> str | None:
        return self.sqlite.isolation_level

    def cursor(self) -> InlineCursor:
        return InlineCursor(self)

    async def execute(self, sql: str, parameters: Parameters = ()) -> InlineCursor:
        return await InlineCursor(self).execute(sql, parameters)

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> InlineCursor:
        return await InlineCursor(self).executemany(sql, parameters)

    async def execute_fetchall(self, sql: str, parameters: Parameters = ()) -> list[Any]:
        return await (await self.execute(sql, parameters)).fetchall()

    async def stream(
        self, sql: str, parameters: Parameters, batch_rows: int
    ) -> AsyncIterator[list[Any]]:
        """The rows of a long SELECT (an export), `batch_rows` at a time, each batch read in a
        worker thread: the rows never sit in memory all at once, and reading them does not
        hold the loop. (execute() reads every row at once, as SQLAlchemy's adapter would.)"""
        cursor = self.sqlite.cursor()
        try:
            await sqlite_inline.in_worker_thread(
                self.sqlite, lambda: cursor.execute(sql, parameters)
            )
            while batch := await sqlite_inline.in_worker_thread(
                self.sqlite, lambda: cursor.fetchmany(batch_rows)
            ):
                yield batch
        finally:
            cursor.close()

    async def commit(self) -> None:
        """The commit, then (the WAL past its length) the checkpoint SQLite would have run
        inside it on this thread, in a worker thread: the writer waits for it, the loop not."""
        await self.run(self.sqlite.commit, budget=False)
        if self.wal_full is not None and self.wal_full():
            await sqlite_inline.in_worker_thread(self.sqlite, self.checkpoint)

    def checkpoint(self) -> None:
        """PASSIVE: what no reader still needs. (Another connection's checkpoint under way
        answers a row saying busy, not an error.)"""
        self.sqlite.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    async def rollback(self) -> None:
        await self.run(self.sqlite.rollback, budget=False)

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self.sqlite.create_function(*args, **kwargs)

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        """Also SQLAlchemy's terminate: no thread to stop, only the connection to close.

        Rolled back first: SQLAlchemy closes a connection whose statement a cancellation
        interrupted (a server stopping, a client gone) with its transaction still open, and
        sqlite3's close() then leaves the handle open while a statement of it is unfinalized —
        holding the transaction, and SQLite's write lock, for every other writer (seen: a
        stopping server's sealers waited 30 s, and the next server's writes failed)."""
        if self._connection is not None:
            self._connection = None
            with contextlib.suppress(sqlite3.Error):
                if self.sqlite.in_transaction:
                    self.sqlite.rollback()
            self.sqlite.close()


async def connect(path: str) -> InlineConnection:
    """Autocommit at the driver (SQLAlchemy's begin event issues BEGIN), no busy timeout:
    locks are waited for by InlineConnection.run, off the event loop's thread."""
    return InlineConnection(
        sqlite3.connect(path, timeout=0, isolation_level=None, check_same_thread=False)
    )
