"""An idle delivery worker looks before it locks: one read says whether any event waits to be
fanned out or any delivery is due and unleased, and only then does it open write transactions
(on SQLite each would take the database's write lock, ten times a second per process)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from finite.config import Settings
from finite.core.webhooks.queue import Waiting, work_waiting
from finite.kit.db import Database
from finite.models.events import Event
from finite.models.webhooks import WebhookDelivery
from tests.factories import OrgSetup, bearer
from tests.webhook_receiver import (
    FakeClock,
    Receiver,
    new_worker,
    settle_waiting_webhook_work,
)

Client = AsyncTestClient[Litestar]


class CountingDatabase(Database):
    """The test database, counting the write transactions opened on it."""

    def __init__(self, db: Database) -> None:  # shares the engine, does not build one
        self.__dict__.update(db.__dict__)
        self.transactions = 0

    @asynccontextmanager
    async def transaction(self, *, bulk: bool = False) -> AsyncIterator[AsyncSession]:
        self.transactions += 1
        async with super().transaction(bulk=bulk) as session:
            yield session


async def waiting(db: Database, clock: FakeClock) -> Waiting:
    async with db.read() as session:
        return await work_waiting(session, clock())


async def test_an_idle_worker_reads_once_and_locks_nothing(
    client: Client, db: Database, settings: Settings, org: OrgSetup, rx: Receiver
) -> None:
    await settle_waiting_webhook_work(db)  # the queue is shared with earlier tests
    clock = FakeClock()
    counted = CountingDatabase(db)
    worker = new_worker(counted, settings, clock)
    try:
        assert await waiting(db, clock) == Waiting(events=False, deliveries=False)
        assert await worker._step() is False
        assert counted.transactions == 0

        # A change committed by another process (nothing nudges this worker): the next poll
        # finds it, fans it out and delivers it.
        headers = bearer(org.crm_key)
        made = await client.post("/api/webhooks", json={"url": rx.url}, headers=headers)
        assert made.status_code == 201, made.text
        lead = await client.post("/api/records/leads", json={"name": "Asha"}, headers=headers)
        assert lead.status_code == 201, lead.text
        assert await waiting(db, clock) == Waiting(events=True, deliveries=False)
        worker._last_poll = float("-inf")  # the poll interval has passed
        assert await worker._step() is True
        assert counted.transactions == 2  # fan-out, then claim
        for _ in range(200):  # the send runs on this loop: wait without blocking it
            if rx.snapshot():
                break
            await asyncio.sleep(0.05)
        (received,) = rx.snapshot()
        assert received.json()["record_id"] == lead.json()["id"]
    finally:
        await worker.stop()


async def test_due_means_due_now_and_not_leased(
    client: Client, db: Database, settings: Settings, org: OrgSetup
) -> None:
    await settle_waiting_webhook_work(db)
    clock = FakeClock()
    headers = bearer(org.crm_key)
    # An endpoint nobody listens on: the delivery stays in the queue for this test to move.
    made = await client.post(
        "/api/webhooks", json={"url": "http://127.0.0.1:9/hook"}, headers=headers
    )
    assert made.status_code == 201, made.text
    await client.post("/api/records/leads", json={"name": "Ravi"}, headers=headers)
    worker = new_worker(db, settings, clock)
    try:
        assert await worker._fan_out() == 1
    finally:
        await worker.stop()
    assert await waiting(db, clock) == Waiting(events=False, deliveries=True)

    async def set_delivery(**values: Any) -> None:
        async with db.transaction() as session:
            await session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.endpoint_id == made.json()["id"])
                .values(**values)
            )

    await set_delivery(lease_until=clock() + timedelta(seconds=60))  # another worker's
    assert await waiting(db, clock) == Waiting(events=False, deliveries=False)
    clock.advance(seconds=61)  # the lease ran out: it is anyone's again
    assert await waiting(db, clock) == Waiting(events=False, deliveries=True)
    await set_delivery(lease_until=None, next_attempt_at=clock() + timedelta(minutes=5))
    assert await waiting(db, clock) == Waiting(events=False, deliveries=False)
    clock.advance(minutes=5)
    assert await waiting(db, clock) == Waiting(events=False, deliveries=True)
    await set_delivery(status="dead", next_attempt_at=None)
    assert await waiting(db, clock) == Waiting(events=False, deliveries=False)


async def test_changes_of_an_organization_without_endpoints_leave_the_worker_nothing_to_lock(
    client: Client, db: Database, settings: Settings, org: OrgSetup, rx: Receiver
) -> None:
    """An event goes only to endpoints active when it occurred: with none, it is written
    fanned out, and the nudged worker reads once and opens no write transaction. Once the
    organization has an endpoint, its next change waits for the worker and is delivered."""
    await settle_waiting_webhook_work(db)
    clock = FakeClock()
    counted = CountingDatabase(db)
    worker = new_worker(counted, settings, clock)
    headers = bearer(org.crm_key)
    try:
        quiet = await client.post("/api/records/leads", json={"name": "Quiet"}, headers=headers)
        assert quiet.status_code == 201, quiet.text
        async with db.read() as session:
            event = (
                await session.scalars(
                    select(Event).where(
                        Event.org_id == org.org_id, Event.record_id == quiet.json()["id"]
                    )
                )
            ).one()
        assert event.fanned_out_at == event.occurred_at
        assert await waiting(db, clock) == Waiting(events=False, deliveries=False)
        worker.nudge()
        assert await worker._step() is False
        assert counted.transactions == 0

        made = await client.post("/api/webhooks", json={"url": rx.url}, headers=headers)
        assert made.status_code == 201, made.text
        heard = await client.post("/api/records/leads", json={"name": "Heard"}, headers=headers)
        assert heard.status_code == 201, heard.text
        assert await waiting(db, clock) == Waiting(events=True, deliveries=False)
        worker.nudge()
        assert await worker._step() is True
        assert counted.transactions == 2  # fan-out, then claim
        for _ in range(200):
            if rx.snapshot():
                break
            await asyncio.sleep(0.05)
        assert [hook.json()["record_id"] for hook in rx.snapshot()] == [heard.json()["id"]]
    finally:
        await worker.stop()
