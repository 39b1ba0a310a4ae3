"""The body of a delivery, built once at fan-out and sent unchanged on every attempt."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import msgspec

from finite.models.events import Event

_ENCODER = msgspec.json.Encoder(decimal_format="number")


def occurred_at_text(moment: datetime) -> str:
    """As the seed's example: ``2026-06-12T10:30:00+00:00``."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def crm_payload(event: Event, delivery_id: str) -> bytes:
    """The seed's payload (event, module, record_id, occurred_at, data) plus the record's
    version, so receivers can drop stale updates, and the delivery id, to drop duplicates."""
    body: dict[str, Any] = {
        "event": event.event,
        "module": event.module,
        "record_id": event.record_id,
        "occurred_at": occurred_at_text(event.occurred_at),
        "data": event.data,
        "version": event.version,
        "delivery_id": delivery_id,
    }
    return _ENCODER.encode(body)


PayloadBuilder = Callable[[Event, str], bytes]

# Each product that writes events to the outbox says how its deliveries' bodies look.
_BUILDERS: dict[str, PayloadBuilder] = {"crm": crm_payload}


def register_payload(product: str, builder: PayloadBuilder) -> None:
    _BUILDERS[product] = builder


def event_payload(event: Event, delivery_id: str) -> bytes:
    return _BUILDERS[event.product](event, delivery_id)


def ping_payload(endpoint_id: str, delivery_id: str, now: datetime) -> bytes:
    body = {
        "event": "ping",
        "module": None,
        "record_id": None,
        "occurred_at": occurred_at_text(now),
        "data": {"webhook_id": endpoint_id, "message": "Finite webhook test event."},
        "version": None,
        "delivery_id": delivery_id,
    }
    return _ENCODER.encode(body)
