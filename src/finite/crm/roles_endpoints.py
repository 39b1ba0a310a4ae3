"""CRM surface: /api/roles — the organization's roles and their module permissions."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, put
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import FromPath

from finite.core.accounts import repository
from finite.core.accounts.service import update_role_permissions
from finite.core.auth.principal import Principal
from finite.crm import openapi_shapes
from finite.crm.auth import require_admin
from finite.crm.http import json_object
from finite.kit.errors import invalid_field
from finite.models import Role
from finite.platform.openapi_hints import documented
from finite.platform.state import platform_of

AnyRequest = Request[Any, Any, Any]


def role_out(role: Role) -> dict[str, Any]:
    return {
        "id": role.id,
        "name": role.name,
        "is_admin": role.is_admin,
        "built_in": role.is_builtin,
        "permissions": role.permissions,
    }


@get(
    "/roles",
    responses={
        200: ResponseSpec(
            openapi_shapes.RoleList, generate_examples=False, description="Every role."
        )
    },
)
async def list_roles(request: AnyRequest, principal: NamedDependency[Principal]) -> dict[str, Any]:
    async with platform_of(request).db.read() as session:
        roles = await repository.roles_of(session, principal.org_id)
    return {"roles": [role_out(role) for role in roles]}


@put(
    "/roles/{role:str}",
    responses={
        200: ResponseSpec(openapi_shapes.Role, generate_examples=False, description="The role.")
    },
    opt=documented(body=openapi_shapes.RoleUpdate),
)
async def update_role(
    request: AnyRequest, principal: NamedDependency[Principal], role: FromPath[str]
) -> dict[str, Any]:
    """Body: {"permissions": {"leads": ["view", "create"], ...}} — modules not named keep theirs."""
    require_admin(principal)
    body = await json_object(request)
    permissions = body.get("permissions")
    if not isinstance(permissions, dict) or set(body) != {"permissions"}:
        raise invalid_field("permissions", 'send {"permissions": {module: [actions]}}')
    async with platform_of(request).db.transaction() as session:
        updated = await update_role_permissions(session, principal.org_id, role, permissions)
        return role_out(updated)
