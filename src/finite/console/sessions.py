"""Console sessions on the server: the cookie holds a random id, the database its SHA-256.

A session ends at the first of: sign-out, 12 hours without a request (idle), 7 days after
sign-in (absolute), the member's deactivation or removal, or a new password. Every request
reads the session afresh, so each of these stops the next request; `last_seen_at` (and with it
the idle expiry) is written at most once a minute.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from finite.console.principal import ConsoleUser
from finite.kit.db import Database
from finite.models import ConsoleSession, Member, Organization, Role

IDLE_TIMEOUT = timedelta(hours=12)
ABSOLUTE_LIFETIME = timedelta(days=7)
TOUCH_EVERY = timedelta(minutes=1)
MAX_ID_LENGTH = 100  # a cookie value longer than any id handed out is not looked up


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


def session_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8", "replace")).hexdigest()


async def start_session(
    session: AsyncSession,
    member: Member,
    now: datetime,
    *,
    client_ip: str | None,
    user_agent: str | None,
) -> str:
    """Within the caller's transaction; returns the id for the cookie (nowhere else kept)."""
    session_id = new_session_id()
    session.add(
        ConsoleSession(
            org_id=member.org_id,
            id=session_hash(session_id),
            member_id=member.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
            idle_expires_at=now + IDLE_TIMEOUT,
            expires_at=now + ABSOLUTE_LIFETIME,
            client_ip=client_ip[:64] if client_ip else None,
            user_agent=user_agent[:300] if user_agent else None,
        )
    )
    await session.flush()
    return session_id


_SIGNED_IN = (
    select(ConsoleSession, Member, Role, Organization.name)
    .join(
        Member,
        (Member.org_id == ConsoleSession.org_id) & (Member.id == ConsoleSession.member_id),
    )
    .join(Role, (Role.org_id == Member.org_id) & (Role.id == Member.role_id))
    .join(Organization, Organization.id == ConsoleSession.org_id)
)


async def signed_in_user(db: Database, session_id: str, now: datetime) -> ConsoleUser | None:
    """The member a cookie's session id signs in, or None: unknown, expired, or the member
    deactivated (removed members take their sessions with them)."""
    if not session_id or len(session_id) > MAX_ID_LENGTH:
        return None
    hashed = session_hash(session_id)
    async with db.read() as session:
        found = (await session.execute(_SIGNED_IN.where(ConsoleSession.id == hashed))).first()
    if found is None:
        return None
    row, member, role, org_name = found
    if row.expires_at <= now or row.idle_expires_at <= now or member.deactivated_at is not None:
        async with db.transaction() as session:
            await end_session(session, row.org_id, hashed)
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        async with db.transaction() as session:
            await session.execute(
                update(ConsoleSession)
                .where(ConsoleSession.org_id == row.org_id, ConsoleSession.id == hashed)
                .values(last_seen_at=now, idle_expires_at=min(now + IDLE_TIMEOUT, row.expires_at))
            )
    return ConsoleUser(
        org_id=member.org_id,
        member_id=member.id,
        email=member.email,
        name=member.name,
        role_id=role.id,
        role_name=role.name,
        is_admin=role.is_admin,
        is_owner=member.is_owner,
        permissions=dict(role.permissions),
        session_hash=hashed,
        csrf_token=row.csrf_token,
        org_name=org_name,
    )


async def end_session(session: AsyncSession, org_id: str, hashed: str) -> None:
    await session.execute(
        delete(ConsoleSession).where(ConsoleSession.org_id == org_id, ConsoleSession.id == hashed)
    )


async def end_member_sessions(session: AsyncSession, org_id: str, member_id: str) -> int:
    """Sign the member out everywhere; returns how many sessions ended."""
    ended = await session.execute(
        delete(ConsoleSession).where(
            ConsoleSession.org_id == org_id, ConsoleSession.member_id == member_id
        )
    )
    return int(ended.rowcount)  # type: ignore[attr-defined]


async def end_expired_sessions(
    session: AsyncSession, org_id: str, member_id: str, now: datetime
) -> None:
    """Clear out the member's sessions past either expiry (refused anyway): at each sign-in,
    so a member's rows stay few."""
    await session.execute(
        delete(ConsoleSession).where(
            ConsoleSession.org_id == org_id,
            ConsoleSession.member_id == member_id,
            (ConsoleSession.expires_at <= now) | (ConsoleSession.idle_expires_at <= now),
        )
    )
