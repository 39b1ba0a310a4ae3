"""/console/webhooks (Admins only): list, create (the signing secret shown once, in the answer
to the POST alone), edit, enable and disable, ping, rotate the secret, delete; each webhook's
delivery history, one delivery's attempts, redeliver one, recover every failed one since a
time. Every rule is the CRM's (crm/webhooks/service.py, core/webhooks/service.py); every
change is audited with the member as actor in the change's own transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from litestar import Response, get, post
from litestar.params import FromPath, FromQuery
from sqlalchemy.ext.asyncio import AsyncSession

from finite.console import pages
from finite.console.audit import record_console_change
from finite.console.guards import admin_only
from finite.console.principal import ConsoleUser, UserDep
from finite.console.refusals import ConsoleRefusal
from finite.console.webhooks import views
from finite.console.webhooks.forms import (
    FieldErrors,
    converted,
    endpoint_fields,
    field_errors,
    since_of,
    text_of,
)
from finite.core.accounts import repository as accounts
from finite.core.plans.entitlement import Entitlement, entitlement_of
from finite.core.wakes import wakes_of
from finite.core.webhooks import repository
from finite.core.webhooks import service as webhooks
from finite.crm.module_names import CRM_MODULES
from finite.crm.webhooks import service
from finite.crm.webhooks.schemas import CRM_EVENTS, WebhookIn, WebhookPatchIn
from finite.kit.clock import utcnow
from finite.kit.errors import AppError
from finite.models.webhooks import WebhookEndpoint
from finite.platform.http import AnyRequest
from finite.platform.state import Platform, platform_of

PRODUCT = "crm"
MODULE = "webhooks"  # the audit rows' module
HOME = "/console/webhooks"
PAGE_SIZE = 25
STATUSES = ("pending", "failed", "succeeded", "dead")
ADMINS = [admin_only]
_DONE = {
    "updated": "The webhook is saved.",
    "enabled": "The webhook is enabled; deliveries resume.",
    "disabled": "The webhook is disabled; nothing is sent to it until it is enabled.",
    "pinged": "A ping is queued; it appears in the delivery history below.",
    "redelivered": "The delivery is queued again, with a fresh round of retries.",
    "deleted": "The webhook and its delivery history are deleted.",
}
T = TypeVar("T")


def _policy(platform: Platform) -> webhooks.TargetPolicy:
    return webhooks.TargetPolicy(allow_private=platform.settings.allow_private_targets)


def _address(webhook_id: str, done: str = "") -> str:
    return f"{HOME}/{webhook_id}" + (f"?done={done}" if done else "")


async def _change(
    request: AnyRequest,
    user: ConsoleUser,
    action: str,
    work: Callable[[AsyncSession], Awaitable[tuple[T, dict[str, Any]]]],
) -> T:
    """`work` and its audit row (its changes) in one transaction; the workers it left work for
    are woken after the commit, as the API's unit of work does."""
    platform = platform_of(request)
    async with platform.db.transaction() as session:
        result, changes = await work(session)
        await record_console_change(
            session, request.scope, user, action, module=MODULE, changes=changes
        )
        wakes = wakes_of(session)
    platform.nudge_worker(wakes)
    return result


async def _entitlement(session: AsyncSession, org_id: str) -> Entitlement:
    subscription = await accounts.subscription(session, org_id, PRODUCT)
    if subscription is None:
        raise ConsoleRefusal(403, "No CRM plan", "This organization has no CRM plan yet.")
    entitlement = entitlement_of(subscription, utcnow())
    if entitlement.suspended:
        raise ConsoleRefusal(
            403, "Subscription suspended", "This organization's CRM subscription is suspended."
        )
    return entitlement


def _form_page(
    request: AnyRequest,
    user: ConsoleUser,
    *,
    values: dict[str, Any],
    errors: FieldErrors | None = None,
    endpoint: WebhookEndpoint | None = None,
    status: int = 200,
) -> Response[str]:
    def ticked(value: list[str] | str) -> list[str]:
        return [value] if isinstance(value, str) else value

    return pages.render(
        request,
        user,
        "webhooks/form.html",
        status_code=status,
        webhook=endpoint,
        values={**values, "modules": ticked(values["modules"]), "events": ticked(values["events"])},
        errors=errors or {},
        modules=CRM_MODULES,
        events=CRM_EVENTS,
    )


