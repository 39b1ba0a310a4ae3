"""Write a change into the events outbox, inside the transaction that makes the change.

An event goes to the endpoints that were active when it occurred (webhooks/matching.py). When
its organization has none for the product, nothing will ever deliver it, so it is written
already fanned out, and the delivery worker is not woken for it (core/wakes.py). Before,
every change left the worker a fan-out and a claim transaction, each taking SQLite's write
lock (4 callers creating leads, interleaved: SQLite 128-149 → 164-198 a second, PostgreSQL
181-203 → 211-239).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.wakes import Wake, wake_after_commit
from finite.kit.clock import utcnow
from finite.kit.db import engine_of
from finite.kit.fast_read import fetch_all
from finite.kit.fast_write import execute_write
from finite.kit.ids import new_id
from finite.models.events import Event
from finite.models.webhooks import WebhookEndpoint

_EVENTS = cast(Table, Event.__table__)
# On the table, not the ORM class: insert(Event) would go through the ORM's bulk insert.
_INSERT = insert(_EVENTS)
_ACTIVE_ENDPOINT = (
    select(WebhookEndpoint.id)
    .where(
        WebhookEndpoint.org_id == bindparam("org_id"),
        WebhookEndpoint.product == bindparam("product"),
        WebhookEndpoint.status == "active",
    )
    .limit(1)
)


async def record_event(
    session: AsyncSession,
    *,
    org_id: str,
    product: str,
    event: str,
    module: str,
    record_id: int,
    version: int,
    data: dict[str, Any],
    changed_fields: Sequence[str],
    subject_id: str | None = None,
) -> str:
    """Returns the event's id. `record_id` and `version` are a CRM record's; a product whose
    subjects have string ids gives `subject_id` (and 0 for both)."""
    now = utcnow()
    fanned_out = await _has_active_endpoint(session, org_id, product) is False
    values: dict[str, Any] = {
        "org_id": org_id,
        "id": new_id("evt"),
        "product": product,
        "event": event,
        "module": module,
        "record_id": record_id,
        "subject_id": subject_id,
        "version": version,
        "occurred_at": now,
        "data": data,
        "changed_fields": list(changed_fields),
        "fanned_out_at": now if fanned_out else None,
    }
    # A Core insert built once, on the driver's connection (kit/fast_write.py): an ORM object
    # and its flush cost ~0.3 ms more of every change, SQLAlchemy's execution ~0.3 ms more.
    await execute_write(session, _INSERT, values)
    wake_after_commit(session, None if fanned_out else Wake.DELIVERIES)
    return str(values["id"])


@dataclass(frozen=True, slots=True)
class RecordEvent:
    """A CRM record's event, for record_events."""

    event: str
    module: str
    record_id: int
    version: int
    data: dict[str, Any]
    changed_fields: Sequence[str]


async def record_events(
    session: AsyncSession, org_id: str, product: str, events: Sequence[RecordEvent]
) -> None:
    """Many events of one organization (a batch write) in one statement, as record_event
    writes each."""
    if not events:
        return
    now = utcnow()
    fanned_out_at = None if await _has_active_endpoint(session, org_id, product) else now
    rows = [
        {
            "org_id": org_id,
            "id": new_id("evt"),
            "product": product,
            "event": event.event,
            "module": event.module,
            "record_id": event.record_id,
            "subject_id": None,
            "version": event.version,
            "occurred_at": now,
            "data": event.data,
            "changed_fields": list(event.changed_fields),
            "fanned_out_at": fanned_out_at,
        }
        for event in events
    ]
    await engine_of(session).insert_rows(session, _EVENTS, tuple(rows[0]), rows)
    wake_after_commit(session, None if fanned_out_at is not None else Wake.DELIVERIES)


async def look_up_endpoints(session: AsyncSession, org_id: str, product: str) -> None:
    """Ask now whether the organization has an active endpoint, before the change takes its
    row locks: record_event then knows without a round trip inside them (on PostgreSQL,
    creations queue on their module's id counter until commit, and a query there lengthened
    every creation's wait: p99 55 → 100 ms with 4 callers). Asked once per transaction."""
    await _has_active_endpoint(session, org_id, product)


async def _has_active_endpoint(session: AsyncSession, org_id: str, product: str) -> bool:
    known: dict[tuple[str, str], bool] = session.info.setdefault("finite_active_endpoints", {})
    if (org_id, product) not in known:
        found = await fetch_all(session, _ACTIVE_ENDPOINT, {"org_id": org_id, "product": product})
        known[(org_id, product)] = bool(found)
    return known[(org_id, product)]
