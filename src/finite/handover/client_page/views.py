"""Counting the views of a link: every view adds one in a single UPDATE (concurrent views all
count); the first one, claimed by a conditional UPDATE only one request can win, stamps
`first_viewed_at` and moves the project to `viewed` (its caller records the `pack.viewed`
event)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, update
from sqlalchemy.ext.asyncio import AsyncSession

from finite.handover import project_status
from finite.models import HandoverProject, PackLink

# Built once, their values given at execution: every view runs them.
_THIS_LINK = (PackLink.org_id == bindparam("link_org_id"), PackLink.id == bindparam("link_id"))
_FIRST_VIEW = (
    update(PackLink)
    .where(*_THIS_LINK, PackLink.first_viewed_at.is_(None))
    .values(first_viewed_at=bindparam("now"))
    .execution_options(synchronize_session=False)
)
_ONE_MORE_VIEW = (
    update(PackLink)
    .where(*_THIS_LINK)
    .values(views=PackLink.views + 1)
    .execution_options(synchronize_session=False)
)


async def count_view(session: AsyncSession, link: PackLink, now: datetime) -> bool:
    """True for the link's first view, which moved the project to `viewed`."""
    this_link = {"link_org_id": link.org_id, "link_id": link.id}
    first = await session.execute(_FIRST_VIEW, {**this_link, "now": now})
    await session.execute(_ONE_MORE_VIEW, this_link)
    if first.rowcount != 1:  # type: ignore[attr-defined]
        return False
    project = await session.get(HandoverProject, (link.org_id, link.project_id))
    if project is not None:
        project_status.advance(project, "viewed", now)
    return True
