"""Zapier's triggers and the handover events they stand for, and the polling read of the event
log: newest first, at most 100 items, each the event's own id (stable, unique)."""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from finite.handover.events import HandoverEvent, zapier_item
from finite.models.events import Event

# Trigger key (the path's last part, and a REST hook's `event`) → event type.
TRIGGERS: Final[dict[str, HandoverEvent]] = {
    "pack-sent": "pack.sent",
    "pack-viewed": "pack.viewed",
    "client-signed-off": "signoff.completed",
}
MAX_ITEMS: Final = 100
MAX_PAGE: Final = 99  # with 100 a page: the newest 10,000 events of a type
# Literal, so the partial index ix_events_handover_log (product = 'handover') serves every plan.
_HANDOVER_ONLY = text("events.product = 'handover'")


async def newest_items(
    session: AsyncSession, org_id: str, trigger: str, *, limit: int, page: int = 0
) -> list[dict[str, Any]]:
    """The trigger's events of the organization, newest first (ids are time-ordered ULIDs)."""
    rows = await session.scalars(
        select(Event)
        .where(Event.org_id == org_id, _HANDOVER_ONLY, Event.event == TRIGGERS[trigger])
        .order_by(Event.id.desc())
        .limit(limit)
        .offset(page * limit)
    )
    return [zapier_item(event) for event in rows]