@get("/webhooks", guards=ADMINS)
async def list_webhooks(
    request: AnyRequest, user: UserDep, done: FromQuery[str | None] = None
) -> Response[str]:
    async with platform_of(request).db.read() as session:
        found = await repository.list_endpoints(session, user.org_id, PRODUCT)
        entitlement = await _entitlement(session, user.org_id)
    return pages.render(
        request,
        user,
        "webhooks/list.html",
        webhooks=found,
        allowed=entitlement.webhook_endpoints,
        plan=entitlement.effective_plan,
        notice=_DONE.get(done or "", ""),
        health=views.health,
        choice_text=views.choice_text,
    )


@get("/webhooks/new", guards=ADMINS)
async def new_webhook(request: AnyRequest, user: UserDep) -> Response[str]:
    values = {"url": "", "modules": "*", "events": "*", "description": ""}
    return _form_page(request, user, values=values)


@post("/webhooks", guards=ADMINS)
async def create_webhook(request: AnyRequest, user: UserDep) -> Response[str]:
    """The secret is in this answer alone (no-store, never shown again on any page)."""
    platform = platform_of(request)
    values = endpoint_fields(await request.form())
    try:
        new = await service.new_endpoint(converted(values, WebhookIn), _policy(platform))
    except AppError as refused:
        if refused.code != "VALIDATION_ERROR":
            raise
        return _form_page(request, user, values=values, errors=field_errors(refused), status=400)

    async def work(session: AsyncSession) -> tuple[webhooks.CreatedEndpoint, dict[str, Any]]:
        entitlement = await _entitlement(session, user.org_id)
        created = await webhooks.create_endpoint(
            session,
            platform.secrets,
            org_id=user.org_id,
            entitlement=entitlement,
            new=new,
            now=utcnow(),
        )
        return created, {"id": created.endpoint.id, **views.settings_of(created.endpoint)}

    try:
        created = await _change(request, user, "webhook.create", work)
    except AppError as refused:
        if refused.code != "PLAN_LIMIT":
            raise
        return _form_page(request, user, values=values, errors=field_errors(refused), status=403)
    return pages.render(
        request,
        user,
        "webhooks/secret.html",
        webhook=created.endpoint,
        secret=created.secret,
        rotated=False,
        when=views.when,
    )


async def _endpoint(request: AnyRequest, org_id: str, webhook_id: str) -> WebhookEndpoint:
    async with platform_of(request).db.read() as session:
        return await webhooks.endpoint_or_404(session, org_id, PRODUCT, webhook_id)


@get("/webhooks/{webhook_id:str}", guards=ADMINS)
async def show_webhook(
    request: AnyRequest,
    user: UserDep,
    webhook_id: FromPath[str],
    done: FromQuery[str | None] = None,
    status: FromQuery[str | None] = None,
    before: FromQuery[str | None] = None,
) -> Response[str]:
    return await _webhook_page(request, user, webhook_id, done=done, status=status, before=before)


async def _webhook_page(
    request: AnyRequest,
    user: ConsoleUser,
    webhook_id: str,
    *,
    done: str | None = None,
    status: str | None = None,
    before: str | None = None,
    recover_errors: FieldErrors | None = None,
    since: str = "",
    notice: str = "",
    code: int = 200,
) -> Response[str]:
    shown_status = status if status in STATUSES else None
    cursor = before[:40] if before else None
    async with platform_of(request).db.read() as session:
        endpoint = await webhooks.endpoint_or_404(session, user.org_id, PRODUCT, webhook_id)
        page = await webhooks.delivery_page(
            session, endpoint, limit=PAGE_SIZE + 1, before_id=cursor, status=shown_status
        )
    shown = page[:PAGE_SIZE]
    return pages.render(
        request,
        user,
        "webhooks/detail.html",
        status_code=code,
        webhook=endpoint,
        health=views.health(endpoint),
        choice_text=views.choice_text,
        when=views.when,
        deliveries=[views.delivery_row(found) for found in shown],
        next_cursor=shown[-1].delivery.id if len(page) > PAGE_SIZE else None,
        status=shown_status or "",
        statuses=STATUSES,
        notice=notice or _DONE.get(done or "", ""),
        recover_errors=recover_errors or {},
        since=since,
    )


