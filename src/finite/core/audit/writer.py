"""Audit rows of calls that changed nothing are buffered and written in batches off the request.

Rows of changes are written by the handler inside the change's own transaction; this writer takes
everything else (reads, refusals, failures) and inserts them already sealed into the
tamper-evident chain (chain.seal_arriving). It flushes every half second or every 500 rows, and
once more on shutdown, so a clean stop loses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.audit.chain import CHAIN_COLUMNS, CONTENT_COLUMNS, seal_arriving
from finite.kit.db import Database, engine_of
from finite.models.events import AuditEntry

logger = logging.getLogger("finite.audit")

FLUSH_INTERVAL_SECONDS = 0.5
FLUSH_BATCH = 500
MAX_BUFFERED = 50_000

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

    def add(self, entry: dict[str, Any]) -> None:
        """`entry`: the row's column values (entries.audit_values)."""
        if len(self._buffer) >= MAX_BUFFERED:
            self.dropped += 1  # bounded memory if the database stays down
            return
        self._buffer.append(entry)
        if len(self._buffer) >= FLUSH_BATCH:
            self._wake.set()

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
        await self.flush()

    async def flush(self) -> None:
        async with self._lock:
            while self._buffer:
                batch, self._buffer = self._buffer[:FLUSH_BATCH], self._buffer[FLUSH_BATCH:]
                try:
                    await self._write(batch)
                except (OSError, OperationalError, InterfaceError):
                    logger.warning("database unavailable; %d audit rows wait", len(batch))
                    self._buffer[:0] = batch
                    return
                except Exception:  # noqa: BLE001 - a bad row must not block the rest
                    await self._write_one_by_one(batch)
                except BaseException:  # cancelled: the batch was not written
                    self._buffer[:0] = batch
                    raise

    async def _write(self, rows: list[dict[str, Any]]) -> None:
        # Copies, every column present: a failed write leaves the buffered rows as they were.
        complete = [{**_ABSENT, **row} for row in rows]
        async with self._db.transaction(bulk=True) as session:  # a batch, in the background
            await seal_arriving(session, complete)
            await _insert(session, complete)

    async def _write_one_by_one(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            try:
                await self._write([row])
            except Exception:
                self.dropped += 1
                logger.exception(
                    "dropped an audit row the database refused: %s %s", row["method"], row["path"]
                )

    async def _run(self) -> None:
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), FLUSH_INTERVAL_SECONDS)
            self._wake.clear()
            await self.flush()


async def _insert(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL: COPY, within the session's transaction; SQLite: executemany."""
    await engine_of(session).insert_rows(session, _TABLE, _COLUMNS, rows)
