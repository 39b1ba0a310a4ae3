"""Rows of every kind retention deletes, dated as each test needs, for one organization."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute

from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.kit.ids import new_id
from finite.models.events import Event, IdempotentRequest
from finite.models.webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from tests.factories import OrgSetup


@dataclass
class Rows:
    """Inserts rows of the organization `org_id` `age` old, and counts what is left."""

    db: Database
    org_id: str
    endpoint_id: str
    now: datetime

    async def event(self, age: timedelta, *, fanned_out: bool = True) -> str:
        when = self.now - age
        event_id = new_id("evt")
        async with self.db.transaction() as session:
            session.add(
                Event(
                    org_id=self.org_id,
                    id=event_id,
                    product="crm",
                    event="record.created",
                    module="leads",
                    record_id=1,
                    version=1,
                    occurred_at=when,
                    data={},
                    changed_fields=[],
                    fanned_out_at=when if fanned_out else None,
                )
            )
        return event_id

    async def delivery(self, age: timedelta, status: str, attempts: int = 1) -> str:
        when = self.now - age
        delivery_id = new_id("dlv")
        async with self.db.transaction() as session:
            session.add(
                WebhookDelivery(
                    org_id=self.org_id,
                    id=delivery_id,
                    endpoint_id=self.endpoint_id,
                    event="record.created",
                    payload="{}",
                    status=status,
                    attempts_in_round=attempts,
                    attempt_total=attempts,
                    next_attempt_at=when if status in ("pending", "failed") else None,
                    created_at=when,
                )
            )
            await session.flush()
            for number in range(1, attempts + 1):
                session.add(
                    WebhookAttempt(
                        org_id=self.org_id,
                        delivery_id=delivery_id,
                        id=new_id("att"),
                        number=number,
                        attempted_at=when,
                        status_code=200,
                        latency_ms=5,
                    )
                )
        return delivery_id

    async def idempotency_key(self, age: timedelta) -> str:
        key = new_id("idem")
        async with self.db.transaction() as session:
            session.add(
                IdempotentRequest(
                    org_id=self.org_id,
                    key_id="key",
                    idempotency_key=key,
                    method="POST",
                    path="/api/records/leads",
                    request_hash="0" * 64,
                    status=201,
                    body="{}",
                    created_at=self.now - age,
                )
            )
        return key

    async def ids(self, model: type[Event | WebhookDelivery | IdempotentRequest]) -> set[str]:
        """The ids (idempotency keys: the keys) of this organization's rows of `model`."""
        column: InstrumentedAttribute[str] = (
            IdempotentRequest.idempotency_key
            if model is IdempotentRequest
            else getattr(model, "id")  # noqa: B009 - not every model in the union has one
        )
        async with self.db.read() as session:
            query = select(column).where(getattr(model, "org_id") == self.org_id)  # noqa: B009
            return set((await session.scalars(query)).all())

    async def attempts_of(self, delivery_id: str) -> int:
        async with self.db.read() as session:
            query = select(func.count()).where(
                WebhookAttempt.org_id == self.org_id, WebhookAttempt.delivery_id == delivery_id
            )
            return int((await session.execute(query)).scalar_one())


@pytest.fixture
async def rows(db: Database, org: OrgSetup) -> Rows:
    now = utcnow()
    endpoint_id = new_id("ep")
    async with db.transaction() as session:
        session.add(
            WebhookEndpoint(
                org_id=org.org_id,
                id=endpoint_id,
                product="crm",
                url="https://example.com/hook",
                description="",
                modules=["*"],
                events=["*"],
                secret_sealed=b"not opened here",
                status="active",
                created_at=now,
                updated_at=now,
            )
        )
    return Rows(db, org.org_id, endpoint_id, now)
