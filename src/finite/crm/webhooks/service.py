"""The CRM's webhook rules on top of core/webhooks: its modules and events, and what a PATCH
changes. Never commits (platform/unit_of_work.py does)."""

from __future__ import annotations

from datetime import datetime

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.auth.principal import Principal
from finite.core.webhooks import service as webhooks
from finite.crm.module_names import CRM_MODULES
from finite.crm.webhooks.schemas import WebhookIn, WebhookPatchIn
from finite.kit.secretbox import SecretBox
from finite.models.webhooks import WebhookDelivery, WebhookEndpoint
from finite.platform.unit_of_work import Changed

CRM_EVENTS = ("create", "update", "delete")


def _choices(field: str, value: list[str] | str, allowed: tuple[str, ...]) -> list[str]:
    return webhooks.check_choices(field, [value] if isinstance(value, str) else value, allowed)


async def new_endpoint(data: WebhookIn, policy: webhooks.TargetPolicy) -> webhooks.NewEndpoint:
    """Checked before the transaction: the URL check resolves the host."""
    return webhooks.NewEndpoint(
        url=await webhooks.checked_url(data.url, policy),
        modules=_choices("modules", data.modules, CRM_MODULES),
        events=_choices("events", data.events, CRM_EVENTS),
        description=data.description.strip(),
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
    data: WebhookPatchIn,
    url: str | None,
    now: datetime,
) -> Changed[WebhookEndpoint]:
    """Only the fields sent change; `url` is data.url already checked (None: not sent)."""
    endpoint = await webhooks.endpoint_or_404(session, org_id, "crm", webhook_id, lock=True)
    if url is not None:
        endpoint.url = url
    if data.modules is not msgspec.UNSET:
        endpoint.modules = _choices("modules", data.modules, CRM_MODULES)
    if data.events is not msgspec.UNSET:
        endpoint.events = _choices("events", data.events, CRM_EVENTS)
    if data.description is not msgspec.UNSET:
        endpoint.description = data.description.strip()
    if data.enabled is not msgspec.UNSET:
        webhooks.set_enabled(endpoint, data.enabled, now)
    endpoint.updated_at = now
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
