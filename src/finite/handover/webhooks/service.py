"""The handover's webhook rules on top of core/webhooks: its event types (no modules: every
event is about a project) and what a PATCH changes. Never commits."""

from __future__ import annotations

from datetime import datetime

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.auth.principal import Principal
from finite.core.webhooks import service as webhooks
from finite.handover.events import HANDOVER_EVENTS, PRODUCT
from finite.handover.webhooks.schemas import WebhookIn, WebhookPatchIn
from finite.kit.errors import Problems
from finite.kit.secretbox import SecretBox
from finite.models.webhooks import WebhookDelivery, WebhookEndpoint
from finite.platform.unit_of_work import Changed

EVERY_MODULE = ["*"]


def _events(value: list[str] | str) -> list[str]:
    chosen = [value] if isinstance(value, str) else value
    return webhooks.check_choices("events", chosen, HANDOVER_EVENTS)


async def new_endpoint(data: WebhookIn, policy: webhooks.TargetPolicy) -> webhooks.NewEndpoint:
    """Checked before the transaction (the URL check resolves the host); one error names every
    bad field."""
    problems = Problems()
    with problems.check():
        url = await webhooks.checked_url(data.url, policy)
    with problems.check():
        events = _events(data.events)
    with problems.check():
        description = webhooks.check_description(data.description)
    problems.raise_any()
    return webhooks.NewEndpoint(
        url=url, modules=EVERY_MODULE, events=events, description=description
    )


async def checked_change(
    data: WebhookPatchIn, policy: webhooks.TargetPolicy
) -> webhooks.EndpointChange:
    problems = Problems()
    url = events = description = None
    if data.url is not msgspec.UNSET:
        with problems.check():
            url = await webhooks.checked_url(data.url, policy)
    if data.events is not msgspec.UNSET:
        with problems.check():
            events = _events(data.events)
    if data.description is not msgspec.UNSET:
        with problems.check():
            description = webhooks.check_description(data.description)
    problems.raise_any()
    return webhooks.EndpointChange(
        url=url,
        modules=None,
        events=events,
        description=description,
        enabled=None if data.enabled is msgspec.UNSET else data.enabled,
    )


async def create_endpoint(
    session: AsyncSession,
    box: SecretBox,
    principal: Principal,
    new: webhooks.NewEndpoint,
    now: datetime,
) -> Changed[webhooks.CreatedEndpoint]:
    created = await webhooks.create_endpoint(
        session, box, org_id=principal.org_id, entitlement=principal.entitlement, new=new, now=now
    )
    return Changed(created)


async def endpoint(
    session: AsyncSession, org_id: str, webhook_id: str, *, lock: bool = False
) -> WebhookEndpoint:
    return await webhooks.endpoint_or_404(session, org_id, PRODUCT, webhook_id, lock=lock)


async def update_endpoint(
    session: AsyncSession,
    org_id: str,
    webhook_id: str,
    change: webhooks.EndpointChange,
    now: datetime,
) -> Changed[WebhookEndpoint]:
    found = await endpoint(session, org_id, webhook_id, lock=True)
    webhooks.apply_change(found, change, now)
    return Changed(found)


async def delete_endpoint(session: AsyncSession, org_id: str, webhook_id: str) -> Changed[str]:
    """Deletes the webhook with its delivery history."""
    found = await endpoint(session, org_id, webhook_id)
    await session.delete(found)
    return Changed(webhook_id)


async def queue_ping(
    session: AsyncSession, org_id: str, webhook_id: str, now: datetime
) -> Changed[WebhookDelivery]:
    found = await endpoint(session, org_id, webhook_id)
    return Changed(await webhooks.queue_ping(session, found, now))


async def redeliver(
    session: AsyncSession, org_id: str, webhook_id: str, delivery_id: str, now: datetime
) -> Changed[WebhookDelivery]:
    found = await endpoint(session, org_id, webhook_id)
    return Changed(await webhooks.redeliver(session, found, delivery_id, now))


async def recover(
    session: AsyncSession, org_id: str, webhook_id: str, since: datetime, now: datetime
) -> Changed[int]:
    found = await endpoint(session, org_id, webhook_id)
    return Changed(await webhooks.recover(session, found, since, now))


async def rotate_secret(
    session: AsyncSession, box: SecretBox, org_id: str, webhook_id: str, now: datetime
) -> Changed[tuple[WebhookEndpoint, str]]:
    found = await endpoint(session, org_id, webhook_id, lock=True)
    return Changed((found, webhooks.rotate_secret(box, found, now)))
