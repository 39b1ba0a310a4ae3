"""/console/webhooks (the CRM's) and /console/handover/webhooks (the handover's), Admins only:
list, create (the signing secret shown once, in the answer to the POST alone), edit, enable and
disable, ping, rotate the secret, delete; each webhook's delivery history, one delivery's
attempts, redeliver one, recover every failed one since a time. Every rule is the product's own
(crm/ or handover/webhooks/service.py over core/webhooks/service.py); every change is audited
with the member as actor in the change's own transaction."""

from __future__ import annotations

from typing import Any

from litestar import Response, get, post
from litestar.params import FromPath, FromQuery
from sqlalchemy.ext.asyncio import AsyncSession

from finite.console import pages
from finite.console.guards import admin_only
from finite.console.principal import ConsoleUser, UserDep
from finite.console.refusals import ConsoleRefusal
from finite.console.unit_of_work import console_change
from finite.console.webhooks import views
from finite.console.webhooks.forms import (
    FieldErrors,
    converted,
    endpoint_fields,
    field_errors,
    since_of,
    text_of,
)
from finite.console.webhooks.surfaces import SURFACES, Surface
from finite.core.accounts import repository as accounts
from finite.core.plans.entitlement import Entitlement, entitlement_of
from finite.core.webhooks import repository
from finite.core.webhooks import service as webhooks
from finite.kit.clock import utcnow
from finite.kit.errors import AppError
from finite.models.webhooks import WebhookEndpoint
from finite.platform.http import AnyRequest
from finite.platform.state import Platform, platform_of

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


def _policy(platform: Platform) -> webhooks.TargetPolicy:
    return webhooks.TargetPolicy(allow_private=platform.settings.allow_private_targets)


def _address(s: Surface, webhook_id: str, done: str = "") -> str:
    return f"{s.base}/{webhook_id}" + (f"?done={done}" if done else "")


def audit_module(s: Surface) -> str:
    """The audit rows' module: "webhooks" for the CRM's, "handover.webhooks" for the handover's."""
    return "webhooks" if s.product == "crm" else f"{s.product}.webhooks"


async def _entitlement(session: AsyncSession, s: Surface, org_id: str) -> Entitlement:
    subscription = await accounts.subscription(session, org_id, s.product)
    if subscription is None:
        raise ConsoleRefusal(403, "No plan", f"This organization has no {s.label} plan yet.")
    entitlement = entitlement_of(subscription, utcnow())
    if entitlement.suspended:
        raise ConsoleRefusal(
            403,
            "Subscription suspended",
            f"This organization's {s.label} subscription is suspended.",
        )
    return entitlement


def _form_page(
    s: Surface,
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
        surface=s,
        base=s.base,
        webhook=endpoint,
        values={
            **values,
            "modules": ticked(values.get("modules", "*")),
            "events": ticked(values["events"]),
        },
        errors=errors or {},
        modules=s.modules,
        events=s.events,
    )


async def _endpoint(
    s: Surface, request: AnyRequest, org_id: str, webhook_id: str
) -> WebhookEndpoint:
    async with platform_of(request).db.read() as session:
        return await webhooks.endpoint_or_404(session, org_id, s.product, webhook_id)


