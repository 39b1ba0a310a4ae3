"""Project queries, always within one organization."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from finite.models import HandoverProject, Organization
from finite.models.handover import PROJECT_SIGNED_OFF


async def get(session: AsyncSession, org_id: str, project_id: str) -> HandoverProject | None:
    return await session.get(HandoverProject, (org_id, project_id))


async def newest_first(
    session: AsyncSession,
    org_id: str,
    *,
    status: str | None,
    client_id: str | None,
    project_type: str | None,
    before: str | None,
    limit: int,
) -> Sequence[HandoverProject]:
    query = select(HandoverProject).where(HandoverProject.org_id == org_id)
    if status is not None:
        query = query.where(HandoverProject.status == status)
    if client_id is not None:
        query = query.where(HandoverProject.client_id == client_id)
    if project_type is not None:
        query = query.where(func.lower(HandoverProject.project_type) == project_type.lower())
    if before is not None:
        query = query.where(HandoverProject.id < before)
    found = await session.scalars(query.order_by(HandoverProject.id.desc()).limit(limit))
    return found.all()


async def count_active(session: AsyncSession, org_id: str) -> int:
    """Projects whose pack is still active: every one not signed off."""
    total = await session.scalar(
        select(func.count())
        .select_from(HandoverProject)
        .where(HandoverProject.org_id == org_id, HandoverProject.status != PROJECT_SIGNED_OFF)
    )
    return int(total or 0)


async def lock_org(session: AsyncSession, org_id: str) -> None:
    """Serialize project creation per organization, so a pack limit holds under concurrency
    (PostgreSQL row lock; SQLite writers are serialized already)."""
    await session.execute(
        select(Organization.id).where(Organization.id == org_id).with_for_update()
    )
