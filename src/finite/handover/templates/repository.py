"""Custom template queries, always within one organization."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from finite.models import HandoverTemplate


async def get(session: AsyncSession, org_id: str, template_id: str) -> HandoverTemplate | None:
    return await session.get(HandoverTemplate, (org_id, template_id))


async def for_type(session: AsyncSession, org_id: str, type_key: str) -> HandoverTemplate | None:
    found = await session.scalars(
        select(HandoverTemplate).where(
            HandoverTemplate.org_id == org_id, HandoverTemplate.project_type_key == type_key
        )
    )
    return found.first()


async def all_of(session: AsyncSession, org_id: str) -> Sequence[HandoverTemplate]:
    found = await session.scalars(
        select(HandoverTemplate)
        .where(HandoverTemplate.org_id == org_id)
        .order_by(HandoverTemplate.id)
    )
    return found.all()


async def count(session: AsyncSession, org_id: str) -> int:
    total = await session.scalar(
        select(func.count()).select_from(HandoverTemplate).where(HandoverTemplate.org_id == org_id)
    )
    return int(total or 0)
