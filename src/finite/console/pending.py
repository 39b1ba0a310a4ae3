"""Sign-ins waiting for a second-factor code: the password was right, and the session starts
only once a code is. The second step's form carries a random token; the database keeps its
SHA-256, for PENDING_LIFETIME. Taking one (a right code) deletes it, so it opens one session.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from finite.kit.db import Database
from finite.models import ConsolePendingSignIn, Member

PENDING_LIFETIME = timedelta(minutes=5)
MAX_TOKEN_LENGTH = 100


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


async def start_pending(session: AsyncSession, member: Member, now: datetime) -> str:
    """Within the caller's transaction; returns the token for the second step's form."""
    await session.execute(
        delete(ConsolePendingSignIn).where(
            ConsolePendingSignIn.org_id == member.org_id,
            ConsolePendingSignIn.member_id == member.id,
            ConsolePendingSignIn.expires_at <= now,
        )
    )
    token = secrets.token_urlsafe(32)
    session.add(
        ConsolePendingSignIn(
            org_id=member.org_id,
            id=_hash(token),
            member_id=member.id,
            expires_at=now + PENDING_LIFETIME,
        )
    )
    await session.flush()
    return token


async def pending_member(db: Database, token: str, now: datetime) -> Member | None:
    """The member a live pending sign-in is for (None: unknown, expired, or deactivated)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    query = (
        select(ConsolePendingSignIn.expires_at, Member)
        .join(
            Member,
            (Member.org_id == ConsolePendingSignIn.org_id)
            & (Member.id == ConsolePendingSignIn.member_id),
        )
        .where(ConsolePendingSignIn.id == _hash(token))
    )
    async with db.read() as session:
        found = (await session.execute(query)).first()
    if found is None:
        return None
    expires_at, member = found
    if expires_at <= now or member.deactivated_at is not None:
        return None
    return member


async def take_pending(session: AsyncSession, member: Member, token: str) -> bool:
    """Delete it; False when another request took it first."""
    taken = await session.execute(
        delete(ConsolePendingSignIn).where(
            ConsolePendingSignIn.org_id == member.org_id,
            ConsolePendingSignIn.id == _hash(token),
        )
    )
    return int(taken.rowcount) == 1  # type: ignore[attr-defined]
