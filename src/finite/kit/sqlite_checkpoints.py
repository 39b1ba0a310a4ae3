"""WAL checkpoints in a worker thread instead of in a committing connection.

SQLite checkpoints when a commit leaves the WAL past 1,000 pages, in the connection that
committed: every ~25 record creations, ~1,000 pages copied back into the database file and an
fsync, on the event loop's thread (statements run there: kit/sqlite_inline_driver.py). The
pools' connections turn that off (PRAGMA wal_autocheckpoint = 0); instead, every
CHECKPOINT_EVERY commits of a process, or as soon as a commit grows the WAL file by
CHECKPOINT_GROWTH_BYTES (a bulk load), a PASSIVE checkpoint runs on a connection of its own in a
worker thread, one at a time: it copies what no reader still needs while the writers go on, and
the next writer starts the WAL over once everything in it is copied.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import threading

CHECKPOINT_EVERY = 25  # commits (a record creation writes ~40 pages)
CHECKPOINT_GROWTH_BYTES = 4 * 1024 * 1024  # SQLite's own threshold: 1,000 pages of 4 KiB

log = logging.getLogger(__name__)


class Checkpoints:
    def __init__(self, database: str) -> None:
        self._database = database
        self._wal = f"{database}-wal"
        self._commits = 0
        self._wal_size = 0  # the WAL file's size at the last checkpoint started
        self._running = threading.Lock()  # held by the worker thread checkpointing
        # Opened by the first checkpoint, then kept: opening one reads the schema (10-13 ms of
        # CPU with the 21 modules' tables, indexes and triggers).
        self._connection: sqlite3.Connection | None = None

    def after_commit(self) -> None:
        """A commit on this process's connections, on the event loop's thread."""
        self._commits += 1
        try:
            size = os.stat(self._wal).st_size  # never shrinks: SQLite reuses it from the start
        except FileNotFoundError:
            size = 0
        grown = size - self._wal_size >= CHECKPOINT_GROWTH_BYTES
        if (self._commits < CHECKPOINT_EVERY and not grown) or self._running.locked():
            return
        self._commits = 0
        self._wal_size = size
        done = asyncio.get_running_loop().run_in_executor(None, self._checkpoint)
        done.add_done_callback(_log_failure)

    def _checkpoint(self) -> None:
        if not self._running.acquire(blocking=False):
            return
        try:
            if self._connection is None:
                # Its own: the pools' belong to the loop. Busy timeout 0: a checkpoint another
                # process is running already does the work.
                self._connection = sqlite3.connect(
                    self._database, timeout=0, isolation_level=None, check_same_thread=False
                )
            self._connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        finally:
            self._running.release()


def _log_failure(done: asyncio.Future[None]) -> None:
    if not done.cancelled() and (error := done.exception()) is not None:
        log.warning("WAL checkpoint failed: %s", error)
