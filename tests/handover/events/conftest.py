"""Fixtures of the handover event tests: a live receiver, a queue free of earlier tests' work,
and a delivery worker on a fake clock (tests/webhook_receiver.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from finite.config import Settings
from finite.core.webhooks.worker import DeliveryWorker
from finite.kit.db import Database
from tests.handover.factories import settle_queued_mail
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
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def worker(
    db: Database, settings: Settings, clock: FakeClock
) -> AsyncIterator[DeliveryWorker]:
    await settle_waiting_webhook_work(db)  # it serves every organization of the shared database
    delivery_worker = new_worker(db, settings, clock)
    yield delivery_worker
    await delivery_worker.stop()


@pytest.fixture(autouse=True)
async def no_mail_left(db: Database) -> AsyncIterator[None]:
    yield
    await settle_queued_mail(db)
