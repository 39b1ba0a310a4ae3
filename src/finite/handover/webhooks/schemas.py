"""JSON shapes of /api/v1/webhooks (camelCase, like the rest of the handover surface)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from finite.core.webhooks.service import DeliveryWithAttempts
from finite.handover.events import HANDOVER_EVENTS
from finite.handover.schemas import Camel
from finite.kit.validate import TEXT_PATTERN
from finite.models.webhooks import WebhookAttempt, WebhookEndpoint

Url = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=2048,
        description="A public http(s) URL on port 80 or 443; the host must resolve.",
        extra_json_schema={"pattern": "^[Hh][Tt][Tt][Pp][Ss]?://[^\\s/?#]+"},
    ),
]
# core/webhooks/service.check_description's rule, stated for generated clients.
Description = Annotated[
    str, msgspec.Meta(max_length=500, extra_json_schema={"pattern": TEXT_PATTERN})
]
Events = Annotated[
    list[str] | str,
    msgspec.Meta(
        description='`"*"` (every event), one event type, or a list of them.',
        extra_json_schema={
            "anyOf": [
                {"type": "string", "enum": ["*", *HANDOVER_EVENTS]},
                {
                    "type": "array",
                    "minItems": 1,
                    "items": {"type": "string", "enum": list(HANDOVER_EVENTS)},
                },
                {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 1,
                    "items": {"type": "string", "enum": ["*"]},
                },
            ]
        },
    ),
]


class WebhookIn(Camel, forbid_unknown_fields=True):
    url: Url
    events: Events = "*"
    description: Description = ""


class WebhookPatchIn(Camel, forbid_unknown_fields=True):
    url: Url | msgspec.UnsetType = msgspec.UNSET
    events: Events | msgspec.UnsetType = msgspec.UNSET
    description: Description | msgspec.UnsetType = msgspec.UNSET
    enabled: bool | msgspec.UnsetType = msgspec.UNSET


class RecoverIn(Camel, forbid_unknown_fields=True):
    since: datetime


class WebhookOut(Camel):
    id: str
    url: str
    description: str
    events: list[str] | str
    status: str  # active | disabled
    disabled_reason: str | None
    disabled_at: datetime | None
    failing_since: datetime | None
    last_success_at: datetime | None
    previous_secret_expires_at: datetime | None  # both secrets sign until then
    created_at: datetime
    updated_at: datetime


class CreatedWebhookOut(WebhookOut):
    secret: str = ""  # shown once


class RotatedSecretOut(Camel):
    id: str
    secret: str
    previous_secret_expires_at: datetime


class AttemptOut(Camel):
    number: int
    attempted_at: datetime
    status_code: int | None
    latency_ms: int
    error: str | None
    response_body: str | None  # the first 2 KB


class DeliveryOut(Camel):
    id: str
    event: str
    event_id: str | None  # the event's id; none for a ping
    project_id: str | None
    status: str  # pending | failed (will retry) | succeeded | dead
    next_attempt_at: datetime | None
    created_at: datetime
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    attempts: list[AttemptOut]


class RecoveredOut(Camel):
    requeued: int


def webhook_out(endpoint: WebhookEndpoint) -> WebhookOut:
    return WebhookOut(
        id=endpoint.id,
        url=endpoint.url,
        description=endpoint.description,
        events="*" if endpoint.events == ["*"] else endpoint.events,
        status=endpoint.status,
        disabled_reason=endpoint.disabled_reason,
        disabled_at=endpoint.disabled_at,
        failing_since=endpoint.failing_since,
        last_success_at=endpoint.last_success_at,
        previous_secret_expires_at=endpoint.previous_secret_expires_at,
        created_at=endpoint.created_at,
        updated_at=endpoint.updated_at,
    )


def _attempt_out(attempt: WebhookAttempt) -> AttemptOut:
    return AttemptOut(
        number=attempt.number,
        attempted_at=attempt.attempted_at,
        status_code=attempt.status_code,
        latency_ms=attempt.latency_ms,
        error=attempt.error,
        response_body=attempt.response_body,
    )


def delivery_out(found: DeliveryWithAttempts) -> DeliveryOut:
    delivery = found.delivery
    return DeliveryOut(
        id=delivery.id,
        event=delivery.event,
        event_id=delivery.event_id,
        project_id=delivery.subject_id,
        status=delivery.status,
        next_attempt_at=delivery.next_attempt_at,
        created_at=delivery.created_at,
        last_attempt_at=delivery.last_attempt_at,
        last_status_code=delivery.last_status_code,
        last_error=delivery.last_error,
        attempts=[_attempt_out(attempt) for attempt in found.attempts],
    )
