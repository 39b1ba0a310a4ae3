"""The handover surface's caller: an ``fz_live_`` key with scopes."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler

from finite.core.audit.context import principal_of, remember_principal
from finite.core.auth.authenticate import authenticate
from finite.core.auth.principal import Principal
from finite.handover.plan_gate import check_plan_access
from finite.kit.errors import forbidden
from finite.platform.rate_limits import enforce_rate_limit
from finite.platform.state import platform_of


async def handover_principal(request: Request[Any, Any, Any]) -> Principal:
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
    check_plan_access(principal, request.url.path)
    return principal


async def scope_guard(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Before the body is read: a key without the route's scope gets 403, whatever it sent.
    Each route names its scope in `opt={"scope": …}`; routes without one (/auth, /me) only
    need a valid key."""
    principal = await handover_principal(Request(connection.scope))
    needed = handler.opt.get("scope")
    if needed is not None and needed not in principal.scopes:
        raise forbidden(f"This API key needs the {needed!r} scope.")
