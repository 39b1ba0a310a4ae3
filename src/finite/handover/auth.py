"""The handover surface's caller: an ``fz_live_`` key with scopes."""

from __future__ import annotations

from typing import Any

from litestar import Request

from finite.core.audit.context import remember_principal
from finite.core.auth.authenticate import authenticate
from finite.core.auth.principal import Principal
from finite.handover.plan_gate import check_plan_access
from finite.kit.errors import forbidden
from finite.platform.rate_limits import enforce_rate_limit
from finite.platform.state import platform_of


async def handover_principal(request: Request[Any, Any, Any]) -> Principal:
    platform = platform_of(request)
    principal = await authenticate(
        platform.db, platform.peppers, request.scope["headers"], "handover"
    )
    remember_principal(request.scope, principal)
    await enforce_rate_limit(request, principal)
    check_plan_access(principal, request.url.path)
    return principal


def require_scope(principal: Principal, scope: str) -> None:
    if scope not in principal.scopes:
        raise forbidden(f"This API key needs the {scope!r} scope.")
