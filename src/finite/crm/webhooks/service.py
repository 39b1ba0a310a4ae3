"""The CRM's webhook rules on top of core/webhooks: its modules and events, and what a PATCH
changes. Never commits (platform/unit_of_work.py does)."""

from __future__ import annotations

from datetime import datetime

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.auth.principal import Principal
from finite.core.webhooks import service as webhooks
from finite.crm.module_names import CRM_MODULES
from finite.crm.webhooks.schemas import CRM_EVENTS, WebhookIn, WebhookPatchIn
from finite.kit.errors import Problems
from finite.kit.secretbox import SecretBox
from finite.models.webhooks import WebhookDelivery, WebhookEndpoint
from finite.platform.unit_of_work import Changed


def _choices(field: str, value: list[str] | str, allowed: tuple[str, ...]) -> list[str]:
    return webhooks.check_choices(field, [value] if isinstance(value, str) else value, allowed)


async def new_endpoint(data: WebhookIn, policy: webhooks.TargetPolicy) -> webhooks.NewEndpoint:
    """Checked before the transaction (the URL check resolves the host); one error names every
    bad field."""
    problems = Problems()
    with problems.check():
        url = await webhooks.checked_url(data.url, policy)
    with problems.check():
        modules = _choices("modules", data.modules, CRM_MODULES)
    with problems.check():
        events = _choices("events", data.events, CRM_EVENTS)
    with problems.check():
        description = webhooks.check_description(data.description)
    problems.raise_any()
    return webhooks.NewEndpoint(url=url, modules=modules, events=events, description=description)


async def checked_change(
    data: WebhookPatchIn, policy: webhooks.TargetPolicy
) -> webhooks.EndpointChange:
    """Every field sent, checked before the transaction; one error names every bad field."""
    problems = Problems()
    url = modules = events = None
    if data.url is not msgspec.UNSET:
        with problems.check():
            url = await webhooks.checked_url(data.url, policy)
    if data.modules is not msgspec.UNSET:
        with problems.check():
            modules = _choices("modules", data.modules, CRM_MODULES)
    if data.events is not msgspec.UNSET:
        with problems.check():
            events = _choices("events", data.events, CRM_EVENTS)
    description = None
    if data.description is not msgspec.UNSET:
        with problems.check():
            description = webhooks.check_description(data.description)
    problems.raise_any()
    return webhooks.EndpointChange(
        url=url,
        modules=modules,
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
        session,
        box,
        org_id=principal.org_id,
        entitlement=principal.entitlement,
        new=new,
        now=now,
    )
    return Changed(created)


async def update_endpoint(
    session: AsyncSession,
    org_id: str,
    webhook_id: str,
    change: webhooks.EndpointChange,
    now: datetime,
) -> Changed[WebhookEndpoint]:
    """Only the fields sent change; `change` comes from `checked_change`."""
    endpoint = await webhooks.endpoint_or_404(session, org_id, "crm", webhook_id, lock=True)
    webhooks.apply_change(endpoint, change, now)
    return Changed(endpoint)


async def delete_endpoint(session: AsyncSession, org_id: str, webhook_id: str) -> Changed[None]:
    """Deletes the webhook with its delivery history."""
    endpoint = await webhooks.endpoint_or_404(session, org_id, "crm", webhook_id)
    await session.delete(endpoint)
    return Changed(None)


async def queue_ping(
    session: AsyncSession, org_id: str, webhook_id: str, now: datetime
) -> Changed[WebhookDelivery]:
    endpoint = await webhooks.endpoint_or_404(session, org_id, "crm", webhook_id)
    return Changed(await webhooks.queue_ping(session, endpoint, now))


async def redeliver(
    session: AsyncSession, org_id: str, webhook_id: str, delivery_id: str, now: datetime
) -> Changed[WebhookDelivery]:
    endpoint = await webhooks.endpoint_or_404(session, org_id, "crm", webhook_id)
    return Changed(await webhooks.redeliver(session, endpoint, delivery_id, now))


async def recover(
    session: AsyncSession, org_id: str, webhook_id: str, since: datetime, now: datetime
) -> Changed[int]:
    endpoint = await webhooks.endpoint_or_404(session, org_id, "crm", webhook_id)
    return Changed(await webhooks.recover(session, endpoint, since, now))


async def rotate_secret(
    session: AsyncSession, box: SecretBox, org_id: str, webhook_id: str, now: datetime
) -> Changed[tuple[WebhookEndpoint, str]]:
    """A new signing secret; the old one also signs until `previous_secret_expires_at`."""
    endpoint = await webhooks.endpoint_or_404(session, org_id, "crm", webhook_id, lock=True)
    return Changed((endpoint, webhooks.rotate_secret(box, endpoint, now)))
