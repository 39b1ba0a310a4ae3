"""Counting the views of a link: every view adds one in a single UPDATE (concurrent views all
count); the first one, claimed by a conditional UPDATE only one request can win, stamps
`first_viewed_at` and moves the project to `viewed` (its caller records the `pack.viewed`
event)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from finite.handover import project_status
from finite.models import HandoverProject, PackLink


async def count_view(session: AsyncSession, link: PackLink, now: datetime) -> bool:
    """True for the link's first view, which moved the project to `viewed`."""
    where = (PackLink.org_id == link.org_id, PackLink.id == link.id)
    first = await session.execute(
        update(PackLink)
        .where(*where, PackLink.first_viewed_at.is_(None))
        .values(first_viewed_at=now)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(PackLink)
        .where(*where)
        .values(views=PackLink.views + 1)
        .execution_options(synchronize_session=False)
    )
    if first.rowcount != 1:  # type: ignore[attr-defined]
        return False
    project = await session.get(HandoverProject, (link.org_id, link.project_id))
    if project is not None:
        project_status.advance(project, "viewed", now)
    return True
