"""Zapier's REST hooks (instant triggers): a subscription is an endpoint of kind `rest_hook`
on the webhook engine, for one event type, delivering the same item the polling trigger lists.
When its target answers 410 the engine deletes it (core/webhooks/queue.py). Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.auth.principal import Principal
from finite.core.webhooks import repository
from finite.core.webhooks import service as webhooks
from finite.handover.events import PRODUCT
from finite.handover.zapier.triggers import TRIGGERS
from finite.kit.secretbox import SecretBox
from finite.models.webhooks import REST_HOOK, WebhookEndpoint
from finite.platform.unit_of_work import Changed

# Per organization: Zapier subscribes once per Zap that uses an instant trigger.
REST_HOOKS_ALLOWED: Final = 100


async def checked_target(target_url: str, policy: webhooks.TargetPolicy) -> str:
    """The SSRF checklist, before the transaction (it resolves the host)."""
    return await webhooks.checked_url(target_url, policy, "target_url")


async def subscribe(
    session: AsyncSession,
    box: SecretBox,
    principal: Principal,
    target_url: str,
    trigger: str,
    now: datetime,
) -> Changed[WebhookEndpoint]:
    """`target_url` comes from `checked_target`."""
    created = await webhooks.create_endpoint(
        session,
        box,
        org_id=principal.org_id,
        entitlement=principal.entitlement,
        new=webhooks.NewEndpoint(
            url=target_url,
            modules=["*"],
            events=[TRIGGERS[trigger]],
            description=f"Zapier REST hook: {trigger}",
        ),
        now=now,
        kind=REST_HOOK,
        allowed=REST_HOOKS_ALLOWED,
    )
    return Changed(created.endpoint)


def trigger_of(hook: WebhookEndpoint) -> str:
    """The trigger key a subscription was made for."""
    (event,) = hook.events
    return next(key for key, value in TRIGGERS.items() if value == event)


async def hooks_of(session: AsyncSession, org_id: str) -> Sequence[WebhookEndpoint]:
    return await repository.list_endpoints(session, org_id, PRODUCT, REST_HOOK)


async def hook(session: AsyncSession, org_id: str, hook_id: str) -> WebhookEndpoint:
    return await webhooks.endpoint_or_404(session, org_id, PRODUCT, hook_id, kind=REST_HOOK)


async def unsubscribe(session: AsyncSession, org_id: str, hook_id: str) -> Changed[str]:
    await session.delete(await hook(session, org_id, hook_id))
    return Changed(hook_id)
