"""The handover's event log: one outbox row (core/events) per thing that happened to a project,
written in the transaction of the change. Webhooks (/api/v1/webhooks), Zapier's polling triggers
and its REST hooks all read these rows, so each carries the event's id as its own.

An event names its project by id (`subject_id`; module "projects"; the CRM's `record_id` and
`version` are 0). Its `data` holds the project and its client as they were, then what the caller
adds (a recipient, a time): never a token, a password or a secret, which `record_handover_event`
refuses.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Final, Literal

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.events.outbox import look_up_endpoints, record_event
from finite.core.webhooks.payloads import register_payload, register_ping
from finite.kit.clock import iso_millis
from finite.models import HandoverClient, HandoverProject
from finite.models.events import Event
from finite.models.webhooks import REST_HOOK

PRODUCT: Final = "handover"
MODULE: Final = "projects"

HandoverEvent = Literal[
    "project.created", "pack.sent", "pack.viewed", "credential.revealed", "signoff.completed"
]
HANDOVER_EVENTS: tuple[HandoverEvent, ...] = (
    "project.created",
    "pack.sent",
    "pack.viewed",
    "credential.revealed",
    "signoff.completed",
)
# A key of `data` that looks like one of these is refused: payloads never carry them.
_SECRET_NAME = re.compile(r"token|password|secret", re.IGNORECASE)
_ENCODER = msgspec.json.Encoder()


def moment(value: datetime) -> str:
    """A time in event data: ISO 8601 UTC with milliseconds, as the handover API writes it."""
    return iso_millis(value)


async def prepare_handover_events(session: AsyncSession, org_id: str) -> None:
    """Optional: ask whether the organization has endpoints before the change takes its row
    locks (core/events/outbox.look_up_endpoints)."""
    await look_up_endpoints(session, org_id, PRODUCT)


async def record_handover_event(
    session: AsyncSession,
    *,
    org_id: str,
    event: HandoverEvent,
    project_id: str,
    data: dict[str, Any] | None = None,
) -> str:
    """Write `event` about the project into the outbox, in the caller's transaction (it commits
    or rolls back with the change). `data` is what this event adds to the project and client,
    camelCase, JSON-safe (times through `moment`). Returns the event's id."""
    if event not in HANDOVER_EVENTS:
        raise ValueError(f"unknown handover event {event!r}")
    extra = dict(data or {})
    refused = [name for name in extra if _SECRET_NAME.search(name)]
    if refused:
        raise ValueError(f"event data must not carry secrets: {refused}")
    project = await session.get(HandoverProject, (org_id, project_id))
    if project is None:
        raise LookupError(f"no project {project_id!r} in {org_id!r}")
    client = await session.get(HandoverClient, (org_id, project.client_id))
    assert client is not None  # a foreign key
    facts: dict[str, Any] = {
        "projectId": project.id,
        "projectName": project.name,
        "projectType": project.project_type,
        "projectStatus": project.status,
        "clientId": client.id,
        "clientName": client.name,
        "clientEmail": client.email,
        "clientCompany": client.company,
    }
    facts.update(extra)
    return await record_event(
        session,
        org_id=org_id,
        product=PRODUCT,
        event=event,
        module=MODULE,
        record_id=0,
        version=0,
        data=facts,
        changed_fields=[],
        subject_id=project.id,
    )


_CAMEL_HUMP = re.compile(r"(?<!^)(?=[A-Z])")


def snake(name: str) -> str:
    return _CAMEL_HUMP.sub("_", name).lower()


def zapier_item(event: Event) -> dict[str, Any]:
    """One item of a Zapier trigger (polling or REST hook alike): flat, snake_case, its `id`
    the event's, so Zapier de-duplicates both ways of hearing of it."""
    item: dict[str, Any] = {
        "id": event.id,
        "event": event.event,
        "occurred_at": iso_millis(event.occurred_at),
    }
    for name, value in event.data.items():
        item.setdefault(snake(name), value)
    return item


def webhook_payload(event: Event, delivery_id: str) -> bytes:
    """A handover webhook's body: the event (id, type, time, data) and the delivery's id, so a
    receiver can drop a duplicate delivery and tell two events apart."""
    return _ENCODER.encode(
        {
            "id": event.id,
            "event": event.event,
            "occurredAt": iso_millis(event.occurred_at),
            "data": event.data,
            "deliveryId": delivery_id,
        }
    )


def rest_hook_payload(event: Event, _delivery_id: str) -> bytes:
    return _ENCODER.encode(zapier_item(event))


def ping_payload(endpoint_id: str, delivery_id: str, now: datetime) -> bytes:
    return _ENCODER.encode(
        {
            "id": None,
            "event": "ping",
            "occurredAt": iso_millis(now),
            "data": {"webhookId": endpoint_id, "message": "Finite webhook test event."},
            "deliveryId": delivery_id,
        }
    )


register_payload(PRODUCT, webhook_payload)
register_payload(PRODUCT, rest_hook_payload, REST_HOOK)
register_ping(PRODUCT, ping_payload)
