"""Seal the audit chain in the background, every second, so requests never wait on hashing.

Every server process runs one; they take turns per organization (see chain.py), so running
several is safe. Stopping seals once more, so a clean stop leaves nothing waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from finite.core.audit.chain import seal_pending
from finite.kit import db_errors
from finite.kit.db import Database

logger = logging.getLogger("finite.audit")

SEAL_INTERVAL_SECONDS = 1.0


class AuditSealer:
    def __init__(self, db: Database, interval: float = SEAL_INTERVAL_SECONDS) -> None:
        self._db = db
        self._interval = interval
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._stopping = asyncio.Event()
        self._waiting_for_database = False

    async def start(self) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name="finite-audit-sealer")

    async def stop(self) -> None:
        """Lets a round in progress finish rather than interrupt its transaction, then seals
        what is left."""
        if self._task is not None:
            self._stopping.set()
            await self._task
            self._task = None
        await self._seal_logging_failures()

    async def seal_now(self) -> int:
        """Seal every waiting row now; returns how many were sealed."""
        async with self._lock:
            return await seal_pending(self._db)

    async def _run(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._interval)
            if not self._stopping.is_set():
                await self._seal_logging_failures()

    async def _seal_logging_failures(self) -> None:
        """A failed round rolls back and leaves its rows waiting for the next: nothing is lost.
        An outage is logged once, in one line."""
        try:
            await self.seal_now()
        except Exception as error:  # the next round tries again
            if not db_errors.unavailable(error):
                logger.warning("sealing the audit chain failed; retrying later", exc_info=True)
            elif not self._waiting_for_database:
                logger.warning(
                    "database unavailable (%s); sealing the audit chain waits",
                    db_errors.reason(error),
                )
            self._waiting_for_database = db_errors.unavailable(error)
        else:
            self._waiting_for_database = False
