"""Fixtures the drills share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.webhook_receiver import Receiver, running_receiver


@pytest.fixture
def rx() -> Iterator[Receiver]:
    """A webhook receiver on loopback, answering 200 unless a test scripts otherwise."""
    with running_receiver() as receiver:
        yield receiver
