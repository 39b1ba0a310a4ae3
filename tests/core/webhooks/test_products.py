"""The engine serves any product: each registers how its payloads look, endpoints only get
their own product's events."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import msgspec
import pytest
from sqlalchemy import select

from finite.config import Settings
from finite.core.plans.catalog import Product
from finite.core.plans.entitlement import entitlement_for
from finite.core.webhooks import payloads
from finite.core.webhooks.fanout import fan_out
from finite.core.webhooks.service import NewEndpoint, create_endpoint
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.kit.ids import new_id
from finite.kit.secretbox import SecretBox
from finite.models.events import Event
from finite.models.webhooks import WebhookDelivery
from tests.factories import OrgSetup
from tests.webhook_receiver import settle_waiting_webhook_work


@pytest.fixture
def handover_payloads() -> Iterator[None]:
    def build(event: Event, delivery_id: str) -> bytes:
        return msgspec.json.encode(
            {"type": f"pack.{event.event}", "packId": event.data["id"], "deliveryId": delivery_id}
        )

    own = payloads.unregister_payload("handover")
    payloads.register_payload("handover", build)
    yield
    payloads.unregister_payload("handover")
    if own is not None:
        payloads.register_payload("handover", own)


async def test_each_product_gets_its_own_events_in_its_own_shape(
    db: Database, settings: Settings, org: OrgSetup, handover_payloads: None
) -> None:
    await settle_waiting_webhook_work(db)  # earlier tests' events would fill the batch
    box = SecretBox.from_secrets(settings.secret_key)
    created = utcnow() - timedelta(seconds=5)
    endpoints = {}
    async with db.transaction() as session:
        plans: tuple[tuple[Product, str], ...] = (("crm", "enterprise"), ("handover", "agency"))
        for product, plan in plans:
            made = await create_endpoint(
                session,
                box,
                org_id=org.org_id,
                entitlement=entitlement_for(product, plan, "active", None, None, None, created),
                new=NewEndpoint("http://127.0.0.1:9/hook", ["*"], ["*"], product),
                now=created,
            )
            endpoints[product] = made.endpoint.id
        session.add(
            Event(
                org_id=org.org_id,
                id=new_id("evt"),
                product="handover",
                event="sent",
                module="packs",
                record_id=0,
                version=1,
                occurred_at=utcnow(),
                data={"id": "pack_123"},
                changed_fields=[],
            )
        )
    async with db.transaction() as session:
        await fan_out(session, utcnow())
    async with db.read() as session:
        deliveries = (
            await session.scalars(
                select(WebhookDelivery).where(WebhookDelivery.org_id == org.org_id)
            )
        ).all()
    assert [d.endpoint_id for d in deliveries] == [endpoints["handover"]]
    body = msgspec.json.decode(deliveries[0].payload)
    assert body == {"type": "pack.sent", "packId": "pack_123", "deliveryId": deliveries[0].id}
