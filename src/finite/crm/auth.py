"""The CRM surface's caller — an ``fsk_`` key acting with its member's current role — and the
authorization each route declares in ``opt={"permission": …}``, checked by `permission_guard`
before the handler runs (and before the body is read).

A route may also name its audit action in ``opt={"audit": …}``: the guard records the subject
(the path's module and record id) first, so a refused call is audited against it too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler

from finite.core.accounts.roles import Action
from finite.core.audit.context import principal_of, remember_principal, set_subject
from finite.core.auth.authenticate import authenticate
from finite.core.auth.principal import Principal
from finite.crm.modules.schema import module_named
from finite.kit.errors import forbidden, not_found
from finite.platform.http import AnyKey, AnyRequest, declared_access
from finite.platform.rate_limits import enforce_rate_limit
from finite.platform.state import platform_of

PERMISSION: Final = "permission"
AUDIT: Final = "audit"


def _module_in_path(params: Mapping[str, Any]) -> str:
    module = params["module"]
    assert isinstance(module, str)
    return module


@dataclass(frozen=True, slots=True)
class ModuleAction:
    """The caller's role must allow `action` on the module the path names (unknown: 404)."""

    action: Action
    module_of: Callable[[Mapping[str, Any]], str] = _module_in_path


@dataclass(frozen=True, slots=True)
class Admin:
    message: str = "This action needs the Admin role."


ADMIN: Final = Admin()


async def crm_principal(request: AnyRequest) -> Principal:
    """Authenticated once per request: the guard runs first and keeps what it found."""
    known = principal_of(request.scope)
    if known is not None:
        return known
    platform = platform_of(request)
    principal = await authenticate(
        platform.db, platform.peppers, request.scope["headers"], "crm", platform.principals
    )
    remember_principal(request.scope, principal)
    await enforce_rate_limit(request, principal)
    return principal


async def permission_guard(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """In today's order: 401/429 for the key, the audit subject, 404 for an unknown module,
    then 403 for a role without the permission."""
    principal = await crm_principal(Request(connection.scope))
    permission = declared_access(handler, PERMISSION)
    params = connection.path_params
    if isinstance(permission, ModuleAction):
        module: str | None = permission.module_of(params)
    else:
        module = params.get("module")
    audited = handler.opt.get(AUDIT)
    if audited is not None:
        set_subject(connection.scope, module, params.get("record_id"), audited)
    if isinstance(permission, Admin):
        if not principal.is_admin:
            raise forbidden(permission.message)
    elif isinstance(permission, ModuleAction):
        assert module is not None
        module_named(module)
        require(principal, module, permission.action)
    elif not isinstance(permission, AnyKey):
        raise TypeError(f"{handler.handler_name}: {permission!r} is not a CRM permission")


def require(principal: Principal, module: str, action: Action) -> None:
    """403 unless the caller's role allows `action` on `module`: the guard's check, and a
    handler's for what its body asks beyond the route's declared action (a batch's edits)."""
    if not principal.may(module, action):
        role = principal.role.name if principal.role else "this key"
        raise forbidden(f"The {role} role cannot {action} {module}.")


def module_of_csv(params: Mapping[str, Any]) -> str:
    """The module of an export's or an import's `{module}.csv` file name."""
    filename = params["filename"]
    assert isinstance(filename, str)
    if not filename.endswith(".csv"):
        raise not_found("The file is named after its module: {module}.csv.")
    return filename.removesuffix(".csv")
