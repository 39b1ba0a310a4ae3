"""Deliveries are at least once: every re-send of one delivery (a retry after a failure, another
worker's re-claim after a killed worker's lease ran out, a redeliver) carries the same
`webhook-id`, `X-Finite-Delivery` and body, so receivers can drop duplicates (defect 9)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from finite.config import Settings
from finite.core.webhooks import queue
from finite.core.webhooks.worker import DeliveryWorker
from finite.kit.db import Database
from tests.factories import OrgSetup, bearer
from tests.webhook_receiver import Answer, FakeClock, Received, Receiver, new_worker

Client = AsyncTestClient[Litestar]
pytestmark = pytest.mark.usefixtures("quiet_queue")  # each test counts only its own deliveries


@pytest.fixture
async def worker(
    db: Database, settings: Settings, clock: FakeClock
) -> AsyncIterator[DeliveryWorker]:
    delivery_worker = new_worker(db, settings, clock)
    yield delivery_worker
    await delivery_worker.stop()


async def new_lead_to(client: Client, org: OrgSetup, url: str) -> str:
    """A webhook to `url` and one new lead for it; returns the webhook's id."""
    created = await client.post("/api/webhooks", json={"url": url}, headers=bearer(org.crm_key))
    assert created.status_code == 201, created.text
    lead = await client.post(
        "/api/records/leads",
        json={"name": "Asha Rao", "company": "Acme Pumps"},
        headers=bearer(org.crm_key),
    )
    assert lead.status_code == 201, lead.text
    webhook_id: str = created.json()["id"]
    return webhook_id


def identities(request: Received) -> tuple[str, str, str]:
    return (
        request.headers["webhook-id"],
        request.headers["x-finite-delivery"],
        request.json()["delivery_id"],
    )


def assert_one_delivery_sent(requests: list[Received], count: int) -> None:
    assert len(requests) == count
    (only,) = {identities(request) for request in requests}
    webhook_id, finite_id, body_id = only
    assert webhook_id == finite_id == body_id
    assert len({request.body for request in requests}) == 1, "the same body every time"


async def test_a_retry_after_a_failure_keeps_the_ids(
    client: Client, org: OrgSetup, worker: DeliveryWorker, rx: Receiver, clock: FakeClock
) -> None:
    await new_lead_to(client, org, rx.url)
    rx.script = [Answer(500), Answer(503)]
    for _ in range(3):
        assert await worker.run_once() == 1
        clock.advance(hours=1)  # past the next retry's due time
    assert_one_delivery_sent(rx.snapshot(), 3)
    timestamps = {r.headers["webhook-timestamp"] for r in rx.snapshot()}
    assert len(timestamps) == 3, "each attempt is signed at its own time"


async def test_a_killed_workers_claim_is_resent_with_the_same_ids(
    client: Client,
    db: Database,
    settings: Settings,
    org: OrgSetup,
    worker: DeliveryWorker,
    rx: Receiver,
    clock: FakeClock,
) -> None:
    await new_lead_to(client, org, rx.url)
    rx.script = [Answer(delay=5.0)]  # the first worker dies before its answer comes
    killed = new_worker(db, settings, clock)
    dying = asyncio.create_task(killed.run_once())
    await rx.until(1)
    dying.cancel()  # like SIGKILL: nothing recorded, nothing released
    with pytest.raises(asyncio.CancelledError):
        await dying
    await killed.clients.aclose()

    clock.advance(seconds=queue.LEASE.total_seconds() - 1)
    assert await worker.run_once() == 0, "the lease still holds the claim"
    clock.advance(seconds=2)
    assert await worker.run_once() == 1, "re-claimed once the lease ran out"
    await rx.until(2)
    assert_one_delivery_sent(rx.snapshot(), 2)


async def test_a_redeliver_keeps_the_ids(
    client: Client, org: OrgSetup, worker: DeliveryWorker, rx: Receiver, clock: FakeClock
) -> None:
    webhook_id = await new_lead_to(client, org, rx.url)
    assert await worker.run_once() == 1
    delivery_id = rx.snapshot()[0].json()["delivery_id"]
    again = await client.post(
        f"/api/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
        headers=bearer(org.crm_key),
    )
    assert again.status_code == 202, again.text
    clock.advance(seconds=1)
    assert await worker.run_once() == 1
    sent: list[Any] = rx.snapshot()
    assert_one_delivery_sent(sent, 2)
