"""One SQLite writer at a time: an event loop's write transactions take turns on an asyncio
lock, and the processes sharing a database file (`finite serve --workers 2`, `finite worker`)
take turns on a lock file beside it.

Without the file, two processes met on SQLite's own write lock: with busy timeout 0 a writer
that found it taken retried from a worker thread every 5 ms, so the lock went to whichever
process asked at the right moment and each retry cost a thread hand-off. A lock file (flock)
is tried without blocking first and, when taken, waited for in a thread kept for it that the
kernel wakes when the file is released: no polling, and no thread hand-off when it is free. A
process that dies lets go of it with its open files.

The policy: a turn holds the file from BEGIN to COMMIT, and the file goes back at the end of
every turn, even with more of the process's writers queued (WriteTurns.leave). What keeps a
process's queued writers from paying one turn each is group commit (kit/write_groups.py): on
the request path a turn is a round, which every writer queued in the process joins, each in a
savepoint, up to 32 writers or 50 ms, with one COMMIT. So the file changes hands between rounds,
not between transactions, and the processes alternate. Bulk units of work and writers that
gave up waiting for their round take a turn of their own.

Keeping the file for a few more turns while the process still had writers queued (tried: up to
8 turns or 20 ms) was not kept: a round already holds the file across those writers, and pays
one commit where the kept turns paid one each.

Measured (`python bench/sqlite_two_writers.py`: 2 processes of 16 writers, each writer 150
transactions of one insert; 2 cores, 2026-12-07):

| turns | transactions/s | p50 | p99 | commits | waits for the file | shares |
|---|---|---|---|---|---|---|
| rounds (group commit) | 2,425 | 13 ms | 22 ms | 301 | 269 | 52 / 48 % |
| one transaction a turn | 1,681 | 20 ms | 45 ms | 4,800 | 2,921 | 50 / 50 % |
| rounds, 1 ms inside each | 586 | 54 ms | 109 ms | 200 | 171 | 51 / 49 % |
| one a turn, 1 ms inside each | 492 | 65 ms | 79 ms | 3,200 | 2,775 | 50 / 50 % |

A round trades its last members' wait (its members' work runs in one turn) for commits. The
request path's writes do not yield inside a transaction (kit/sqlite_inline_driver.py), so
served rounds form only while the process waits for the other one's turn (docs/performance.md).

Connections that take no turn (the CLI's bulk loads, migrations, another program) still meet
SQLite's own lock and wait for it as before (kit/sqlite_inline.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import queue
import threading
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, NamedTuple

from finite.kit import sqlite_inline
from finite.kit.private_files import create_private

WRITE_TURN_TIMEOUT_SECONDS = sqlite_inline.PATIENT_BUSY_SECONDS  # as long as a lock is waited for


def lock_path(database: str) -> Path:
    return Path(f"{database}.write-lock")


class FileLock:
    """An exclusive flock on the lock file. flock excludes open files, not processes: each
    FileLock opens its own, so two in one process exclude each other too."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._held: BinaryIO | None = None
        self._idle: BinaryIO | None = None  # kept open for the next take
        self._pid = os.getpid()
        self._waits: queue.SimpleQueue[_Wait | None] | None = None  # the waiting thread's

    @property
    def held(self) -> bool:
        return self._held is not None

    async def take(self) -> None:
        file = self._open()
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            await self._wait_for(file)  # not taken: the file is the waiting thread's to close
        self._held = file

    def release(self) -> None:
        file, self._held = self._held, None
        if file is not None:
            fcntl.flock(file, fcntl.LOCK_UN)
            self._idle = file

    def _open(self) -> BinaryIO:
        file, self._idle = self._idle, None
        if file is not None and self._pid == os.getpid():
            return file
        self._pid = os.getpid()  # a forked child opens its own: an inherited one is shared
        self._waits = None  # and starts its own thread: threads do not survive a fork
        with contextlib.suppress(FileExistsError):
            os.close(create_private(self._path))
        return self._path.open("rb")

    async def _wait_for(self, file: BinaryIO) -> None:
        """A blocking flock in this lock's waiting thread. Cancelled (or timed out) meanwhile,
        the thread goes on waiting and closes the file, releasing the lock, as soon as it gets
        it; the next wait queues behind."""
        loop = asyncio.get_running_loop()
        taken: asyncio.Future[None] = loop.create_future()

        def settle(error: OSError | None) -> None:  # on the loop's thread
            if taken.done():  # nobody waits for it any more
                file.close()
            elif error is not None:
                file.close()
                taken.set_exception(error)
            else:
                taken.set_result(None)

        self._waiting_thread().put(_Wait(file, loop, settle))
        try:
            await taken
        except BaseException:
            # Cancelled after the lock was handed over but before this task ran again.
            if taken.done() and not taken.cancelled() and taken.exception() is None:
                file.close()
            raise

    def _waiting_thread(self) -> queue.SimpleQueue[_Wait | None]:
        """Started at the first wait and kept: starting a thread for each wait held the loop
        until the new thread ran, milliseconds on a busy machine. A daemon, so that a wait
        still under way never holds the process open at exit; it ends with its FileLock."""
        if self._waits is None:
            self._waits = queue.SimpleQueue()
            weakref.finalize(self, self._waits.put, None)
            threading.Thread(
                target=_wait_in_turn, args=(self._waits,), name="finite-write-lock", daemon=True
            ).start()
        return self._waits


class _Wait(NamedTuple):
    file: BinaryIO
    loop: asyncio.AbstractEventLoop
    settle: Callable[[OSError | None], None]


def _wait_in_turn(waits: queue.SimpleQueue[_Wait | None]) -> None:
    while (wait := waits.get()) is not None:
        error: OSError | None = None
        try:
            fcntl.flock(wait.file, fcntl.LOCK_EX)
        except OSError as failed:
            error = failed
        try:
            wait.loop.call_soon_threadsafe(wait.settle, error)
        except RuntimeError:  # the loop is closed
            wait.file.close()


class WriteTurns:
    """The turns of one event loop's writers on one database (and its lock file, if any)."""

    def __init__(self, lock: FileLock | None) -> None:
        self._turn = asyncio.Lock()
        self._lock = lock

    async def enter(self) -> bool:
        """Wait for this loop's turn, then the file's. False: the loop's turn did not come
        within WRITE_TURN_TIMEOUT_SECONDS (a transaction inside another of the same task would
        wait forever): go ahead to SQLite's own lock, as a connection without turns does. The
        file's not coming in time likewise leaves SQLite's lock to wait for."""
        deadline = asyncio.get_running_loop().time() + WRITE_TURN_TIMEOUT_SECONDS
        try:
            async with asyncio.timeout_at(deadline):
                await self._turn.acquire()
        except TimeoutError:
            return False
        if self._lock is not None:
            try:
                async with asyncio.timeout_at(deadline):
                    await self._lock.take()
            except TimeoutError:
                pass
            except BaseException:
                self._turn.release()
                raise
        return True

    def leave(self) -> None:
        """End of a turn that enter() gave. The file lock goes back at every turn, even with
        this loop's writers queued: the next of them starts only after the loop has run what
        was ready before it (other requests' work), time in which another process can write."""
        if self._lock is not None:
            self._lock.release()
        self._turn.release()
