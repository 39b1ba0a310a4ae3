"""Sign-off queries, always within one organization."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from finite.models import Signoff


async def of_project(session: AsyncSession, org_id: str, project_id: str) -> Signoff | None:
    found = await session.scalars(
        select(Signoff).where(Signoff.org_id == org_id, Signoff.project_id == project_id)
    )
    return found.first()


async def newest_first(
    session: AsyncSession, org_id: str, project_id: str | None, before: str | None, limit: int
) -> Sequence[Signoff]:
    query = select(Signoff).where(Signoff.org_id == org_id)
    if project_id is not None:
        query = query.where(Signoff.project_id == project_id)
    if before is not None:
        query = query.where(Signoff.id < before)
    found = await session.scalars(query.order_by(Signoff.id.desc()).limit(limit))
    return found.all()
