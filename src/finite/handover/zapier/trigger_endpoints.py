"""Handover surface: Zapier's polling triggers (/api/v1/zapier/triggers/*) and REST hooks
(/api/v1/zapier/hooks), both read from the handover's event log. Pro and Agency (plan_gate.py);
snake_case, as Zapier's side of the API is."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Router, delete, get, post
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.audit.context import set_subject
from finite.core.webhooks.service import TargetPolicy
from finite.handover.envelope import Envelope, ok
from finite.handover.plan_gate import PLAN, ZAPIER
from finite.handover.zapier import hooks
from finite.handover.zapier.triggers import MAX_ITEMS, MAX_PAGE, newest_items
from finite.kit.clock import utcnow
from finite.models.webhooks import WebhookEndpoint
from finite.platform.http import AnyRequest, PrincipalDep
from finite.platform.state import platform_of
from finite.platform.unit_of_work import Changed, commit_change

MODULE = "zapier"
Trigger = Literal["pack-sent", "pack-viewed", "client-signed-off"]
Limit = Annotated[
    int,
    QueryParameter(ge=1, le=MAX_ITEMS, description="Items to answer, 1 to 100 (default 100)."),
]
PageNumber = Annotated[
    int,
    QueryParameter(
        ge=0, le=MAX_PAGE, description="Zapier's `bundle.meta.page`: 0 is the newest items."
    ),
]
Item = dict[str, Any]


class HookIn(msgspec.Struct, forbid_unknown_fields=True):
    target_url: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            max_length=2048,
            description="Zapier's hook URL: public http(s), port 80 or 443.",
            extra_json_schema={"pattern": "^[Hh][Tt][Tt][Pp][Ss]?://[^\\s/?#]+"},
        ),
    ]
    event: Trigger


class HookOut(msgspec.Struct):
    id: str
    event: Trigger
    target_url: str
    status: str  # active | disabled (after sustained failure; a 410 deletes it instead)
    created_at: datetime


def hook_out(hook: WebhookEndpoint) -> HookOut:
    event: Trigger = hooks.trigger_of(hook)  # type: ignore[assignment]  # TRIGGERS' keys
    return HookOut(
        id=hook.id,
        event=event,
        target_url=hook.url,
        status=hook.status,
        created_at=hook.created_at,
    )


class UnsubscribedOut(msgspec.Struct):
    id: str
    deleted: bool


async def _items(
    request: AnyRequest, org_id: str, trigger: str, limit: int, page: int
) -> Envelope[list[Item]]:
    set_subject(request.scope, MODULE, action="list")
    async with platform_of(request).db.read() as session:
        items = await newest_items(session, org_id, trigger, limit=limit, page=page)
    return ok(request, items)


@get("/pack-sent", opt={"scope": "read", PLAN: ZAPIER})
async def pack_sent(
    request: AnyRequest, principal: PrincipalDep, limit: Limit = MAX_ITEMS, page: PageNumber = 0
) -> Envelope[list[Item]]:
    """Packs sent, newest first: one item per recipient, its `id` the event's."""
    return await _items(request, principal.org_id, "pack-sent", limit, page)


@get("/pack-viewed", opt={"scope": "read", PLAN: ZAPIER})
async def pack_viewed(
    request: AnyRequest, principal: PrincipalDep, limit: Limit = MAX_ITEMS, page: PageNumber = 0
) -> Envelope[list[Item]]:
    """Packs opened by their client for the first time, newest first."""
    return await _items(request, principal.org_id, "pack-viewed", limit, page)


@get("/client-signed-off", opt={"scope": "read", PLAN: ZAPIER})
async def client_signed_off(
    request: AnyRequest, principal: PrincipalDep, limit: Limit = MAX_ITEMS, page: PageNumber = 0
) -> Envelope[list[Item]]:
    """Client sign-offs, newest first."""
    return await _items(request, principal.org_id, "client-signed-off", limit, page)


@post("/", status_code=201, opt={"scope": "write", PLAN: ZAPIER})
async def subscribe(
    request: AnyRequest, principal: PrincipalDep, data: JSONBody[HookIn]
) -> Envelope[HookOut]:
    """Subscribe `target_url` to a trigger's events (Zapier's performSubscribe)."""
    set_subject(request.scope, MODULE, action="create")
    platform = platform_of(request)
    policy = TargetPolicy(allow_private=platform.settings.allow_private_targets)
    target = await hooks.checked_target(data.target_url, policy)

    async def work(session: AsyncSession) -> Changed[WebhookEndpoint]:
        return await hooks.subscribe(
            session, platform.secrets, principal, target, data.event, utcnow()
        )

    return ok(request, hook_out(await commit_change(request, 201, work)))


@get("/", opt={"scope": "read", PLAN: ZAPIER})
async def list_hooks(request: AnyRequest, principal: PrincipalDep) -> Envelope[list[HookOut]]:
    """The organization's REST hook subscriptions, oldest first."""
    set_subject(request.scope, MODULE, action="list")
    async with platform_of(request).db.read() as session:
        found = await hooks.hooks_of(session, principal.org_id)
    return ok(request, [hook_out(hook) for hook in found])


@get("/{hook_id:str}", opt={"scope": "read", PLAN: ZAPIER})
async def get_hook(
    request: AnyRequest, principal: PrincipalDep, hook_id: FromPath[str]
) -> Envelope[HookOut]:
    """One REST hook subscription."""
    set_subject(request.scope, MODULE, action="view")
    async with platform_of(request).db.read() as session:
        found = await hooks.hook(session, principal.org_id, hook_id)
    return ok(request, hook_out(found))


@delete("/{hook_id:str}", status_code=200, opt={"scope": "write", PLAN: ZAPIER})
async def unsubscribe(
    request: AnyRequest, principal: PrincipalDep, hook_id: FromPath[str]
) -> Envelope[UnsubscribedOut]:
    """Remove a subscription (Zapier's performUnsubscribe)."""
    set_subject(request.scope, MODULE, action="delete")

    async def work(session: AsyncSession) -> Changed[str]:
        return await hooks.unsubscribe(session, principal.org_id, hook_id)

    return ok(request, UnsubscribedOut(id=await commit_change(request, 200, work), deleted=True))


triggers_router = Router(
    "/zapier/triggers", route_handlers=[pack_sent, pack_viewed, client_signed_off]
)
hooks_router = Router(
    "/zapier/hooks", route_handlers=[subscribe, list_hooks, get_hook, unsubscribe]
)
