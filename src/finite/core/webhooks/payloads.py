"""The body of a delivery, built once at fan-out and sent unchanged on every attempt."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import msgspec

from finite.models.events import Event
from finite.models.webhooks import WEBHOOK

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

# Each product that writes events to the outbox says how its deliveries' bodies look, per kind
# of endpoint (models/webhooks: a webhook, or a REST hook such as Zapier's).
_BUILDERS: dict[tuple[str, str], PayloadBuilder] = {("crm", WEBHOOK): crm_payload}


def register_payload(product: str, builder: PayloadBuilder, kind: str = WEBHOOK) -> None:
    _BUILDERS[(product, kind)] = builder


def unregister_payload(product: str, kind: str = WEBHOOK) -> PayloadBuilder | None:
    return _BUILDERS.pop((product, kind), None)


def event_payload(event: Event, delivery_id: str, kind: str = WEBHOOK) -> bytes:
    return _BUILDERS[(event.product, kind)](event, delivery_id)


PingBuilder = Callable[[str, str, datetime], bytes]


def ping_payload(endpoint_id: str, delivery_id: str, now: datetime) -> bytes:
    """The CRM's test event, shaped as its events are."""
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


_PINGS: dict[str, PingBuilder] = {"crm": ping_payload}


def register_ping(product: str, builder: PingBuilder) -> None:
    _PINGS[product] = builder


def ping_body(product: str, endpoint_id: str, delivery_id: str, now: datetime) -> bytes:
    """The test event of a product's endpoint, shaped as that product's events are."""
    return _PINGS.get(product, ping_payload)(endpoint_id, delivery_id, now)