@get("/webhooks/{webhook_id:str}/edit", guards=ADMINS)
async def edit_webhook(
    request: AnyRequest, user: UserDep, webhook_id: FromPath[str]
) -> Response[str]:
    endpoint = await _endpoint(request, user.org_id, webhook_id)
    values = {
        "url": endpoint.url,
        "modules": endpoint.modules,
        "events": endpoint.events,
        "description": endpoint.description,
    }
    return _form_page(request, user, values=values, endpoint=endpoint)


@post("/webhooks/{webhook_id:str}/edit", guards=ADMINS)
async def update_webhook(
    request: AnyRequest, user: UserDep, webhook_id: FromPath[str]
) -> Response[str]:
    platform = platform_of(request)
    values = endpoint_fields(await request.form())
    try:
        change = await service.checked_change(converted(values, WebhookPatchIn), _policy(platform))
    except AppError as refused:
        if refused.code != "VALIDATION_ERROR":
            raise
        endpoint = await _endpoint(request, user.org_id, webhook_id)
        errors = field_errors(refused)
        return _form_page(
            request, user, values=values, errors=errors, endpoint=endpoint, status=400
        )
    await _update(request, user, webhook_id, change, "webhook.update")
    return pages.redirect(_address(webhook_id, "updated"))


async def _update(
    request: AnyRequest,
    user: ConsoleUser,
    webhook_id: str,
    change: webhooks.EndpointChange,
    action: str,
) -> None:
    async def work(session: AsyncSession) -> tuple[None, dict[str, Any]]:
        found = await webhooks.endpoint_or_404(session, user.org_id, PRODUCT, webhook_id, lock=True)
        before = views.settings_of(found)
        changed = await service.update_endpoint(session, user.org_id, webhook_id, change, utcnow())
        return None, {"id": webhook_id, **views.diff(before, views.settings_of(changed.data))}

    await _change(request, user, action, work)


def _enabling(enabled: bool) -> webhooks.EndpointChange:
    return webhooks.EndpointChange(
        url=None, modules=None, events=None, description=None, enabled=enabled
    )


@post("/webhooks/{webhook_id:str}/enable", guards=ADMINS)
async def enable_webhook(
    request: AnyRequest, user: UserDep, webhook_id: FromPath[str]
) -> Response[str]:
    await _update(request, user, webhook_id, _enabling(True), "webhook.enable")
    return pages.redirect(_address(webhook_id, "enabled"))


@post("/webhooks/{webhook_id:str}/disable", guards=ADMINS)
async def disable_webhook(
    request: AnyRequest, user: UserDep, webhook_id: FromPath[str]
) -> Response[str]:
    await _update(request, user, webhook_id, _enabling(False), "webhook.disable")
    return pages.redirect(_address(webhook_id, "disabled"))


@post("/webhooks/{webhook_id:str}/ping", guards=ADMINS)
async def ping_webhook(
    request: AnyRequest, user: UserDep, webhook_id: FromPath[str]
) -> Response[str]:
    async def work(session: AsyncSession) -> tuple[None, dict[str, Any]]:
        queued = await service.queue_ping(session, user.org_id, webhook_id, utcnow())
        return None, {"id": webhook_id, "delivery": queued.data.id}

    await _change(request, user, "webhook.ping", work)
    return pages.redirect(_address(webhook_id, "pinged"))


@post("/webhooks/{webhook_id:str}/rotate-secret", guards=ADMINS)
async def rotate_secret(
    request: AnyRequest, user: UserDep, webhook_id: FromPath[str]
) -> Response[str]:
    """The new secret is in this answer alone; the old one signs beside it for 24 hours."""
    box = platform_of(request).secrets

    async def work(session: AsyncSession) -> tuple[tuple[WebhookEndpoint, str], dict[str, Any]]:
        rotated = await service.rotate_secret(session, box, user.org_id, webhook_id, utcnow())
        expires = rotated.data[0].previous_secret_expires_at
        return rotated.data, {"id": webhook_id, "previousSecretExpiresAt": views.when(expires)}

    endpoint, secret = await _change(request, user, "webhook.rotate_secret", work)
    return pages.render(
        request,
        user,
        "webhooks/secret.html",
        webhook=endpoint,
        secret=secret,
        rotated=True,
        when=views.when,
    )


