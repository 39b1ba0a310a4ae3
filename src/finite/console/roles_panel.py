"""Admin → Roles (/console/roles): the role-module-action matrix as a grid of checkboxes.

A role's grid is saved through the roles API's own service (crm.roles.service.update_role, its
validation), every module at once: an unticked box removes the action. The Admin role always has
every permission and is shown read-only, as the API refuses to change it. A new role
(core.accounts.members.create_role) starts with no permissions, or a copy of another role's."""

from __future__ import annotations

from typing import Any

from litestar import Response, get, post
from litestar.params import FromPath, FromQuery
from sqlalchemy.ext.asyncio import AsyncSession

from finite.console import pages
from finite.console.forms import field_errors, form_fields, form_lists
from finite.console.guards import admin_only
from finite.console.principal import ConsoleUser, UserDep
from finite.console.unit_of_work import console_change
from finite.core.accounts import repository
from finite.core.accounts.members import create_role
from finite.core.accounts.roles import ACTIONS, governed_modules
from finite.crm.roles.service import update_role
from finite.kit.clock import utcnow
from finite.kit.errors import AppError, ErrorDetail, validation_error
from finite.models import Role
from finite.platform.http import AnyRequest
from finite.platform.state import platform_of

MODULE = "roles"
CELL = "perm"  # each ticked box sends perm=<module>:<action>
_DONE = {
    "saved": "Role saved: it applies to its members' next request, console and API keys alike.",
    "created": "Role created: tick what it may do, then save.",
}


async def _page(
    request: AnyRequest,
    user: ConsoleUser,
    *,
    status: int = 200,
    notice: str = "",
    role_errors: dict[str, str] | None = None,
    new_role: dict[str, str] | None = None,
    new_errors: dict[str, str] | None = None,
) -> Response[str]:
    async with platform_of(request).db.read() as session:
        roles = await repository.roles_of(session, user.org_id)
    return pages.render(
        request,
        user,
        "roles.html",
        status_code=status,
        roles=roles,
        modules=governed_modules(),
        actions=ACTIONS,
        notice=notice,
        role_errors=role_errors or {},
        new_role=new_role or {"name": "", "copy_of": ""},
        new_errors=new_errors or {},
    )


@get("/roles", guards=[admin_only])
async def roles_page(
    request: AnyRequest, user: UserDep, done: FromQuery[str | None] = None
) -> Response[str]:
    return await _page(request, user, notice=_DONE.get(done or "", ""))


def _grid(ticked: list[str]) -> dict[str, list[str]]:
    """Every module named, so an unticked box removes its action."""
    grid: dict[str, list[str]] = {module: [] for module in governed_modules()}
    problems: list[ErrorDetail] = []
    for cell in ticked:
        module, _, action = cell.partition(":")
        if not action:
            problems.append(ErrorDetail("permissions", f"{cell!r} is not module:action"))
            continue
        grid.setdefault(module, []).append(action)
    if problems:
        raise validation_error(problems)
    return grid


@post("/roles/{role_id:str}", guards=[admin_only], status_code=303)
async def save_role(request: AnyRequest, user: UserDep, role_id: FromPath[str]) -> Response[str]:
    ticked = (await form_lists(request)).get(CELL, [])
    try:
        body: dict[str, Any] = {"permissions": _grid(ticked)}

        async def work(session: AsyncSession) -> tuple[None, dict[str, Any]]:
            saved = await update_role(session, user.org_id, role_id, body)
            return None, {"roleId": role_id, "permissions": saved.data["permissions"]}

        await console_change(request, user, "role.update", work, module=MODULE, status=303)
    except AppError as exc:
        if exc.status >= 500:
            raise
        reason = "; ".join(f"{k}: {v}" if k else v for k, v in field_errors(exc).items())
        return await _page(request, user, status=exc.status, role_errors={role_id: reason})
    return pages.redirect(f"/console/roles?done=saved#role-{role_id}")


@post("/roles", guards=[admin_only], status_code=303)
async def new_role(request: AnyRequest, user: UserDep) -> Response[str]:
    form = await form_fields(request)
    fields = {"name": form.get("name", ""), "copy_of": form.get("copy_of", "")}

    async def work(session: AsyncSession) -> tuple[Role, dict[str, Any]]:
        role = await create_role(
            session, user.org_id, fields["name"], utcnow(), copy_of=fields["copy_of"] or None
        )
        return role, {"roleId": role.id, "name": role.name, "permissions": role.permissions}

    try:
        role = await console_change(request, user, "role.create", work, module=MODULE, status=303)
    except AppError as exc:
        if exc.status >= 500:
            raise
        errors = field_errors(exc, "name")
        return await _page(request, user, status=exc.status, new_role=fields, new_errors=errors)
    return pages.redirect(f"/console/roles?done=created#role-{role.id}")


HANDLERS = [roles_page, save_role, new_role]
