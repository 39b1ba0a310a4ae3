"""The CRM surface's caller: an ``fsk_`` key acting with its member's current role."""

from __future__ import annotations

from typing import Any

from litestar import Request

from finite.core.audit.context import remember_principal
from finite.core.auth.authenticate import authenticate
from finite.core.auth.principal import Principal
from finite.kit.errors import forbidden
from finite.platform.rate_limits import enforce_rate_limit
from finite.platform.state import platform_of


async def crm_principal(request: Request[Any, Any, Any]) -> Principal:
    platform = platform_of(request)
    principal = await authenticate(
        platform.db, platform.peppers, request.scope["headers"], "crm", platform.principals
    )
    remember_principal(request.scope, principal)
    await enforce_rate_limit(request, principal)
    return principal


def require_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise forbidden("This action needs the Admin role.")
