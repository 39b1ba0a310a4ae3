"""Fixtures of the webhook engine's tests: a live receiver, and a queue free of earlier work."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from finite.kit.db import Database
from tests.webhook_receiver import Receiver, running_receiver, settle_waiting_webhook_work


@pytest.fixture
def rx() -> Iterator[Receiver]:
    with running_receiver() as receiver:
        yield receiver


@pytest.fixture
async def quiet_queue(db: Database) -> None:
    """For tests that count deliveries: `pytestmark = pytest.mark.usefixtures("quiet_queue")`."""
    await settle_waiting_webhook_work(db)
