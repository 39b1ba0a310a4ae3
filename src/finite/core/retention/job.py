"""Retention in the background: a pass soon after start, then one every interval.

`finite worker` runs it (and `finite serve` when it runs the worker inline). Several processes
may run it at once: their batches skip each other's rows (purge.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime

from finite.core.retention.purge import BATCH_SIZE, purge
from finite.core.retention.registry import Retained
from finite.kit.clock import utcnow
from finite.kit.db import Database

log = logging.getLogger("finite.retention")

FIRST_PASS_DELAY = 30.0  # seconds: let the process start its real work first


class RetentionJob:
    def __init__(
        self,
        db: Database,
        plan: tuple[Retained, ...],
        *,
        interval: float,
        batch_size: int = BATCH_SIZE,
        first_delay: float = FIRST_PASS_DELAY,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.plan = plan
        self.interval = interval
        self.batch_size = batch_size
        self.first_delay = first_delay
        self.clock = clock
        self._stopping = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._runner = asyncio.create_task(self._run(), name="retention")

    async def stop(self) -> None:
        """Ends after the batch in progress, never in the middle of one."""
        self._stopping.set()
        if self._runner is not None:
            await self._runner

    async def run_once(self) -> int:
        purged = await purge(
            self.db,
            self.plan,
            self.clock(),
            batch_size=self.batch_size,
            keep_going=lambda: not self._stopping.is_set(),
        )
        if purged.total:
            counts = ", ".join(f"{name} {n}" for name, n in purged.deleted.items() if n)
            log.info("retention deleted %d rows past their time: %s", purged.total, counts)
        return purged.total

    async def _run(self) -> None:
        delay = self.first_delay
        while not await self._wait(delay):
            try:
                await self.run_once()
            except Exception:
                log.exception("retention pass failed; trying again at the next interval")
            delay = self.interval

    async def _wait(self, seconds: float) -> bool:
        """Whether the job was stopped within `seconds`."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)
        return self._stopping.is_set()