@get("/webhooks/{webhook_id:str}/delete", guards=ADMINS)
async def confirm_delete(
    request: AnyRequest, user: UserDep, webhook_id: FromPath[str]
) -> Response[str]:
    endpoint = await _endpoint(request, user.org_id, webhook_id)
    return pages.render(request, user, "webhooks/delete.html", webhook=endpoint)


@post("/webhooks/{webhook_id:str}/delete", guards=ADMINS)
async def delete_webhook(
    request: AnyRequest, user: UserDep, webhook_id: FromPath[str]
) -> Response[str]:
    async def work(session: AsyncSession) -> tuple[None, dict[str, Any]]:
        found = await webhooks.endpoint_or_404(session, user.org_id, PRODUCT, webhook_id)
        settings = views.settings_of(found)
        await service.delete_endpoint(session, user.org_id, webhook_id)
        return None, {"id": webhook_id, **settings}

    await _change(request, user, "webhook.delete", work)
    return pages.redirect(f"{HOME}?done=deleted")


@get("/webhooks/{webhook_id:str}/deliveries/{delivery_id:str}", guards=ADMINS)
async def show_delivery(
    request: AnyRequest, user: UserDep, webhook_id: FromPath[str], delivery_id: FromPath[str]
) -> Response[str]:
    async with platform_of(request).db.read() as session:
        endpoint = await webhooks.endpoint_or_404(session, user.org_id, PRODUCT, webhook_id)
        delivery = await repository.get_delivery(session, user.org_id, endpoint.id, delivery_id)
        if delivery is None:
            raise ConsoleRefusal(404, "Not found", "No delivery with this id for this webhook.")
        attempts = await repository.attempts_of(session, user.org_id, [delivery.id])
    found = webhooks.DeliveryWithAttempts(delivery, attempts.get(delivery.id, []))
    return pages.render(
        request,
        user,
        "webhooks/delivery.html",
        webhook=endpoint,
        delivery=delivery,
        row=views.delivery_row(found),
        attempts=found.attempts,
        when=views.when,
    )


@post("/webhooks/{webhook_id:str}/deliveries/{delivery_id:str}/redeliver", guards=ADMINS)
async def redeliver(
    request: AnyRequest, user: UserDep, webhook_id: FromPath[str], delivery_id: FromPath[str]
) -> Response[str]:
    async def work(session: AsyncSession) -> tuple[None, dict[str, Any]]:
        await service.redeliver(session, user.org_id, webhook_id, delivery_id, utcnow())
        return None, {"id": webhook_id, "delivery": delivery_id}

    await _change(request, user, "webhook.redeliver", work)
    return pages.redirect(_address(webhook_id, "redelivered"))


@post("/webhooks/{webhook_id:str}/recover", guards=ADMINS)
async def recover(request: AnyRequest, user: UserDep, webhook_id: FromPath[str]) -> Response[str]:
    """Every failed or dead delivery created since the time given is queued again."""
    since_text = text_of(await request.form(), "since")
    try:
        since = since_of(since_text)

        async def work(session: AsyncSession) -> tuple[int, dict[str, Any]]:
            count = await service.recover(session, user.org_id, webhook_id, since, utcnow())
            return count.data, {
                "id": webhook_id,
                "since": since.isoformat(),
                "requeued": count.data,
            }

        requeued = await _change(request, user, "webhook.recover", work)
    except AppError as refused:
        if refused.code != "VALIDATION_ERROR":
            raise
        return await _webhook_page(
            request,
            user,
            webhook_id,
            recover_errors=field_errors(refused),
            since=since_text,
            code=400,
        )
    noun = "delivery is" if requeued == 1 else "deliveries are"
    return await _webhook_page(
        request,
        user,
        webhook_id,
        notice=f"{requeued} failed {noun} queued again.",
        since=since_text,
    )


HANDLERS = [
    list_webhooks,
    new_webhook,
    create_webhook,
    show_webhook,
    edit_webhook,
    update_webhook,
    enable_webhook,
    disable_webhook,
    ping_webhook,
    rotate_secret,
    confirm_delete,
    delete_webhook,
    show_delivery,
    redeliver,
    recover,
]
