"""Turn outbox events into deliveries: one per event and matching endpoint.

Events are taken oldest first with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so any number of
workers share the queue; on SQLite the write transaction (BEGIN IMMEDIATE) serializes them. The
deliveries and the event's mark commit together: an event is fanned out exactly once.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.webhooks.matching import matches
from finite.core.webhooks.payloads import event_payload
from finite.kit.ids import new_id
from finite.models.events import Event
from finite.models.webhooks import WebhookDelivery, WebhookEndpoint


async def fan_out(session: AsyncSession, now: datetime, batch: int = 500) -> int:
    """Fan out up to `batch` waiting events; returns how many events were taken (an event that
    matches no endpoint counts too: 0 means none was waiting, or all are another worker's)."""
    events = (
        await session.scalars(
            select(Event)
            .where(Event.fanned_out_at.is_(None))
            .order_by(Event.occurred_at)
            .limit(batch)
            .with_for_update(skip_locked=True)
        )
    ).all()
    if not events:
        return 0
    by_org: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        by_org[event.org_id].append(event)
    endpoints = (
        await session.scalars(
            select(WebhookEndpoint).where(
                WebhookEndpoint.org_id.in_(by_org), WebhookEndpoint.status == "active"
            )
        )
    ).all()
    endpoints_of: dict[str, list[WebhookEndpoint]] = defaultdict(list)
    for endpoint in endpoints:
        endpoints_of[endpoint.org_id].append(endpoint)

    rows = []
    for event in events:
        for endpoint in endpoints_of.get(event.org_id, ()):
            if matches(endpoint, event):
                delivery_id = new_id("dlv")
                rows.append(
                    {
                        "org_id": event.org_id,
                        "id": delivery_id,
                        "endpoint_id": endpoint.id,
                        "event_id": event.id,
                        "event": event.event,
                        "module": event.module,
                        "subject_id": event.subject_id or str(event.record_id),
                        "payload": event_payload(event, delivery_id, endpoint.kind).decode(),
                        "status": "pending",
                        "attempts_in_round": 0,
                        "attempt_total": 0,
                        "next_attempt_at": now,
                        "created_at": now,
                    }
                )
    if rows:
        await session.execute(insert(WebhookDelivery), rows)
    for org_id, org_events in by_org.items():
        await session.execute(
            update(Event)
            .where(Event.org_id == org_id, Event.id.in_([event.id for event in org_events]))
            .values(fanned_out_at=now)
            .execution_options(synchronize_session=False)
        )
    return len(events)
