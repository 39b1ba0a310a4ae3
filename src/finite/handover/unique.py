"""Writes guarded by a unique index that must not spoil the surrounding transaction."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from finite.models import Base


async def insert_unique(session: AsyncSession, row: Base) -> bool:
    """True when inserted; False when a unique index already holds the value (perhaps from a
    concurrent transaction that just committed). Runs in a savepoint, so the caller's
    transaction stays usable either way."""
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True


async def change_unique(session: AsyncSession, change: Callable[[], None]) -> bool:
    """Apply `change` to loaded rows and flush it in a savepoint; False (and the rows as they
    were) when it breaks a unique index."""
    try:
        async with session.begin_nested():
            change()
    except IntegrityError:
        return False
    return True
