"""CRM surface: /api/webhooks — Admins manage endpoints, see deliveries and send them again."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, Parameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_202_ACCEPTED

from finite.core.auth.principal import Principal
from finite.core.webhooks import repository
from finite.core.webhooks import service as webhooks
from finite.crm.auth import require_admin
from finite.crm.module_names import CRM_MODULES
from finite.crm.schemas import limits_out
from finite.crm.webhooks.schemas import (
    CreatedWebhookOut,
    DeliveryOut,
    DeliveryPageOut,
    RecoveredOut,
    RecoverIn,
    RotatedSecretOut,
    WebhookIn,
    WebhookListOut,
    WebhookOut,
    WebhookPatchIn,
    delivery_out,
    webhook_out,
)
from finite.kit.clock import utcnow
from finite.platform.rate_limits import decision_of
from finite.platform.state import Platform, platform_of

AnyRequest = Request[Any, Any, Any]
CRM_EVENTS = ("create", "update", "delete")


def _choices(field: str, value: list[str] | str, allowed: tuple[str, ...]) -> list[str]:
    return webhooks.check_choices(field, [value] if isinstance(value, str) else value, allowed)


def _policy(platform: Platform) -> webhooks.TargetPolicy:
    return webhooks.TargetPolicy(allow_private=platform.settings.webhooks_allow_private)


@get("/webhooks")
async def list_webhooks(
    request: AnyRequest, principal: NamedDependency[Principal]
) -> WebhookListOut:
    """Every webhook of the organization, with the plan's limits and how many are used."""
    require_admin(principal)
    async with platform_of(request).db.read() as session:
        found = await repository.list_endpoints(session, principal.org_id, "crm")
    return WebhookListOut(
        webhooks=[webhook_out(endpoint) for endpoint in found],
        limits=limits_out(principal.entitlement, decision_of(request.scope), len(found)),
    )


@post("/webhooks", status_code=HTTP_201_CREATED)
async def create_webhook(
    request: AnyRequest, principal: NamedDependency[Principal], data: JSONBody[WebhookIn]
) -> CreatedWebhookOut:
    """Create a webhook; the signing secret is in this answer only."""
    require_admin(principal)
    platform = platform_of(request)
    new = webhooks.NewEndpoint(
        url=await webhooks.checked_url(data.url, _policy(platform)),
        modules=_choices("modules", data.modules, CRM_MODULES),
        events=_choices("events", data.events, CRM_EVENTS),
        description=data.description.strip(),
    )
    async with platform.db.transaction() as session:
        created = await webhooks.create_endpoint(
            session,
            platform.secrets,
            org_id=principal.org_id,
            entitlement=principal.entitlement,
            new=new,
            now=utcnow(),
        )
    shown = webhook_out(created.endpoint)
    return CreatedWebhookOut(**msgspec.structs.asdict(shown), secret=created.secret)


@get("/webhooks/{webhook_id:str}")
async def get_webhook(
    request: AnyRequest, principal: NamedDependency[Principal], webhook_id: FromPath[str]
) -> WebhookOut:
    require_admin(principal)
    async with platform_of(request).db.read() as session:
        endpoint = await webhooks.endpoint_or_404(session, principal.org_id, "crm", webhook_id)
    return webhook_out(endpoint)


@patch("/webhooks/{webhook_id:str}")
async def update_webhook(
    request: AnyRequest,
    principal: NamedDependency[Principal],
    webhook_id: FromPath[str],
    data: JSONBody[WebhookPatchIn],
) -> WebhookOut:
    """Change the URL, filters or description; `enabled` pauses or resumes deliveries."""
    require_admin(principal)
    platform = platform_of(request)
    url = None
    if data.url is not msgspec.UNSET:
        url = await webhooks.checked_url(data.url, _policy(platform))
    now = utcnow()
    async with platform.db.transaction() as session:
        endpoint = await webhooks.endpoint_or_404(
            session, principal.org_id, "crm", webhook_id, lock=True
        )
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
    return webhook_out(endpoint)


@delete("/webhooks/{webhook_id:str}")
async def delete_webhook(
    request: AnyRequest, principal: NamedDependency[Principal], webhook_id: FromPath[str]
) -> None:
    """Delete a webhook with its delivery history."""
    require_admin(principal)
    async with platform_of(request).db.transaction() as session:
        endpoint = await webhooks.endpoint_or_404(session, principal.org_id, "crm", webhook_id)
        await session.delete(endpoint)


