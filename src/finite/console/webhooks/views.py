"""What the webhook pages show of an endpoint and a delivery: plain values for the templates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from finite.core.webhooks.service import DeliveryWithAttempts
from finite.models.webhooks import WebhookAttempt, WebhookEndpoint

BODY_PREVIEW = 120  # characters of a response body in the history's table


def when(moment: datetime | None) -> str:
    return "—" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def choice_text(chosen: list[str]) -> str:
    return "every one (*)" if chosen == ["*"] else ", ".join(chosen)


def health(endpoint: WebhookEndpoint) -> str:
    """active, failing since …, or disabled and why."""
    if endpoint.status != "active":
        reason = endpoint.disabled_reason or "no reason recorded"
        return f"Disabled since {when(endpoint.disabled_at)}: {reason}"
    if endpoint.failing_since is not None:
        return f"Active, failing since {when(endpoint.failing_since)}"
    return "Active"


def settings_of(endpoint: WebhookEndpoint) -> dict[str, Any]:
    """An endpoint's settings as the audit log keeps them (never its secret)."""
    return {
        "url": endpoint.url,
        "modules": list(endpoint.modules),
        "events": list(endpoint.events),
        "description": endpoint.description,
        "status": endpoint.status,
    }


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {
        name: {"before": before.get(name), "after": value}
        for name, value in after.items()
        if before.get(name) != value
    }


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    id: str
    event: str
    module: str
    subject: str
    status: str
    attempts: int
    next_retry: str
    response_code: str
    latency: str
    body: str
    created: str


def _last(found: DeliveryWithAttempts) -> WebhookAttempt | None:
    return found.attempts[-1] if found.attempts else None


def delivery_row(found: DeliveryWithAttempts) -> DeliveryRow:
    delivery, last = found.delivery, _last(found)
    due = delivery.status in ("pending", "failed")
    code = delivery.last_status_code
    body = (last.response_body or "") if last is not None else ""
    return DeliveryRow(
        id=delivery.id,
        event=delivery.event,
        module=delivery.module or "—",
        subject=delivery.subject_id or "—",
        status=delivery.status,
        attempts=delivery.attempt_total,
        next_retry=when(delivery.next_attempt_at) if due else "—",
        response_code=str(code) if code is not None else (delivery.last_error or "—")[:60],
        latency=f"{last.latency_ms} ms" if last is not None else "—",
        body=body[:BODY_PREVIEW] + ("…" if len(body) > BODY_PREVIEW else ""),
        created=when(delivery.created_at),
    )
