"""Client queries, always within one organization."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from finite.models import HandoverClient


async def get(session: AsyncSession, org_id: str, client_id: str) -> HandoverClient | None:
    return await session.get(HandoverClient, (org_id, client_id))


async def by_email(session: AsyncSession, org_id: str, email: str) -> HandoverClient | None:
    found = await session.scalars(
        select(HandoverClient).where(HandoverClient.org_id == org_id, HandoverClient.email == email)
    )
    return found.first()


async def many(
    session: AsyncSession, org_id: str, client_ids: Iterable[str]
) -> dict[str, HandoverClient]:
    wanted = set(client_ids)
    if not wanted:
        return {}
    found = await session.scalars(
        select(HandoverClient).where(HandoverClient.org_id == org_id, HandoverClient.id.in_(wanted))
    )
    return {client.id: client for client in found}


async def newest_first(
    session: AsyncSession, org_id: str, search: str | None, before: str | None, limit: int
) -> Sequence[HandoverClient]:
    query = select(HandoverClient).where(HandoverClient.org_id == org_id)
    if search:
        pattern = f"%{_escape_like(search.lower())}%"
        query = query.where(
            or_(
                HandoverClient.name.ilike(pattern, escape="\\"),
                HandoverClient.email.like(pattern, escape="\\"),
            )
        )
    if before is not None:
        query = query.where(HandoverClient.id < before)
    found = await session.scalars(query.order_by(HandoverClient.id.desc()).limit(limit))
    return found.all()


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
