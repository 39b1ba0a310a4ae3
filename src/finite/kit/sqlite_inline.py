"""SQLite work on the event loop's own thread: raw_read()'s reads here, sessions' statements
through kit/sqlite_inline_driver.py.

aiosqlite runs each statement in a thread of its own connection. Under load that thread waits
for the GIL while the event loop runs other requests, and every statement becomes a wait of up
to a switch interval (5 ms): with 16 callers, SQLite lists served 560-810 requests/s with a
p99 of 94-139 ms; reading on the loop's thread instead, 1,160-1,190 requests/s and 31-38 ms
(same machine, interleaved, `finite serve --workers 2`, wrk -c16, 1M leads).

A read may not hold the loop for long: SQLite stops it after INLINE_BUDGET_SECONDS (a progress
handler), or at once on a lock it cannot take (busy timeout 0 on these connections: in WAL mode
readers rarely meet one); either way the statement runs again, to the end, in a worker thread,
waiting for locks as long as any other connection does. raw_read()'s connections are
read-only (PRAGMA query_only).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")

INLINE_BUDGET_SECONDS = 0.01
# How many SQLite virtual-machine steps pass between looks at the clock (~0.1 ms of work).
PROGRESS_STEPS = 10_000
PATIENT_BUSY_SECONDS = 30.0  # how long a lock is waited for (SQLite's busy timeout was 30 s)
BUSY_RETRY_SECONDS = 0.005

_LOCKED = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
_GIVE_WAY = (sqlite3.SQLITE_INTERRUPT, *_LOCKED)


def configure(connection: sqlite3.Connection) -> None:
    """A new inline-read connection: autocommit, read-only, no waiting for locks."""
    connection.isolation_level = None
    connection.execute("PRAGMA query_only = 1")
    connection.execute("PRAGMA busy_timeout = 0")


async def fetch_all(connection: sqlite3.Connection, sql: str, values: Sequence[Any]) -> list[Any]:
    """The rows of one statement: on this thread when it is quick, else in a worker thread."""
    return await run(connection, lambda: connection.execute(sql, values).fetchall())


async def run(connection: sqlite3.Connection, work: Callable[[], T], *, budget: bool = True) -> T:
    """`work` (statements on `connection`) on this thread, else again in a worker thread.

    With `budget`, SQLite stops the work after INLINE_BUDGET_SECONDS: only for read-only
    statements, since an interrupted INSERT, UPDATE or DELETE rolls its whole transaction back.
    Without, the work runs to its end here unless it meets a lock."""
    result = _here(connection, work, budget=budget)
    if isinstance(result, _GaveWay):
        return await in_worker_thread(connection, work)
    return result


async def in_worker_thread(connection: sqlite3.Connection, work: Callable[[], T]) -> T:
    """`work` in a worker thread. Cancelled meanwhile (a server stopping, a client gone), it
    interrupts the statement and waits for the thread to let go of the connection before the
    cancellation goes on: the connection goes back to its pool, and may be closed, only then."""
    abandoned = threading.Event()
    running = asyncio.get_running_loop().run_in_executor(None, _patiently, work, abandoned)
    try:
        return await asyncio.shield(running)
    except asyncio.CancelledError:
        abandoned.set()
        connection.interrupt()
        while not running.done():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait([running])
        if not running.cancelled():
            running.exception()  # seen: an interrupted statement is the expected outcome
        raise


class _GaveWay:
    """SQLite stopped the work: a lock it could not take, or the budget spent."""


_GAVE_WAY = _GaveWay()


def _here(connection: sqlite3.Connection, work: Callable[[], T], *, budget: bool) -> T | _GaveWay:
    if budget:
        deadline = time.perf_counter() + INLINE_BUDGET_SECONDS
        connection.set_progress_handler(lambda: time.perf_counter() > deadline, PROGRESS_STEPS)
    # Without a budget nothing here interrupts the work: an interruption is not ours to retry.
    give_way = _GIVE_WAY if budget else _LOCKED
    try:
        return work()
    except sqlite3.OperationalError as error:
        if error.sqlite_errorcode & 0xFF in give_way:  # the primary code of an extended one
            return _GAVE_WAY
        raise
    finally:
        if budget:
            connection.set_progress_handler(None, 0)


def _patiently(work: Callable[[], T], abandoned: threading.Event) -> T:
    """To the end, however long; a lock another connection holds is waited for (retried),
    as long as a connection with SQLite's own busy timeout would wait."""
    deadline = time.monotonic() + PATIENT_BUSY_SECONDS
    while not abandoned.is_set():  # set when cancelled, interrupt() or not
        try:
            return work()
        except sqlite3.OperationalError as error:
            locked = error.sqlite_errorcode & 0xFF in _LOCKED
            if not locked or time.monotonic() > deadline:
                raise
            time.sleep(BUSY_RETRY_SECONDS)
    raise sqlite3.OperationalError("abandoned: the caller was cancelled")
