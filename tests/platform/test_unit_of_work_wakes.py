"""After a commit the unit of work wakes only the background workers the change left work for
(core/wakes.py): a record change of an organization without webhooks wakes none, one with an
active endpoint wakes the delivery worker, and a change no writer spoke for wakes them all."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from finite.core.wakes import Wake
from finite.platform.state import Platform
from tests.factories import OrgSetup, bearer
from tests.webhook_receiver import Receiver

Client = AsyncTestClient[Litestar]


@pytest.fixture
def woken(monkeypatch: pytest.MonkeyPatch) -> list[frozenset[Wake] | None]:
    seen: list[frozenset[Wake] | None] = []

    def spy(_platform: Platform, wakes: frozenset[Wake] | None = None) -> None:
        seen.append(wakes)

    monkeypatch.setattr(Platform, "nudge_worker", spy)
    return seen


async def test_a_change_wakes_the_delivery_worker_only_when_a_webhook_may_want_it(
    client: Client, org: OrgSetup, rx: Receiver, woken: list[frozenset[Wake] | None]
) -> None:
    headers = bearer(org.crm_key)
    lead = await client.post("/api/records/leads", json={"name": "Quiet"}, headers=headers)
    assert lead.status_code == 201, lead.text
    changed = await client.put(
        f"/api/records/leads/{lead.json()['id']}", json={"name": "Still quiet"}, headers=headers
    )
    assert changed.status_code == 200, changed.text
    assert woken == [frozenset(), frozenset()]  # no endpoint: nothing to deliver, no mail

    made = await client.post("/api/webhooks", json={"url": rx.url}, headers=headers)
    assert made.status_code == 201, made.text
    assert woken[-1] is None  # no writer said: every worker, as before

    heard = await client.post("/api/records/leads", json={"name": "Heard"}, headers=headers)
    assert heard.status_code == 201, heard.text
    assert woken[-1] == frozenset({Wake.DELIVERIES})


class _Worker:
    def __init__(self) -> None:
        self.nudges = 0

    def nudge(self) -> None:
        self.nudges += 1


@pytest.mark.parametrize(
    ("wakes", "deliveries", "mail"),
    [
        (None, 1, 1),
        (frozenset(), 0, 0),
        (frozenset({Wake.DELIVERIES}), 1, 0),
        (frozenset({Wake.MAIL}), 0, 1),
    ],
)
def test_the_platform_nudges_the_workers_named(
    wakes: frozenset[Wake] | None, deliveries: int, mail: int
) -> None:
    platform: Any = Platform.__new__(Platform)
    platform.worker, platform.mail_worker = _Worker(), _Worker()
    Platform.nudge_worker(platform, wakes)
    assert (platform.worker.nudges, platform.mail_worker.nudges) == (deliveries, mail)
