"""Every dispatch resolves and checks the target again: a hostname whose DNS answer turns private
after the endpoint was created (DNS rebinding), or a private address stored while private targets
were allowed, is refused when sending — recorded as a failed attempt, and nothing is received."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from finite.config import Settings
from finite.core.plans.entitlement import entitlement_for
from finite.core.webhooks.service import NewEndpoint, TargetPolicy, checked_url, create_endpoint
from finite.core.webhooks.worker import DeliveryWorker
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.kit.secretbox import SecretBox
from finite.kit.ssrf import DEFAULT_PORTS, Resolver
from finite.models.webhooks import WebhookAttempt, WebhookDelivery
from tests.factories import OrgSetup, bearer
from tests.webhook_receiver import (
    FakeClock,
    Receiver,
)

Client = AsyncTestClient[Litestar]
PUBLIC_IP = "93.184.215.14"
pytestmark = pytest.mark.usefixtures("quiet_queue")  # each test counts only its own deliveries


class SwitchableDNS:
    """A resolver whose answers the test changes between creation and dispatch."""

    def __init__(self, answers: list[str]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        return list(self.answers)


def worker_with(
    db: Database,
    settings: Settings,
    *,
    allow_private: bool,
    resolver: Resolver | None = None,
    allowed_ports: frozenset[int] = DEFAULT_PORTS,
) -> DeliveryWorker:
    return DeliveryWorker(
        db,
        SecretBox.from_secrets(settings.secret_key),
        allow_private=allow_private,
        disable_after=timedelta(days=5),
        clock=FakeClock(utcnow() + timedelta(seconds=1)),
        resolver=resolver,
        allowed_ports=allowed_ports,
    )


@pytest.fixture
async def public_only_worker(db: Database, settings: Settings) -> AsyncIterator[DeliveryWorker]:
    """The production client (`new_http_client`), as `finite worker` builds it by default."""
    worker = worker_with(db, settings, allow_private=False)
    yield worker
    await worker.stop()  # also closes the HTTP clients of a worker never started


async def attempts_of(db: Database, webhook_id: str) -> list[WebhookAttempt]:
    async with db.read() as session:
        delivery_ids = select(WebhookDelivery.id).where(WebhookDelivery.endpoint_id == webhook_id)
        return list(
            (
                await session.scalars(
                    select(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(delivery_ids))
                )
            ).all()
        )


async def lead(client: Client, org: OrgSetup, name: str = "Asha Rao") -> None:
    response = await client.post(
        "/api/records/leads", json={"name": name}, headers=bearer(org.crm_key)
    )
    assert response.status_code == 201, response.text


async def test_dns_rebinding_to_loopback_is_refused_at_dispatch(
    client: Client, db: Database, settings: Settings, org: OrgSetup, rx: Receiver
) -> None:
    dns = SwitchableDNS([PUBLIC_IP])
    box = SecretBox.from_secrets(settings.secret_key)
    now = utcnow()
    async with db.transaction() as session:
        created = await create_endpoint(
            session,
            box,
            org_id=org.org_id,
            entitlement=entitlement_for("crm", "enterprise", "active", None, None, None, now),
            new=NewEndpoint(
                await checked_url(
                    "http://hooks.example.com/hooks",
                    TargetPolicy(allow_private=False, resolver=dns),
                ),
                ["*"],
                ["*"],
                "rebinding",
            ),
            now=now,
        )
        # Production allows ports 80 and 443 only; aim at the receiver's port so that, were the
        # check skipped, the rebound address really would answer (the transports allow it too).
        created.endpoint.url = f"http://hooks.example.com:{rx.port}/hooks"
    webhook_id = created.endpoint.id
    assert dns.asked == ["hooks.example.com"], "checked at creation"

    dns.answers = ["127.0.0.1"]  # the attacker's DNS now points the name at loopback
    await lead(client, org)
    ports = DEFAULT_PORTS | {rx.port}
    refusing = worker_with(db, settings, allow_private=False, resolver=dns, allowed_ports=ports)
    try:
        assert await refusing.run_once() == 1
    finally:
        await refusing.stop()  # also closes the HTTP clients of a worker never started
    assert dns.asked == ["hooks.example.com", "hooks.example.com"], "resolved again to send"
    assert rx.snapshot() == []
    (attempt,) = await attempts_of(db, webhook_id)
    assert attempt.status_code is None
    assert attempt.error is not None
    assert attempt.error.startswith("refused target")
    assert "127.0.0.1" in attempt.error
    async with db.read() as session:
        delivery = (
            await session.scalars(
                select(WebhookDelivery).where(WebhookDelivery.endpoint_id == webhook_id)
            )
        ).one()
    assert delivery.status == "failed"
    assert delivery.last_error == attempt.error

    # Control: the same delivery through a transport that allows loopback reaches the receiver,
    # pinned to the resolved address with the original Host, so the refusal above was real.
    allowing = worker_with(db, settings, allow_private=True, resolver=dns)
    try:
        response = await client.post(
            f"/api/webhooks/{webhook_id}/deliveries/{delivery.id}/redeliver",
            headers=bearer(org.crm_key),
        )
        assert response.status_code == 202, response.text
        assert await allowing.run_once() == 1
    finally:
        await allowing.stop()  # also closes the HTTP clients of a worker never started
    (received,) = rx.wait_for(1)
    assert received.headers["host"] == f"hooks.example.com:{rx.port}"
    assert received.json()["delivery_id"] == delivery.id


async def test_a_hostname_with_any_private_answer_is_refused_at_dispatch(
    client: Client, db: Database, settings: Settings, org: OrgSetup, rx: Receiver
) -> None:
    dns = SwitchableDNS([PUBLIC_IP])
    now = utcnow()
    async with db.transaction() as session:
        created = await create_endpoint(
            session,
            SecretBox.from_secrets(settings.secret_key),
            org_id=org.org_id,
            entitlement=entitlement_for("crm", "enterprise", "active", None, None, None, now),
            new=NewEndpoint(
                await checked_url(
                    "https://hooks.example.com/in", TargetPolicy(allow_private=False, resolver=dns)
                ),
                ["leads"],
                ["create"],
                "",
            ),
            now=now,
        )
    dns.answers = [PUBLIC_IP, "169.254.169.254"]
    await lead(client, org)
    worker = worker_with(db, settings, allow_private=False, resolver=dns)
    try:
        assert await worker.run_once() == 1
    finally:
        await worker.stop()  # also closes the HTTP clients of a worker never started
    (attempt,) = await attempts_of(db, created.endpoint.id)
    assert attempt.error is not None
    assert attempt.error.startswith("refused target")
    assert "169.254.169.254" in attempt.error
    assert "FINITE_ALLOW_PRIVATE_TARGETS" not in attempt.error, "no setting admits metadata"


async def test_the_production_client_refuses_a_loopback_target_stored_earlier(
    client: Client, org: OrgSetup, public_only_worker: DeliveryWorker, rx: Receiver
) -> None:
    # Created while private targets were allowed (the test app allows them); the worker does not.
    created = await client.post("/api/webhooks", json={"url": rx.url}, headers=bearer(org.crm_key))
    assert created.status_code == 201
    await lead(client, org)
    assert await public_only_worker.run_once() == 1
    assert rx.snapshot() == []
    (attempt,) = await attempts_of(public_only_worker.db, created.json()["id"])
    assert attempt.status_code is None
    assert attempt.error is not None
    assert attempt.error.startswith("refused target")
    history = await client.get(
        f"/api/webhooks/{created.json()['id']}/deliveries", headers=bearer(org.crm_key)
    )
    (shown,) = history.json()["deliveries"]
    assert shown["status"] == "failed"
    assert shown["attempts"][0]["error"].startswith("refused target")


async def test_a_delivery_refused_as_local_records_the_setting_for_local_testing(
    client: Client, org: OrgSetup, public_only_worker: DeliveryWorker, rx: Receiver
) -> None:
    """A receiver on loopback (port 18131, say) while testing locally: the failure reason the
    history shows says which setting admits it."""
    created = await client.post("/api/webhooks", json={"url": rx.url}, headers=bearer(org.crm_key))
    assert created.status_code == 201
    await lead(client, org)
    assert await public_only_worker.run_once() == 1
    (attempt,) = await attempts_of(public_only_worker.db, created.json()["id"])
    assert attempt.error is not None
    assert f"port {rx.port} is not allowed" in attempt.error
    assert "FINITE_ALLOW_PRIVATE_TARGETS=1" in attempt.error
    history = await client.get(
        f"/api/webhooks/{created.json()['id']}/deliveries", headers=bearer(org.crm_key)
    )
    (shown,) = history.json()["deliveries"]
    assert "FINITE_ALLOW_PRIVATE_TARGETS=1" in shown["attempts"][0]["error"]
    assert "FINITE_ALLOW_PRIVATE_TARGETS=1" in shown["last_error"]
