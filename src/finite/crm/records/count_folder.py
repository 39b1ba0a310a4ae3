"""Fold the record counts' pending deltas (pending_counts.py) into their counters in the
background, every second, so that a list's total sums few rows. Every server process runs one
where the engine keeps deltas (PostgreSQL); they fold side by side, each taking rows no other
holds. Nothing waits on a fold: totals are exact before it and after it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from finite.crm.engine import crm_engine
from finite.kit import db_errors
from finite.kit.db import Database

if TYPE_CHECKING:
    from finite.platform.state import Platform

logger = logging.getLogger("finite.crm.counts")

FOLD_INTERVAL_SECONDS = 1.0
COUNT_FOLDER = "record counts"


class CountFolder:
    def __init__(
        self,
        db: Database,
        fold: Callable[[Database], Awaitable[int]],
        interval: float = FOLD_INTERVAL_SECONDS,
    ) -> None:
        self._db = db
        self._fold = fold
        self._interval = interval
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._stopping = False
        self._waiting_for_database = False

    def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="finite-count-folder")

    def nudge(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        """After the fold in progress; what is left waits for the next process's."""
        if self._task is not None:
            self._stopping = True
            self._wake.set()
            await self._task
            self._task = None

    async def fold_now(self) -> int:
        return await self._fold(self._db)

    async def _run(self) -> None:
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._interval)
            self._wake.clear()
            if not self._stopping:
                await self._fold_logging_failures()

    async def _fold_logging_failures(self) -> None:
        """A failed fold changed nothing: the next one tries again. An outage is logged once."""
        try:
            await self.fold_now()
        except Exception as error:
            if not db_errors.unavailable(error):
                logger.warning("folding record counts failed; retrying later", exc_info=True)
            elif not self._waiting_for_database:
                logger.warning(
                    "database unavailable (%s); folding record counts waits",
                    db_errors.reason(error),
                )
            self._waiting_for_database = db_errors.unavailable(error)
        else:
            self._waiting_for_database = False


def count_folder(platform: Platform) -> CountFolder | None:
    """The folder of this process (platform.upkeep_factories), where the engine needs one."""
    return crm_engine(platform.db).count_folder(platform.db)