@post("/webhooks/{webhook_id:str}/ping", status_code=HTTP_202_ACCEPTED)
async def ping_webhook(
    request: AnyRequest, principal: NamedDependency[Principal], webhook_id: FromPath[str]
) -> DeliveryOut:
    """Queue the ping test event; follow it in the delivery history."""
    require_admin(principal)
    platform = platform_of(request)
    async with platform.db.transaction() as session:
        endpoint = await webhooks.endpoint_or_404(session, principal.org_id, "crm", webhook_id)
        delivery = await webhooks.queue_ping(session, endpoint, utcnow())
    platform.nudge_worker()
    return delivery_out(webhooks.DeliveryWithAttempts(delivery, []))


@get("/webhooks/{webhook_id:str}/deliveries")
async def list_deliveries(
    request: AnyRequest,
    principal: NamedDependency[Principal],
    webhook_id: FromPath[str],
    limit: Annotated[int, Parameter(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Parameter(max_length=40)] = None,
    status: Annotated[str | None, Parameter(pattern="^(pending|failed|succeeded|dead)$")] = None,
) -> DeliveryPageOut:
    """Delivery history, newest first, each with its attempts; pass `next_cursor` as `cursor`."""
    require_admin(principal)
    async with platform_of(request).db.read() as session:
        endpoint = await webhooks.endpoint_or_404(session, principal.org_id, "crm", webhook_id)
        page = await webhooks.delivery_page(
            session, endpoint, limit=limit + 1, before_id=cursor, status=status
        )
    shown = page[:limit]
    next_cursor = shown[-1].delivery.id if len(page) > limit else None
    return DeliveryPageOut([delivery_out(found) for found in shown], next_cursor)


@post(
    "/webhooks/{webhook_id:str}/deliveries/{delivery_id:str}/redeliver",
    status_code=HTTP_202_ACCEPTED,
)
async def redeliver(
    request: AnyRequest,
    principal: NamedDependency[Principal],
    webhook_id: FromPath[str],
    delivery_id: FromPath[str],
) -> DeliveryOut:
    """Send one delivery again now, with a fresh round of retries."""
    require_admin(principal)
    platform = platform_of(request)
    async with platform.db.transaction() as session:
        endpoint = await webhooks.endpoint_or_404(session, principal.org_id, "crm", webhook_id)
        delivery = await webhooks.redeliver(session, endpoint, delivery_id, utcnow())
    platform.nudge_worker()
    return delivery_out(webhooks.DeliveryWithAttempts(delivery, []))


@post("/webhooks/{webhook_id:str}/recover", status_code=HTTP_202_ACCEPTED)
async def recover(
    request: AnyRequest,
    principal: NamedDependency[Principal],
    webhook_id: FromPath[str],
    data: JSONBody[RecoverIn],
) -> RecoveredOut:
    """Queue again every failed or dead delivery created since `since`."""
    require_admin(principal)
    platform = platform_of(request)
    async with platform.db.transaction() as session:
        endpoint = await webhooks.endpoint_or_404(session, principal.org_id, "crm", webhook_id)
        count = await webhooks.recover(session, endpoint, data.since, utcnow())
    platform.nudge_worker()
    return RecoveredOut(count)


@post("/webhooks/{webhook_id:str}/rotate-secret", status_code=200)
async def rotate_secret(
    request: AnyRequest, principal: NamedDependency[Principal], webhook_id: FromPath[str]
) -> RotatedSecretOut:
    """A new signing secret, shown once; the old one also signs for the next 24 hours."""
    require_admin(principal)
    platform = platform_of(request)
    now = utcnow()
    async with platform.db.transaction() as session:
        endpoint = await webhooks.endpoint_or_404(
            session, principal.org_id, "crm", webhook_id, lock=True
        )
        secret = webhooks.rotate_secret(platform.secrets, endpoint, now)
        expires = endpoint.previous_secret_expires_at
    assert expires is not None
    return RotatedSecretOut(id=endpoint.id, secret=secret, previous_secret_expires_at=expires)


ROUTES = [
    list_webhooks,
    create_webhook,
    get_webhook,
    update_webhook,
    delete_webhook,
    ping_webhook,
    list_deliveries,
    redeliver,
    recover,
    rotate_secret,
]
