"""Changing members and roles: a member's role, deactivation, a new role. Never commits.

The owner keeps the Admin role and cannot be deactivated: the organization always has someone
who can sign in and manage it. A deactivated member's console sessions and API keys stop on the
next request (the sessions are ended here; a key's principal reads `deactivated_at`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.accounts import repository
from finite.core.accounts.roles import ACTIONS, governed_modules
from finite.core.accounts.service import _role_key, find_role, resolve_member
from finite.kit.errors import conflict, invalid_field
from finite.kit.ids import new_id
from finite.kit.validate import clean_text
from finite.models import ConsoleSession, Member, Role

ROLE_NAME_LENGTH = 60


async def change_role(session: AsyncSession, org_id: str, member_id: str, role: str) -> Member:
    member = await resolve_member(session, org_id, member_id)
    found = await find_role(session, org_id, role)
    if member.is_owner and not found.is_admin:
        raise invalid_field("role", "the organization's owner keeps the Admin role")
    member.role_id = found.id
    await session.flush()
    return member


async def set_deactivated(
    session: AsyncSession, org_id: str, member_id: str, deactivated: bool, now: datetime
) -> Member:
    """Deactivate (ending every console session) or reactivate a member."""
    member = await resolve_member(session, org_id, member_id)
    if deactivated and member.is_owner:
        raise conflict("The organization's owner cannot be deactivated.")
    member.deactivated_at = now if deactivated else None
    if deactivated:
        await session.execute(
            delete(ConsoleSession).where(
                ConsoleSession.org_id == org_id, ConsoleSession.member_id == member.id
            )
        )
    await session.flush()
    return member


async def create_role(
    session: AsyncSession, org_id: str, name: str, now: datetime, *, copy_of: str | None = None
) -> Role:
    """A role that is neither built in nor Admin, with no permissions (or another role's)."""
    cleaned = clean_text("name", name, max_length=ROLE_NAME_LENGTH)
    roles = await repository.roles_of(session, org_id)
    if any(_role_key(role.name) == _role_key(cleaned) for role in roles):
        raise invalid_field("name", f"a role named {cleaned!r} already exists")
    permissions: dict[str, list[str]] = {module: [] for module in governed_modules()}
    if copy_of:
        source = await find_role(session, org_id, copy_of)
        permissions.update(
            {
                module: [a for a in ACTIONS if a in actions]
                for module, actions in source.permissions.items()
            }
        )
    role = Role(
        org_id=org_id,
        id=new_id("role"),
        name=cleaned,
        is_admin=False,
        is_builtin=False,
        permissions=permissions,
        created_at=now,
    )
    session.add(role)
    await session.flush()
    return role
