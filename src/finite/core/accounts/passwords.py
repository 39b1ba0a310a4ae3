"""Members' console passwords: argon2id hashes only (argon2-cffi, RFC 9106's low-memory
profile), checked off the event loop, with a dummy hash to check against when no account
matches, so a wrong email costs the same time as a wrong password.

Setting a password ends every console session of the member: whoever knew the old one is out.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from functools import cache

from anyio import to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from finite.kit.errors import invalid_field
from finite.models import ConsoleSession, MemberCredential

MIN_LENGTH = 12
MAX_LENGTH = 1024  # argon2 takes any length; a megabyte of "password" is an attack, not one


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@cache
def _dummy_hash() -> str:
    return _hasher().hash(secrets.token_urlsafe(16))


def check_strength(password: str, field: str = "password") -> None:
    """NIST SP 800-63B: length, not composition rules."""
    if len(password) < MIN_LENGTH:
        raise invalid_field(field, f"must be at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise invalid_field(field, f"must be at most {MAX_LENGTH} characters")


def generate_password() -> str:
    """A password for a person to copy: 24 characters, 144 random bits."""
    return secrets.token_urlsafe(18)


async def hash_password(password: str) -> str:
    return await to_thread.run_sync(_hasher().hash, password)


async def password_matches(stored_hash: str | None, password: str) -> bool:
    """With no stored hash (no such account) the dummy is checked, and the answer is False."""

    def check() -> bool:
        try:
            matched = _hasher().verify(stored_hash or _dummy_hash(), password)
        except (VerificationError, InvalidHashError):
            return False
        return matched and stored_hash is not None

    return await to_thread.run_sync(check)


async def set_password(
    session: AsyncSession, org_id: str, member_id: str, password: str, now: datetime
) -> None:
    """Within the caller's transaction: store the new hash, end the member's sessions."""
    check_strength(password)
    hashed = await hash_password(password)
    found = await session.get(MemberCredential, (org_id, member_id))
    if found is None:
        session.add(
            MemberCredential(
                org_id=org_id, member_id=member_id, password_hash=hashed, changed_at=now
            )
        )
    else:
        found.password_hash, found.changed_at = hashed, now
    await session.execute(
        delete(ConsoleSession).where(
            ConsoleSession.org_id == org_id, ConsoleSession.member_id == member_id
        )
    )
    await session.flush()


async def has_password(session: AsyncSession, org_id: str, member_id: str) -> bool:
    query = select(MemberCredential.member_id).where(
        MemberCredential.org_id == org_id, MemberCredential.member_id == member_id
    )
    return (await session.scalar(query)) is not None
