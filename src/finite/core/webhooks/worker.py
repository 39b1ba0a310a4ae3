"""The delivery worker: fan out new events, claim due deliveries, send them side by side.

Every claimed delivery runs in its own task, so a slow endpoint never holds up another one; an
endpoint gets at most `per_endpoint` deliveries in flight, one more round waits here, and the rest
of its queue waits in the database. Outcomes are written in batches. `stop()` lets deliveries in
flight finish (they time out after 15 s) and gives back the claims it cannot finish.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections import Counter, defaultdict, deque
from collections.abc import Callable
from datetime import datetime, timedelta

from finite.core.metrics import metrics
from finite.core.webhooks import queue
from finite.core.webhooks.clients import EndpointClients
from finite.core.webhooks.fanout import fan_out
from finite.core.webhooks.queue import Claimed
from finite.core.webhooks.sender import Outcome, TargetRules, send
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.kit.ids import new_id
from finite.kit.secretbox import SecretBox
from finite.kit.ssrf import DEFAULT_PORTS, Resolver

log = logging.getLogger("finite.webhooks")

FLUSH_BATCH = 100  # outcomes written in one transaction
FLUSH_DELAY = 0.02  # seconds an outcome may wait for others before it is written


class DeliveryWorker:
    def __init__(
        self,
        db: Database,
        box: SecretBox,
        *,
        allow_private: bool,
        disable_after: timedelta,
        clock: Callable[[], datetime] = utcnow,
        resolver: Resolver | None = None,
        allowed_ports: frozenset[int] = DEFAULT_PORTS,
        max_in_flight: int = 256,
        per_endpoint: int = 8,
        batch_size: int = 64,  # small claims: rows past an endpoint's share are wasted work
        idle_interval: float = 0.1,
        lease: timedelta = queue.LEASE,
    ) -> None:
        self.db = db
        self.box = box
        self.clock = clock
        self.disable_after = disable_after
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{new_id('w')[-6:]}"
        self.rules = TargetRules(allow_private, resolver, allowed_ports)
        self.clients = EndpointClients(self.rules, connections_per_endpoint=per_endpoint)
        self.max_in_flight = max_in_flight
        self.per_endpoint = per_endpoint
        self.batch_size = batch_size
        self.idle_interval = idle_interval
        self.lease = lease
        self._in_flight: dict[asyncio.Task[Outcome], Claimed] = {}
        self._per_endpoint: Counter[str] = Counter()
        self._results: list[tuple[Claimed, Outcome]] = []
        self._waiting: defaultdict[str, deque[Claimed]] = defaultdict(deque)
        self._wake = asyncio.Event()
        self._results_since = 0.0
        self._last_poll = 0.0
        self._queue_busy = False
        self._nudged = False
        self._stopping = False
        self._runner: asyncio.Task[None] | None = None

    # --- running in the background -------------------------------------------------------

    def start(self) -> None:
        self._runner = asyncio.create_task(self.run(), name="webhook-worker")

    def nudge(self) -> None:
        """Look for work now (a change was just committed in this process)."""
        self._nudged = True
        self._wake.set()

    async def run(self) -> None:
        log.info("webhook worker %s started", self.worker_id)
        while not self._stopping:
            try:
                busy = await self._step()
            except Exception:
                log.exception("webhook worker step failed; retrying shortly")
                busy = False
                await asyncio.sleep(1)
            if not busy:
                timeout = (
                    FLUSH_DELAY if self._results or self._queue_busy else self._until_next_poll()
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout)
            self._wake.clear()

    def _until_next_poll(self) -> float:
        """Sleep until the idle poll is due, not a full interval from now (a wake-up from a
        finished delivery would otherwise push the poll back, or an early one find it not due).
        The millisecond covers asyncio running timers up to its clock resolution early."""
        due = self._last_poll + self.idle_interval - asyncio.get_running_loop().time()
        return max(0.0, due) + 0.001

    async def stop(self, grace: float = 16.0) -> None:
        self._stopping = True
        self._wake.set()
        if self._runner is not None:
            await self._runner
        if self._in_flight:
            await asyncio.wait(list(self._in_flight), timeout=grace)
        unfinished = [claimed for task, claimed in self._in_flight.items() if not task.done()]
        unfinished += [item for waiting in self._waiting.values() for item in waiting]
        self._waiting.clear()
        for task in list(self._in_flight):
            if not task.done():
                task.cancel()
        self._collect_done()
        await self._flush()
        if unfinished:
            async with self.db.transaction() as session:
                await queue.release(session, unfinished)
        await self.clients.aclose()
        log.info("webhook worker %s stopped", self.worker_id)

    # --- one pass, also used by tests with their own clock ----------------------------------

    async def run_once(self) -> int:
        """Fan out, claim everything due now, send it all, record it. Returns attempts made."""
        while await self._fan_out():
            pass
        attempted = 0
        while True:
            claimed = await self._claim(self.batch_size)
            if not claimed:
                return attempted
            tasks = [asyncio.create_task(self._send(item)) for item in claimed]
            outcomes = await asyncio.gather(*tasks)
            async with self.db.transaction() as session:
                statuses = await queue.record(
                    session,
                    list(zip(claimed, outcomes, strict=True)),
                    now=self.clock(),
                    disable_after=self.disable_after,
                )
            _count(statuses)
            if any(outcome.gone for outcome in outcomes):
                await self._remove_gone_hooks()
            attempted += len(claimed)

    async def _step(self) -> bool:
        """One turn of the loop. Database work is batched: results are written when enough
        have gathered (or they have waited FLUSH_DELAY), and the queue is only looked at when a
        quarter of the slots (in flight or waiting here) are free and something was nudged, all
        claimed work has started, or the poll interval passed."""
        self._collect_done()
        loop_time = asyncio.get_running_loop().time()
        busy = False
        if self._results and (
            len(self._results) >= FLUSH_BATCH
            or not self._in_flight
            or loop_time - self._results_since >= FLUSH_DELAY
        ):
            busy = bool(await self._flush())
        waiting = sum(len(queued) for queued in self._waiting.values())
        free = self.max_in_flight - len(self._in_flight) - waiting
        nudged, self._nudged = self._nudged, False
        # While the queue has work, look again every FLUSH_DELAY as slots free up; when it is
        # empty, every idle_interval (or at once when nudged).
        poll_due = (
            nudged
            or (self._queue_busy and not self._waiting)
            or loop_time
            >= (self._last_poll + (FLUSH_DELAY if self._queue_busy else self.idle_interval))
        )
        if poll_due and free >= max(1, self.max_in_flight // 4):
            waiting_work = queue.Waiting(events=True, deliveries=True)
            # Look before locking, also when nudged: most changes leave no work (an
            # organization without endpoints), and each write transaction here takes SQLite's
            # write lock.
            if not self._queue_busy:
                async with self.db.raw_read() as connection:
                    waiting_work = await queue.work_waiting(connection, self.clock())
            fanned = await self._fan_out() if waiting_work.events else 0
            wanted = waiting_work.deliveries or fanned > 0
            claimed = await self._claim(min(free, self.batch_size)) if wanted else []
            for item in claimed:
                self._waiting[item.outgoing.endpoint_id].append(item)
            self._queue_busy = fanned > 0 or bool(claimed)
            self._last_poll = loop_time
            busy = busy or bool(claimed)
        self._start_ready()
        return busy

    def _start_ready(self) -> None:
        """Start waiting deliveries of endpoints below their share of slots."""
        for endpoint_id, waiting in list(self._waiting.items()):
            while waiting and self._per_endpoint[endpoint_id] < self.per_endpoint:
                item = waiting.popleft()
                task = asyncio.create_task(self._send(item))
                task.add_done_callback(self._task_done)
                self._in_flight[task] = item
                self._per_endpoint[endpoint_id] += 1
            if not waiting:
                del self._waiting[endpoint_id]

    def _task_done(self, _task: asyncio.Task[Outcome]) -> None:
        self._wake.set()

    async def _fan_out(self) -> int:
        async with self.db.transaction() as session:
            return await fan_out(session, self.clock())

    async def _claim(self, limit: int) -> list[Claimed]:
        """Claim due deliveries, each endpoint at most two rounds of its share (in flight and
        waiting here), so one endpoint's backlog cannot take every slot."""
        share = 2 * self.per_endpoint
        held: Counter[str] = Counter(self._per_endpoint)
        for endpoint_id, waiting in self._waiting.items():
            held[endpoint_id] += len(waiting)
        async with self.db.transaction() as session:
            return await queue.claim(
                session,
                self.box,
                worker_id=self.worker_id,
                now=self.clock(),
                limit=limit,
                skip_endpoints=[e for e, n in held.items() if n >= share],
                lease=self.lease,
                room=lambda endpoint_id: share - held[endpoint_id],
            )

    async def _send(self, item: Claimed) -> Outcome:
        endpoint_id = item.outgoing.endpoint_id
        try:
            session = self.clients.acquire(endpoint_id)
            return await send(session, self.rules, item.outgoing, self.clock())
        finally:
            await self.clients.release(endpoint_id)

    def _collect_done(self) -> None:
        for task in [t for t in self._in_flight if t.done()]:
            item = self._in_flight.pop(task)
            self._per_endpoint[item.outgoing.endpoint_id] -= 1
            if self._per_endpoint[item.outgoing.endpoint_id] <= 0:
                del self._per_endpoint[item.outgoing.endpoint_id]
            if not task.cancelled() and task.exception() is None:
                if not self._results:
                    self._results_since = asyncio.get_running_loop().time()
                self._results.append((item, task.result()))
            elif not task.cancelled():
                log.error(
                    "delivery %s crashed", item.outgoing.delivery_id, exc_info=task.exception()
                )

    async def _flush(self) -> int:
        if not self._results:
            return 0
        results, self._results = self._results, []
        async with self.db.transaction() as session:
            statuses = await queue.record(
                session, results, now=self.clock(), disable_after=self.disable_after
            )
        _count(statuses)
        if any(outcome.gone for _, outcome in results):
            await self._remove_gone_hooks()
        return len(results)

    async def _remove_gone_hooks(self) -> None:
        async with self.db.transaction() as session:
            await queue.remove_gone_rest_hooks(session)

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)


def _count(statuses: Counter[str]) -> None:
    """After the commit: what /metrics counts was recorded."""
    deliveries = metrics().webhook_deliveries
    for status, count in statuses.items():
        deliveries.labels(status).inc(count)
