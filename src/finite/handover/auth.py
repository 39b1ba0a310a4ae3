"""The handover surface's caller — an ``fz_live_`` key with scopes — and what each route
declares, checked by `scope_guard`: the scope in ``opt={"scope": …}`` (or ``ANY_KEY``) and,
for the routes the Pro plan may call, ``opt={"plan": ZAPIER}`` (handover/plan_gate.py)."""

from __future__ import annotations

from typing import Any, Final

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler

from finite.core.audit.context import principal_of, remember_principal
from finite.core.auth.authenticate import authenticate
from finite.core.auth.principal import Principal
from finite.handover.plan_gate import PLAN, check_plan_access
from finite.kit.errors import forbidden
from finite.platform.http import AnyKey, AnyRequest, declared_access
from finite.platform.rate_limits import enforce_rate_limit
from finite.platform.state import platform_of

SCOPE: Final = "scope"


async def handover_principal(request: AnyRequest) -> Principal:
    """Authenticated once per request: the scope guard runs first and keeps what it found."""
    known = principal_of(request.scope)
    if known is not None:
        return known
    platform = platform_of(request)
    principal = await authenticate(
        platform.db, platform.peppers, request.scope["headers"], "handover", platform.principals
    )
    remember_principal(request.scope, principal)
    await enforce_rate_limit(request, principal)
    return principal


async def scope_guard(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Before the body is read: a plan without the route's API access, or a key without the
    route's scope, gets 403, whatever it sent."""
    principal = await handover_principal(Request(connection.scope))
    check_plan_access(principal, handler.opt.get(PLAN))
    needed = declared_access(handler, SCOPE)
    if isinstance(needed, AnyKey):
        return
    if not isinstance(needed, str):
        raise TypeError(f"{handler.handler_name}: {needed!r} is not a handover scope")
    if needed not in principal.scopes:
        raise forbidden(f"This API key needs the {needed!r} scope.")
