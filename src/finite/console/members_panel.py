"""Admin → Members (/console/members): every member with their role, owner and status; invite
one (a mailed one-time link sets their password), change a member's role, deactivate or
reactivate one. The rules are core.accounts' (members.py, service.py): the owner keeps the
Admin role and stays active; a deactivated member's sessions end and their keys are refused on
the next request. Each change is audited (module "members") in its own transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from litestar import Response, get, post
from litestar.params import FromPath, FromQuery
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from finite.console import pages
from finite.console.forms import field_errors, form_fields
from finite.console.guards import admin_only
from finite.console.password_links import send_link
from finite.console.principal import ConsoleUser, UserDep
from finite.console.unit_of_work import console_change
from finite.core.accounts import repository
from finite.core.accounts.members import change_role, set_deactivated
from finite.core.accounts.service import add_member, resolve_member
from finite.kit.clock import utcnow
from finite.kit.errors import AppError, conflict
from finite.models import Member, MemberCredential, Role
from finite.platform.http import AnyRequest
from finite.platform.state import platform_of

MODULE = "members"
_DONE = {
    "invited": "Invitation sent: the link in the mail works once, for 72 hours.",
    "role": "Role changed: it applies to their next request, in the console and with their keys.",
    "deactivated": "Deactivated: their sessions ended and their API keys are refused.",
    "reactivated": "Reactivated: they can sign in and use their keys again.",
    "invited-again": "A new link is on its way; it works once, for 72 hours.",
}


@dataclass(frozen=True, slots=True)
class MemberRow:
    id: str
    name: str
    email: str
    role_id: str
    role_name: str
    is_owner: bool
    deactivated_at: datetime | None
    has_password: bool


async def _members(session: AsyncSession, org_id: str) -> list[MemberRow]:
    rows = await session.execute(
        select(Member, Role.name, MemberCredential.member_id)
        .join(Role, (Role.org_id == Member.org_id) & (Role.id == Member.role_id))
        .outerjoin(
            MemberCredential,
            (MemberCredential.org_id == Member.org_id) & (MemberCredential.member_id == Member.id),
        )
        .where(Member.org_id == org_id)
        .order_by(Member.created_at, Member.id)
    )
    return [
        MemberRow(
            m.id, m.name, m.email, m.role_id, role, m.is_owner, m.deactivated_at, cred is not None
        )
        for m, role, cred in rows.all()
    ]


async def _page(
    request: AnyRequest,
    user: ConsoleUser,
    *,
    status: int = 200,
    notice: str = "",
    invite: dict[str, str] | None = None,
    invite_errors: dict[str, str] | None = None,
    row_errors: dict[str, str] | None = None,
) -> Response[str]:
    async with platform_of(request).db.read() as session:
        members = await _members(session, user.org_id)
        roles = await repository.roles_of(session, user.org_id)
    return pages.render(
        request,
        user,
        "members.html",
        status_code=status,
        members=members,
        roles=roles,
        notice=notice,
        invite=invite or {"email": "", "name": "", "role": "Standard"},
        invite_errors=invite_errors or {},
        row_errors=row_errors or {},
    )


@get("/members", guards=[admin_only])
async def members_page(
    request: AnyRequest, user: UserDep, done: FromQuery[str | None] = None
) -> Response[str]:
    return await _page(request, user, notice=_DONE.get(done or "", ""))


@post("/members/invite", guards=[admin_only], status_code=303)
async def invite(request: AnyRequest, user: UserDep) -> Response[str]:
    form = await form_fields(request)
    fields = {name: form.get(name, "") for name in ("email", "name", "role")}
    platform = platform_of(request)
    now = utcnow()

    async def work(session: AsyncSession) -> tuple[None, dict[str, Any]]:
        email, name, role = fields["email"], fields["name"], fields["role"]
        member = await add_member(session, user.org_id, email=email, name=name, role=role)
        await send_link(session, platform, member, user.org_name, "invite", now)
        return None, {"memberId": member.id, "email": member.email, "role": fields["role"]}

    try:
        await console_change(request, user, "member.invite", work, module=MODULE, status=303)
    except AppError as exc:
        if exc.status >= 500:
            raise
        errors = field_errors(exc, "email")
        return await _page(request, user, status=exc.status, invite=fields, invite_errors=errors)
    return pages.redirect("/console/members?done=invited")


Change = Callable[[AsyncSession, dict[str, str], datetime], Awaitable[dict[str, Any]]]


async def _change(
    request: AnyRequest, user: UserDep, member_id: str, action: str, done: str, change: Change
) -> Response[str]:
    form = await form_fields(request)
    now = utcnow()

    async def work(session: AsyncSession) -> tuple[None, dict[str, Any]]:
        return None, {"memberId": member_id, **await change(session, form, now)}

    try:
        if member_id == user.member_id:  # an admin cannot lock themselves out by a click
            raise conflict("You cannot change your own role or deactivate yourself.")
        await console_change(request, user, action, work, module=MODULE, status=303)
    except AppError as exc:
        if exc.status >= 500:
            raise
        reason = "; ".join(field_errors(exc, "member").values())
        return await _page(request, user, status=exc.status, row_errors={member_id: reason})
    return pages.redirect(f"/console/members?done={done}")


@post("/members/{member_id:str}/role", guards=[admin_only], status_code=303)
async def member_role(
    request: AnyRequest, user: UserDep, member_id: FromPath[str]
) -> Response[str]:
    async def work(session: AsyncSession, form: dict[str, str], _now: datetime) -> dict[str, Any]:
        member = await change_role(session, user.org_id, member_id, form.get("role", ""))
        return {"roleId": member.role_id}

    return await _change(request, user, member_id, "member.role", "role", work)


@post("/members/{member_id:str}/deactivate", guards=[admin_only], status_code=303)
async def deactivate(request: AnyRequest, user: UserDep, member_id: FromPath[str]) -> Response[str]:
    async def work(session: AsyncSession, _form: dict[str, str], now: datetime) -> dict[str, Any]:
        await set_deactivated(session, user.org_id, member_id, True, now)
        return {"deactivated": True}

    return await _change(request, user, member_id, "member.deactivate", "deactivated", work)


@post("/members/{member_id:str}/reactivate", guards=[admin_only], status_code=303)
async def reactivate(request: AnyRequest, user: UserDep, member_id: FromPath[str]) -> Response[str]:
    async def work(session: AsyncSession, _form: dict[str, str], now: datetime) -> dict[str, Any]:
        await set_deactivated(session, user.org_id, member_id, False, now)
        return {"deactivated": False}

    return await _change(request, user, member_id, "member.reactivate", "reactivated", work)


@post("/members/{member_id:str}/invite-again", guards=[admin_only], status_code=303)
async def invite_again(
    request: AnyRequest, user: UserDep, member_id: FromPath[str]
) -> Response[str]:
    """A new invitation link for an active member (a lost or expired one)."""
    platform = platform_of(request)

    async def work(session: AsyncSession, _form: dict[str, str], now: datetime) -> dict[str, Any]:
        member = await resolve_member(session, user.org_id, member_id)
        if member.deactivated_at is not None:
            raise conflict("Reactivate the member first.")
        await send_link(session, platform, member, user.org_name, "invite", now)
        return {"email": member.email}

    return await _change(request, user, member_id, "member.invite_again", "invited-again", work)


HANDLERS = [members_page, invite, member_role, deactivate, reactivate, invite_again]
