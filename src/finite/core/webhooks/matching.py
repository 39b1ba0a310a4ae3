"""Which endpoints an event goes to: same product, module and event filters, created before it."""

from __future__ import annotations

from collections.abc import Sequence

from finite.models.events import Event
from finite.models.webhooks import WebhookEndpoint

EVERYTHING = "*"


def _allows(chosen: Sequence[str], value: str) -> bool:
    return EVERYTHING in chosen or value in chosen


def matches(endpoint: WebhookEndpoint, event: Event) -> bool:
    return (
        endpoint.status == "active"
        and endpoint.product == event.product
        and endpoint.created_at <= event.occurred_at
        and _allows(endpoint.modules, event.module)
        and _allows(endpoint.events, event.event)
    )
