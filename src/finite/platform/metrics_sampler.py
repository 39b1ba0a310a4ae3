"""What each process holds in memory, for /metrics: its pools' connections in use, its audit
backlog, its deliveries in flight. Sampled every second into the process's gauges (summed over
the live processes in multiprocess mode), and once more by the process answering a scrape."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from finite.core.audit.writer import AuditWriter
from finite.core.metrics import metrics, process_ended
from finite.core.webhooks.worker import DeliveryWorker
from finite.kit.db import Database

logger = logging.getLogger("finite.metrics")

SAMPLE_INTERVAL_SECONDS = 1.0


def sample(db: Database, audit: AuditWriter | None, worker: DeliveryWorker | None) -> None:
    """Set this process's gauges from what it holds now."""
    own = metrics()
    for name, pool in db.pools().items():
        checked_out = getattr(pool, "checkedout", None)  # QueuePool's; NullPool has none
        if checked_out is not None:
            own.db_pool_in_use.labels(name).set(checked_out())
            own.db_pool_size.labels(name).set(pool.size())  # type: ignore[attr-defined]
    if audit is not None:
        own.audit_backlog.set(audit.backlog)
    if worker is not None:
        own.webhook_in_flight.set(worker.in_flight)


class Sampler:
    """Samples the process's gauges every second, so every process's figures are current in
    the multiprocess sums, not only those of the process that answers the scrape."""

    def __init__(
        self, db: Database, audit: AuditWriter | None, worker: DeliveryWorker | None = None
    ) -> None:
        self.db, self.audit, self.worker = db, audit, worker
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="finite-metrics-sampler")

    async def _run(self) -> None:
        while True:
            try:
                sample(self.db, self.audit, self.worker)
            except Exception:  # figures are never worth stopping for
                logger.warning("sampling metrics failed", exc_info=True)
            await asyncio.sleep(SAMPLE_INTERVAL_SECONDS)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        process_ended()
