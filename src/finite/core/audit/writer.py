"""Audit rows of calls that changed nothing are buffered and written in batches off the request.

Rows of changes are written by the handler inside the change's own transaction; this writer takes
everything else (reads, refusals, failures) and inserts them already sealed into the
tamper-evident chain (chain.seal_arriving). It flushes every half second or every 500 rows, and
once more on shutdown, so a clean stop loses nothing.

While the database is unavailable (kit/db_errors.py: down, restarting, unreachable) rows wait
and the writer tries again, backing off up to every 5 s; only a row the database refuses (an
integrity or data error) is dropped, on its own, and logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.audit.chain import CHAIN_COLUMNS, CONTENT_COLUMNS, seal_arriving
from finite.core.metrics import metrics
from finite.kit import db_errors
from finite.kit.db import Database, engine_of
from finite.models.events import AuditEntry

logger = logging.getLogger("finite.audit")

FLUSH_INTERVAL_SECONDS = 0.5
FLUSH_BATCH = 500
MAX_BUFFERED = 50_000
MAX_RETRY_INTERVAL_SECONDS = 5.0
MAX_ATTEMPTS = 5  # of a row failing neither as refused nor for an outage (a lock, a conflict)

_COLUMNS = (*CONTENT_COLUMNS, *CHAIN_COLUMNS)
_ABSENT: dict[str, Any] = dict.fromkeys(_COLUMNS)
_TABLE = cast(Table, AuditEntry.__table__)


class AuditWriter:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._buffer: list[dict[str, Any]] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._stopping = False
        self.dropped = 0
        self._attempts: dict[str, int] = {}  # audit row id → failed writes so far
        self._outage_since: float | None = None
        self._overflowing = False  # MAX_BUFFERED reached, logged once until the rows are written

    def add(self, entry: dict[str, Any]) -> None:
        """`entry`: the row's column values (entries.audit_values)."""
        if len(self._buffer) >= MAX_BUFFERED:
            if not self._overflowing:
                logger.error("%d audit rows wait: dropping new ones until written", MAX_BUFFERED)
                self._overflowing = True
            self._dropped()  # bounded memory if the database stays down
            return
        self._buffer.append(entry)
        if len(self._buffer) >= FLUSH_BATCH:
            self._wake.set()

    @property
    def backlog(self) -> int:
        """Rows waiting to be written (/metrics reports it)."""
        return len(self._buffer)

    def _dropped(self) -> None:
        self.dropped += 1
        metrics().audit_dropped.inc()

    async def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="finite-audit-writer")

    async def stop(self) -> None:
        """Lets a write in progress finish (cancelled, it lost its batch: up to 500 rows at
        every stop that caught one), then writes what is left."""
        if self._task is not None:
            self._stopping = True
            self._wake.set()
            await self._task
            self._task = None
        if not await self.flush():
            logger.error(
                "stopping with %d audit rows the database did not take (unavailable?)",
                len(self._buffer),
            )

    async def flush(self) -> bool:
        """Write what is buffered; False when rows still wait (the database was unavailable, or
        a row failed in a way the next round may clear)."""
        async with self._lock:
            while self._buffer:
                batch, self._buffer = self._buffer[:FLUSH_BATCH], self._buffer[FLUSH_BATCH:]
                try:
                    await self._write(batch)
                except Exception as error:  # noqa: BLE001 - a bad row must not block the rest
                    if db_errors.unavailable(error):
                        self._buffer[:0] = batch
                        self._unavailable(error)
                        return False
                    kept = await self._write_one_by_one(batch)
                    if kept:
                        self._buffer[:0] = kept
                        return False
                except BaseException:  # cancelled: the batch was not written
                    self._buffer[:0] = batch
                    raise
                self._available()
            self._overflowing = False
            return True

    async def _write(self, rows: list[dict[str, Any]]) -> None:
        # Copies, every column present: a failed write leaves the buffered rows as they were.
        complete = [{**_ABSENT, **row} for row in rows]
        async with self._db.transaction(bulk=True) as session:  # a batch, in the background
            await seal_arriving(session, complete)
            await _insert(session, complete)

    async def _write_one_by_one(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Rows the database refuses are dropped; the rows it could not take now (it became
        unavailable, or a failure a retry may clear: a lock, a conflict) are returned, to wait
        for the next round. A row that keeps failing that way is dropped after MAX_ATTEMPTS."""
        kept: list[dict[str, Any]] = []
        for index, row in enumerate(rows):
            try:
                await self._write([row])
            except Exception as error:
                if db_errors.unavailable(error):
                    self._unavailable(error)
                    return kept + rows[index:]
                attempts = self._attempts.get(row["id"], 0) + 1
                if db_errors.refused(error) or attempts >= MAX_ATTEMPTS:
                    self._attempts.pop(row["id"], None)
                    self._dropped()
                    logger.exception(
                        "dropped an audit row the database %s: %s %s",
                        "refused" if db_errors.refused(error) else f"failed {attempts} times",
                        row["method"],
                        row["path"],
                    )
                else:
                    self._attempts[row["id"]] = attempts
                    logger.warning(
                        "an audit row could not be written (%s); it waits for the next round",
                        db_errors.reason(error),
                    )
                    kept.append(row)
            else:
                self._attempts.pop(row["id"], None)
        return kept

    def _unavailable(self, error: BaseException) -> None:
        """One warning per outage, not one per try."""
        if self._outage_since is None:
            self._outage_since = time.monotonic()
            logger.warning(
                "database unavailable (%s); audit rows wait, %d buffered",
                db_errors.reason(error),
                len(self._buffer),
            )

    def _available(self) -> None:
        if self._outage_since is not None:
            logger.warning(
                "database available again after %.1f s; the audit rows that waited are written",
                time.monotonic() - self._outage_since,
            )
            self._outage_since = None

    async def _run(self) -> None:
        delay = FLUSH_INTERVAL_SECONDS
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)
            self._wake.clear()
            try:
                written = await self.flush()
            except Exception:  # the next round tries again
                logger.warning("writing audit rows failed; retrying later", exc_info=True)
                written = False
            # Back off while the database is down or failing: 0.5, 1, 2, 4, then every 5 s.
            delay = (
                FLUSH_INTERVAL_SECONDS if written else min(delay * 2, MAX_RETRY_INTERVAL_SECONDS)
            )


async def _insert(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL: COPY, within the session's transaction; SQLite: executemany."""
    await engine_of(session).insert_rows(session, _TABLE, _COLUMNS, rows)
