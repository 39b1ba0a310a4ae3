"""Handover surface: /api/v1/webhooks — admin keys (Agency) manage endpoints for the handover's
events, see each delivery and send it again; the engine is core/webhooks, as for the CRM."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Router, delete, get, patch, post
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.audit.context import set_subject
from finite.core.webhooks import repository
from finite.core.webhooks import service as webhooks
from finite.handover.envelope import Envelope, ok
from finite.handover.events import PRODUCT
from finite.handover.paging import DEFAULT_LIMIT, Cursor, Limit, Page, decode_cursor, page_of
from finite.handover.paging import window as page_window
from finite.handover.templates.schemas import DeletedOut
from finite.handover.webhooks import service
from finite.handover.webhooks.schemas import (
    CreatedWebhookOut,
    DeliveryOut,
    RecoveredOut,
    RecoverIn,
    RotatedSecretOut,
    WebhookIn,
    WebhookOut,
    WebhookPatchIn,
    delivery_out,
    webhook_out,
)
from finite.kit.clock import utcnow
from finite.models.webhooks import WebhookDelivery, WebhookEndpoint
from finite.platform.http import AnyRequest, PrincipalDep
from finite.platform.state import Platform, platform_of
from finite.platform.unit_of_work import Changed, commit_change

MODULE = "webhooks"
ADMIN = {"scope": "admin"}
ONE = "/{webhook_id:str}"
StatusFilter = Annotated[
    str | None,
    QueryParameter(
        pattern="^(pending|failed|succeeded|dead)$", description="Only deliveries in this status."
    ),
]


def _policy(platform: Platform) -> webhooks.TargetPolicy:
    return webhooks.TargetPolicy(allow_private=platform.settings.allow_private_targets)


@get("/", opt=ADMIN)
async def list_webhooks(request: AnyRequest, principal: PrincipalDep) -> Envelope[list[WebhookOut]]:
    """Every webhook of the organization, oldest first (the plan caps how many)."""
    set_subject(request.scope, MODULE, action="list")
    async with platform_of(request).db.read() as session:
        found = await repository.list_endpoints(session, principal.org_id, PRODUCT)
    return ok(request, [webhook_out(endpoint) for endpoint in found])


@post("/", status_code=201, opt=ADMIN)
async def create_webhook(
    request: AnyRequest, principal: PrincipalDep, data: JSONBody[WebhookIn]
) -> Envelope[CreatedWebhookOut]:
    """Create a webhook; its signing secret is in this answer only (no Idempotency-Key: a
    replayed answer would have to keep the secret)."""
    set_subject(request.scope, MODULE, action="create")
    platform = platform_of(request)
    new = await service.new_endpoint(data, _policy(platform))

    async def work(session: AsyncSession) -> Changed[webhooks.CreatedEndpoint]:
        return await service.create_endpoint(session, platform.secrets, principal, new, utcnow())

    created = await commit_change(request, 201, work)
    shown = webhook_out(created.endpoint)
    return ok(request, CreatedWebhookOut(**msgspec.structs.asdict(shown), secret=created.secret))


@get(ONE, opt=ADMIN)
async def get_webhook(
    request: AnyRequest, principal: PrincipalDep, webhook_id: FromPath[str]
) -> Envelope[WebhookOut]:
    """Read one webhook: its filters, status and health."""
    set_subject(request.scope, MODULE, action="view")
    async with platform_of(request).db.read() as session:
        endpoint = await service.endpoint(session, principal.org_id, webhook_id)
    return ok(request, webhook_out(endpoint))


@patch(ONE, opt=ADMIN)
async def update_webhook(
    request: AnyRequest,
    principal: PrincipalDep,
    webhook_id: FromPath[str],
    data: JSONBody[WebhookPatchIn],
) -> Envelope[WebhookOut]:
    """Change the URL, events or description; `enabled` pauses or resumes deliveries."""
    set_subject(request.scope, MODULE, action="update")
    change = await service.checked_change(data, _policy(platform_of(request)))
    now = utcnow()

    async def work(session: AsyncSession) -> Changed[WebhookEndpoint]:
        return await service.update_endpoint(session, principal.org_id, webhook_id, change, now)

    return ok(request, webhook_out(await commit_change(request, 200, work)))


@delete(ONE, status_code=200, opt=ADMIN)
async def delete_webhook(
    request: AnyRequest, principal: PrincipalDep, webhook_id: FromPath[str]
) -> Envelope[DeletedOut]:
    """Delete a webhook with its delivery history."""
    set_subject(request.scope, MODULE, action="delete")

    async def work(session: AsyncSession) -> Changed[str]:
        return await service.delete_endpoint(session, principal.org_id, webhook_id)

    return ok(request, DeletedOut(id=await commit_change(request, 200, work), deleted=True))


@post(ONE + "/ping", status_code=202, opt=ADMIN)
async def ping_webhook(
    request: AnyRequest, principal: PrincipalDep, webhook_id: FromPath[str]
) -> Envelope[DeliveryOut]:
    """Queue the `ping` test event; follow it in the delivery history."""
    set_subject(request.scope, MODULE, action="ping")

    async def work(session: AsyncSession) -> Changed[WebhookDelivery]:
        return await service.queue_ping(session, principal.org_id, webhook_id, utcnow())

    delivery = await commit_change(request, 202, work)
    return ok(request, delivery_out(webhooks.DeliveryWithAttempts(delivery, [])))


@get(ONE + "/deliveries", opt=ADMIN)
async def list_deliveries(
    request: AnyRequest,
    principal: PrincipalDep,
    webhook_id: FromPath[str],
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    status: StatusFilter = None,
) -> Page[DeliveryOut]:
    """Delivery history, newest first, each with its attempts; pass `nextCursor` as `cursor`."""
    set_subject(request.scope, MODULE, action="list")
    before = decode_cursor(cursor, "dlv")
    async with platform_of(request).db.read() as session:
        endpoint = await service.endpoint(session, principal.org_id, webhook_id)
        rows = await webhooks.delivery_page(
            session, endpoint, limit=limit + 1, before_id=before, status=status
        )
    found = page_window(rows, limit, lambda row: row.delivery.id)
    return page_of(request, [delivery_out(row) for row in found.rows], found)


@post(ONE + "/deliveries/{delivery_id:str}/redeliver", status_code=202, opt=ADMIN)
async def redeliver(
    request: AnyRequest,
    principal: PrincipalDep,
    webhook_id: FromPath[str],
    delivery_id: FromPath[str],
) -> Envelope[DeliveryOut]:
    """Send one delivery again now, with a fresh round of retries."""
    set_subject(request.scope, MODULE, action="redeliver")

    async def work(session: AsyncSession) -> Changed[WebhookDelivery]:
        return await service.redeliver(session, principal.org_id, webhook_id, delivery_id, utcnow())

    delivery = await commit_change(request, 202, work)
    return ok(request, delivery_out(webhooks.DeliveryWithAttempts(delivery, [])))


@post(ONE + "/recover", status_code=202, opt=ADMIN)
async def recover(
    request: AnyRequest,
    principal: PrincipalDep,
    webhook_id: FromPath[str],
    data: JSONBody[RecoverIn],
) -> Envelope[RecoveredOut]:
    """Queue again every failed or dead delivery created since `since`."""
    set_subject(request.scope, MODULE, action="recover")

    async def work(session: AsyncSession) -> Changed[int]:
        return await service.recover(session, principal.org_id, webhook_id, data.since, utcnow())

    return ok(request, RecoveredOut(await commit_change(request, 202, work)))


@post(ONE + "/rotate-secret", status_code=200, opt=ADMIN)
async def rotate_secret(
    request: AnyRequest, principal: PrincipalDep, webhook_id: FromPath[str]
) -> Envelope[RotatedSecretOut]:
    """A new signing secret, shown once; the old one also signs for the next 24 hours."""
    set_subject(request.scope, MODULE, action="rotate")
    box = platform_of(request).secrets

    async def work(session: AsyncSession) -> Changed[tuple[WebhookEndpoint, str]]:
        return await service.rotate_secret(session, box, principal.org_id, webhook_id, utcnow())

    endpoint, secret = await commit_change(request, 200, work)
    expires = endpoint.previous_secret_expires_at
    assert expires is not None
    return ok(
        request,
        RotatedSecretOut(id=endpoint.id, secret=secret, previous_secret_expires_at=expires),
    )


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
