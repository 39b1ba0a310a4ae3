"""CRM surface: /api/roles — the organization's roles and their module permissions."""

from __future__ import annotations

from typing import Any

from litestar import Router, get, put
from litestar.openapi import ResponseSpec
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.accounts import repository
from finite.crm import openapi_shapes
from finite.crm.auth import ADMIN, PERMISSION
from finite.crm.http import json_object
from finite.crm.roles import service
from finite.platform.http import ANY_KEY, AnyRequest, PrincipalDep
from finite.platform.openapi_hints import documented
from finite.platform.state import platform_of
from finite.platform.unit_of_work import Changed, commit_change


@get(
    "/",
    responses={
        200: ResponseSpec(
            openapi_shapes.RoleList, generate_examples=False, description="Every role."
        )
    },
    opt={PERMISSION: ANY_KEY},
)
async def list_roles(request: AnyRequest, principal: PrincipalDep) -> dict[str, Any]:
    async with platform_of(request).db.read() as session:
        roles = await repository.roles_of(session, principal.org_id)
    return {"roles": [service.role_out(role) for role in roles]}


@put(
    "/{role:str}",
    responses={
        200: ResponseSpec(openapi_shapes.Role, generate_examples=False, description="The role.")
    },
    opt={**documented(body=openapi_shapes.RoleUpdate), PERMISSION: ADMIN},
)
async def update_role(
    request: AnyRequest, principal: PrincipalDep, role: FromPath[str]
) -> dict[str, Any]:
    """Body: {"permissions": {"leads": ["view", "create"], ...}} — modules not named keep theirs."""
    body = await json_object(request)

    async def work(session: AsyncSession) -> Changed[dict[str, Any]]:
        return await service.update_role(session, principal.org_id, role, body)

    return await commit_change(request, 200, work)


router = Router("/roles", route_handlers=[list_roles, update_role])
