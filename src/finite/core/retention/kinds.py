"""The core's kinds of rows that retention deletes. A later table registers its own kind with
one `register()` call in its package (see registry.py), imported before retention runs."""

from __future__ import annotations

from finite.core.idempotency.store import RETENTION as IDEMPOTENCY_TTL
from finite.core.retention.registry import register
from finite.models.events import Event, IdempotentRequest
from finite.models.webhooks import FINISHED_STATUSES, WebhookAttempt, WebhookDelivery

# Svix keeps messages and their attempts 90 days.
DEFAULT_DAYS = 90

EVENTS = register(
    "events",
    Event,
    Event.occurred_at,
    default_days=DEFAULT_DAYS,
    about="record changes in the outbox, once turned into deliveries",
    removable=Event.fanned_out_at.is_not(None),
)
WEBHOOK_DELIVERIES = register(
    "webhook_deliveries",
    WebhookDelivery,
    WebhookDelivery.created_at,
    default_days=DEFAULT_DAYS,
    about="webhook deliveries that succeeded or gave up, with their attempts",
    removable=WebhookDelivery.status.in_(FINISHED_STATUSES),
)
WEBHOOK_ATTEMPTS = register(
    "webhook_attempts",
    WebhookAttempt,
    WebhookAttempt.attempted_at,
    default_days=DEFAULT_DAYS,
    about="each attempt to deliver a webhook (its status code and response)",
)
IDEMPOTENCY_KEYS = register(
    "idempotency_keys",
    IdempotentRequest,
    IdempotentRequest.created_at,
    # Kept for their time to live: a retry within it still replays its answer.
    default_days=max(1, IDEMPOTENCY_TTL.days),
    about="Idempotency-Key answers, replayed for 24 hours",
)
