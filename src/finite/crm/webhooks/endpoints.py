"""CRM surface: /api/webhooks — Admins manage endpoints, see deliveries and send them again."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Router, delete, get, patch, post
from litestar.params import FromPath, JSONBody, Parameter
from litestar.status_codes import (
    HTTP_200_OK,
    HTTP_201_CREATED,
    HTTP_202_ACCEPTED,
    HTTP_204_NO_CONTENT,
)
from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.webhooks import repository
from finite.core.webhooks import service as webhooks
from finite.crm.auth import ADMIN, PERMISSION
from finite.crm.schemas import limits_out
from finite.crm.webhooks import service
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
from finite.models.webhooks import WebhookDelivery, WebhookEndpoint
from finite.platform.http import AnyRequest, PrincipalDep
from finite.platform.rate_limits import decision_of
from finite.platform.state import Platform, platform_of
from finite.platform.unit_of_work import Changed, commit_change

ADMINS_ONLY = {PERMISSION: ADMIN}


def _policy(platform: Platform) -> webhooks.TargetPolicy:
    return webhooks.TargetPolicy(allow_private=platform.settings.allow_private_targets)


@get("/", opt=ADMINS_ONLY)
async def list_webhooks(request: AnyRequest, principal: PrincipalDep) -> WebhookListOut:
    """Every webhook of the organization, with the plan's limits and how many are used."""
    async with platform_of(request).db.read() as session:
        found = await repository.list_endpoints(session, principal.org_id, "crm")
    return WebhookListOut(
        webhooks=[webhook_out(endpoint) for endpoint in found],
        limits=limits_out(principal.entitlement, decision_of(request.scope), len(found)),
    )


@post("/", status_code=HTTP_201_CREATED, opt=ADMINS_ONLY)
async def create_webhook(
    request: AnyRequest, principal: PrincipalDep, data: JSONBody[WebhookIn]
) -> CreatedWebhookOut:
    """Create a webhook; the signing secret is in this answer only."""
    platform = platform_of(request)
    new = await service.new_endpoint(data, _policy(platform))

    async def work(session: AsyncSession) -> Changed[webhooks.CreatedEndpoint]:
        return await service.create_endpoint(session, platform.secrets, principal, new, utcnow())

    created = await commit_change(request, HTTP_201_CREATED, work)
    shown = webhook_out(created.endpoint)
    return CreatedWebhookOut(**msgspec.structs.asdict(shown), secret=created.secret)


@get("/{webhook_id:str}", opt=ADMINS_ONLY)
async def get_webhook(
    request: AnyRequest, principal: PrincipalDep, webhook_id: FromPath[str]
) -> WebhookOut:
    async with platform_of(request).db.read() as session:
        endpoint = await webhooks.endpoint_or_404(session, principal.org_id, "crm", webhook_id)
    return webhook_out(endpoint)


@patch("/{webhook_id:str}", opt=ADMINS_ONLY)
async def update_webhook(
    request: AnyRequest,
    principal: PrincipalDep,
    webhook_id: FromPath[str],
    data: JSONBody[WebhookPatchIn],
) -> WebhookOut:
    """Change the URL, filters or description; `enabled` pauses or resumes deliveries."""
    # Checked before the transaction: the URL check resolves the host.
    change = await service.checked_change(data, _policy(platform_of(request)))
    now = utcnow()

    async def work(session: AsyncSession) -> Changed[WebhookEndpoint]:
        return await service.update_endpoint(session, principal.org_id, webhook_id, change, now)

    return webhook_out(await commit_change(request, HTTP_200_OK, work))


@delete("/{webhook_id:str}", opt=ADMINS_ONLY)
async def delete_webhook(
    request: AnyRequest, principal: PrincipalDep, webhook_id: FromPath[str]
) -> None:
    """Delete a webhook with its delivery history."""

    async def work(session: AsyncSession) -> Changed[None]:
        return await service.delete_endpoint(session, principal.org_id, webhook_id)

    await commit_change(request, HTTP_204_NO_CONTENT, work)


