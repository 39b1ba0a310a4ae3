"""Fixtures of the webhook engine's tests: a live receiver, a queue free of earlier work, and a
delivery worker on a fake clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from finite.config import Settings
from finite.core.webhooks.worker import DeliveryWorker
from finite.kit.db import Database
from tests.webhook_receiver import (
    FakeClock,
    Receiver,
    new_worker,
    running_receiver,
    settle_waiting_webhook_work,
)


@pytest.fixture
def rx() -> Iterator[Receiver]:
    with running_receiver() as receiver:
        yield receiver


@pytest.fixture
async def quiet_queue(db: Database) -> None:
    """For tests that count deliveries: `pytestmark = pytest.mark.usefixtures("quiet_queue")`."""
    await settle_waiting_webhook_work(db)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def worker(
    db: Database, settings: Settings, clock: FakeClock
) -> AsyncIterator[DeliveryWorker]:
    delivery_worker = new_worker(db, settings, clock)
    yield delivery_worker
    await delivery_worker.stop()  # also closes the HTTP clients of a worker never started