async def _webhook_page(
    s: Surface,
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
        endpoint = await webhooks.endpoint_or_404(session, user.org_id, s.product, webhook_id)
        page = await webhooks.delivery_page(
            session, endpoint, limit=PAGE_SIZE + 1, before_id=cursor, status=shown_status
        )
    shown = page[:PAGE_SIZE]
    return pages.render(
        request,
        user,
        "webhooks/detail.html",
        surface=s,
        base=s.base,
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


async def _update(
    s: Surface,
    request: AnyRequest,
    user: ConsoleUser,
    webhook_id: str,
    change: webhooks.EndpointChange,
    action: str,
) -> None:
    async def work(session: AsyncSession) -> tuple[None, dict[str, Any]]:
        found = await webhooks.endpoint_or_404(
            session, user.org_id, s.product, webhook_id, lock=True
        )
        before = views.settings_of(found)
        changed = await s.service.update_endpoint(
            session, user.org_id, webhook_id, change, utcnow()
        )
        return None, {"id": webhook_id, **views.diff(before, views.settings_of(changed.data))}

    await console_change(request, user, action, work, module=audit_module(s))


def _enabling(enabled: bool) -> webhooks.EndpointChange:
    return webhooks.EndpointChange(
        url=None, modules=None, events=None, description=None, enabled=enabled
    )


def handlers_for(s: Surface) -> list[Any]:
    """Every page of one product's webhooks, at `s.path` under /console."""

    @get(s.path, guards=ADMINS)
    async def list_webhooks(
        request: AnyRequest, user: UserDep, done: FromQuery[str | None] = None
    ) -> Response[str]:
        async with platform_of(request).db.read() as session:
            found = await repository.list_endpoints(session, user.org_id, s.product)
            entitlement = await _entitlement(session, s, user.org_id)
        return pages.render(
            request,
            user,
            "webhooks/list.html",
            surface=s,
            base=s.base,
            surfaces=SURFACES,
            webhooks=found,
            allowed=entitlement.webhook_endpoints,
            plan=entitlement.effective_plan,
            notice=_DONE.get(done or "", ""),
            health=views.health,
            choice_text=views.choice_text,
        )

    @get(s.path + "/new", guards=ADMINS)
    async def new_webhook(request: AnyRequest, user: UserDep) -> Response[str]:
        values = {"url": "", "modules": "*", "events": "*", "description": ""}
        return _form_page(s, request, user, values=values)

    @post(s.path, guards=ADMINS)
    async def create_webhook(request: AnyRequest, user: UserDep) -> Response[str]:
        """The secret is in this answer alone (no-store, never shown again on any page)."""
        platform = platform_of(request)
        values = endpoint_fields(await request.form(), modules=bool(s.modules))
        try:
            new = await s.service.new_endpoint(converted(values, s.new_shape), _policy(platform))
        except AppError as refused:
            if refused.code != "VALIDATION_ERROR":
                raise
            return _form_page(
                s, request, user, values=values, errors=field_errors(refused), status=400
            )

        async def work(session: AsyncSession) -> tuple[webhooks.CreatedEndpoint, dict[str, Any]]:
            entitlement = await _entitlement(session, s, user.org_id)
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
            created = await console_change(
                request, user, "webhook.create", work, module=audit_module(s)
            )
        except AppError as refused:
            if refused.code != "PLAN_LIMIT":
                raise
            return _form_page(
                s, request, user, values=values, errors=field_errors(refused), status=403
            )
        return pages.render(
            request,
            user,
            "webhooks/secret.html",
            surface=s,
            base=s.base,
            webhook=created.endpoint,
            secret=created.secret,
            rotated=False,
            when=views.when,
        )

    @get(s.path + "/{webhook_id:str}", guards=ADMINS)
    async def show_webhook(
        request: AnyRequest,
        user: UserDep,
        webhook_id: FromPath[str],
        done: FromQuery[str | None] = None,
        status: FromQuery[str | None] = None,
        before: FromQuery[str | None] = None,
    ) -> Response[str]:
        return await _webhook_page(
            s, request, user, webhook_id, done=done, status=status, before=before
        )

    @get(s.path + "/{webhook_id:str}/edit", guards=ADMINS)
    async def edit_webhook(
        request: AnyRequest, user: UserDep, webhook_id: FromPath[str]
    ) -> Response[str]:
        endpoint = await _endpoint(s, request, user.org_id, webhook_id)
        values = {
            "url": endpoint.url,
            "modules": endpoint.modules,
            "events": endpoint.events,
            "description": endpoint.description,
        }
        return _form_page(s, request, user, values=values, endpoint=endpoint)

    @post(s.path + "/{webhook_id:str}/edit", guards=ADMINS)
    async def update_webhook(
        request: AnyRequest, user: UserDep, webhook_id: FromPath[str]
    ) -> Response[str]:
        platform = platform_of(request)
        values = endpoint_fields(await request.form(), modules=bool(s.modules))
        try:
            change = await s.service.checked_change(
                converted(values, s.change_shape), _policy(platform)
            )
        except AppError as refused:
            if refused.code != "VALIDATION_ERROR":
                raise
            endpoint = await _endpoint(s, request, user.org_id, webhook_id)
            errors = field_errors(refused)
            return _form_page(
                s, request, user, values=values, errors=errors, endpoint=endpoint, status=400
            )
        await _update(s, request, user, webhook_id, change, "webhook.update")
        return pages.redirect(_address(s, webhook_id, "updated"))

    @post(s.path + "/{webhook_id:str}/enable", guards=ADMINS)
    async def enable_webhook(
        request: AnyRequest, user: UserDep, webhook_id: FromPath[str]
    ) -> Response[str]:
        await _update(s, request, user, webhook_id, _enabling(True), "webhook.enable")
        return pages.redirect(_address(s, webhook_id, "enabled"))

    @post(s.path + "/{webhook_id:str}/disable", guards=ADMINS)
    async def disable_webhook(
        request: AnyRequest, user: UserDep, webhook_id: FromPath[str]
    ) -> Response[str]:
        await _update(s, request, user, webhook_id, _enabling(False), "webhook.disable")
        return pages.redirect(_address(s, webhook_id, "disabled"))

    @post(s.path + "/{webhook_id:str}/ping", guards=ADMINS)
    async def ping_webhook(
        request: AnyRequest, user: UserDep, webhook_id: FromPath[str]
    ) -> Response[str]:
        async def work(session: AsyncSession) -> tuple[None, dict[str, Any]]:
            queued = await s.service.queue_ping(session, user.org_id, webhook_id, utcnow())
            return None, {"id": webhook_id, "delivery": queued.data.id}

        await console_change(request, user, "webhook.ping", work, module=audit_module(s))
        return pages.redirect(_address(s, webhook_id, "pinged"))

    @post(s.path + "/{webhook_id:str}/rotate-secret", guards=ADMINS)
    async def rotate_secret(
        request: AnyRequest, user: UserDep, webhook_id: FromPath[str]
    ) -> Response[str]:
        """The new secret is in this answer alone; the old one signs beside it for 24 hours."""
        box = platform_of(request).secrets

        async def work(session: AsyncSession) -> tuple[tuple[WebhookEndpoint, str], dict[str, Any]]:
            rotated = await s.service.rotate_secret(session, box, user.org_id, webhook_id, utcnow())
            expires = rotated.data[0].previous_secret_expires_at
            return rotated.data, {"id": webhook_id, "previousSecretExpiresAt": views.when(expires)}

        endpoint, secret = await console_change(
            request, user, "webhook.rotate_secret", work, module=audit_module(s)
        )
        return pages.render(
            request,
            user,
            "webhooks/secret.html",
            surface=s,
            base=s.base,
            webhook=endpoint,
            secret=secret,
            rotated=True,
            when=views.when,
        )

    @get(s.path + "/{webhook_id:str}/delete", guards=ADMINS)
    async def confirm_delete(
        request: AnyRequest, user: UserDep, webhook_id: FromPath[str]
    ) -> Response[str]:
        endpoint = await _endpoint(s, request, user.org_id, webhook_id)
        return pages.render(
            request, user, "webhooks/delete.html", webhook=endpoint, surface=s, base=s.base
        )

    @post(s.path + "/{webhook_id:str}/delete", guards=ADMINS)
    async def delete_webhook(
        request: AnyRequest, user: UserDep, webhook_id: FromPath[str]
    ) -> Response[str]:
        async def work(session: AsyncSession) -> tuple[None, dict[str, Any]]:
            found = await webhooks.endpoint_or_404(session, user.org_id, s.product, webhook_id)
            settings = views.settings_of(found)
            await s.service.delete_endpoint(session, user.org_id, webhook_id)
            return None, {"id": webhook_id, **settings}

        await console_change(request, user, "webhook.delete", work, module=audit_module(s))
        return pages.redirect(f"{s.base}?done=deleted")

    @get(s.path + "/{webhook_id:str}/deliveries/{delivery_id:str}", guards=ADMINS)
    async def show_delivery(
        request: AnyRequest, user: UserDep, webhook_id: FromPath[str], delivery_id: FromPath[str]
    ) -> Response[str]:
        async with platform_of(request).db.read() as session:
            endpoint = await webhooks.endpoint_or_404(session, user.org_id, s.product, webhook_id)
            delivery = await repository.get_delivery(session, user.org_id, endpoint.id, delivery_id)
            if delivery is None:
                raise ConsoleRefusal(404, "Not found", "No delivery with this id for this webhook.")
            attempts = await repository.attempts_of(session, user.org_id, [delivery.id])
        found = webhooks.DeliveryWithAttempts(delivery, attempts.get(delivery.id, []))
        return pages.render(
            request,
            user,
            "webhooks/delivery.html",
            surface=s,
            base=s.base,
            webhook=endpoint,
            delivery=delivery,
            row=views.delivery_row(found),
            attempts=found.attempts,
            when=views.when,
        )

    @post(s.path + "/{webhook_id:str}/deliveries/{delivery_id:str}/redeliver", guards=ADMINS)
    async def redeliver(
        request: AnyRequest, user: UserDep, webhook_id: FromPath[str], delivery_id: FromPath[str]
    ) -> Response[str]:
        async def work(session: AsyncSession) -> tuple[None, dict[str, Any]]:
            await s.service.redeliver(session, user.org_id, webhook_id, delivery_id, utcnow())
            return None, {"id": webhook_id, "delivery": delivery_id}

        await console_change(request, user, "webhook.redeliver", work, module=audit_module(s))
        return pages.redirect(_address(s, webhook_id, "redelivered"))

    @post(s.path + "/{webhook_id:str}/recover", guards=ADMINS)
    async def recover(
        request: AnyRequest, user: UserDep, webhook_id: FromPath[str]
    ) -> Response[str]:
        """Every failed or dead delivery created since the time given is queued again."""
        since_text = text_of(await request.form(), "since")
        try:
            since = since_of(since_text)

            async def work(session: AsyncSession) -> tuple[int, dict[str, Any]]:
                count = await s.service.recover(session, user.org_id, webhook_id, since, utcnow())
                return count.data, {
                    "id": webhook_id,
                    "since": since.isoformat(),
                    "requeued": count.data,
                }

            requeued = await console_change(
                request, user, "webhook.recover", work, module=audit_module(s)
            )
        except AppError as refused:
            if refused.code != "VALIDATION_ERROR":
                raise
            return await _webhook_page(
                s,
                request,
                user,
                webhook_id,
                recover_errors=field_errors(refused),
                since=since_text,
                code=400,
            )
        noun = "delivery is" if requeued == 1 else "deliveries are"
        return await _webhook_page(
            s,
            request,
            user,
            webhook_id,
            notice=f"{requeued} failed {noun} queued again.",
            since=since_text,
        )

    return [
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


HANDLERS = [handler for surface in SURFACES for handler in handlers_for(surface)]