@post("/{webhook_id:str}/ping", status_code=HTTP_202_ACCEPTED, opt=ADMINS_ONLY)
async def ping_webhook(
    request: AnyRequest, principal: PrincipalDep, webhook_id: FromPath[str]
) -> DeliveryOut:
    """Queue the ping test event; follow it in the delivery history."""

    async def work(session: AsyncSession) -> Changed[WebhookDelivery]:
        return await service.queue_ping(session, principal.org_id, webhook_id, utcnow())

    delivery = await commit_change(request, HTTP_202_ACCEPTED, work)
    return delivery_out(webhooks.DeliveryWithAttempts(delivery, []))


@get("/{webhook_id:str}/deliveries", opt=ADMINS_ONLY)
async def list_deliveries(
    request: AnyRequest,
    principal: PrincipalDep,
    webhook_id: FromPath[str],
    limit: Annotated[int, Parameter(ge=1, le=100)] = 25,
    cursor: Annotated[
        str | None,
        Parameter(
            max_length=40, description="The `next_cursor` of the previous page; empty: the first."
        ),
    ] = None,
    status: Annotated[str | None, Parameter(pattern="^(pending|failed|succeeded|dead)$")] = None,
) -> DeliveryPageOut:
    """Delivery history, newest first, each with its attempts; pass `next_cursor` as `cursor`."""
    async with platform_of(request).db.read() as session:
        endpoint = await webhooks.endpoint_or_404(session, principal.org_id, "crm", webhook_id)
        page = await webhooks.delivery_page(
            session, endpoint, limit=limit + 1, before_id=cursor or None, status=status
        )
    shown = page[:limit]
    next_cursor = shown[-1].delivery.id if len(page) > limit else None
    return DeliveryPageOut([delivery_out(found) for found in shown], next_cursor)


@post(
    "/{webhook_id:str}/deliveries/{delivery_id:str}/redeliver",
    status_code=HTTP_202_ACCEPTED,
    opt=ADMINS_ONLY,
)
async def redeliver(
    request: AnyRequest,
    principal: PrincipalDep,
    webhook_id: FromPath[str],
    delivery_id: FromPath[str],
) -> DeliveryOut:
    """Send one delivery again now, with a fresh round of retries."""

    async def work(session: AsyncSession) -> Changed[WebhookDelivery]:
        return await service.redeliver(session, principal.org_id, webhook_id, delivery_id, utcnow())

    delivery = await commit_change(request, HTTP_202_ACCEPTED, work)
    return delivery_out(webhooks.DeliveryWithAttempts(delivery, []))


@post("/{webhook_id:str}/recover", status_code=HTTP_202_ACCEPTED, opt=ADMINS_ONLY)
async def recover(
    request: AnyRequest,
    principal: PrincipalDep,
    webhook_id: FromPath[str],
    data: JSONBody[RecoverIn],
) -> RecoveredOut:
    """Queue again every failed or dead delivery created since `since`."""

    async def work(session: AsyncSession) -> Changed[int]:
        return await service.recover(session, principal.org_id, webhook_id, data.since, utcnow())

    return RecoveredOut(await commit_change(request, HTTP_202_ACCEPTED, work))


@post("/{webhook_id:str}/rotate-secret", status_code=HTTP_200_OK, opt=ADMINS_ONLY)
async def rotate_secret(
    request: AnyRequest, principal: PrincipalDep, webhook_id: FromPath[str]
) -> RotatedSecretOut:
    """A new signing secret, shown once; the old one also signs for the next 24 hours."""
    box = platform_of(request).secrets

    async def work(session: AsyncSession) -> Changed[tuple[WebhookEndpoint, str]]:
        return await service.rotate_secret(session, box, principal.org_id, webhook_id, utcnow())

    endpoint, secret = await commit_change(request, HTTP_200_OK, work)
    expires = endpoint.previous_secret_expires_at
    assert expires is not None
    return RotatedSecretOut(id=endpoint.id, secret=secret, previous_secret_expires_at=expires)


router = Router(
    "/webhooks",
    route_handlers=[
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
    ],
)
