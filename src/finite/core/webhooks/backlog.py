"""How much waits in the webhook queues, read at every /metrics scrape: each figure is one
walk of a partial index (ix_events_unfanned, ix_webhook_deliveries_due), counts capped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, select

from finite.kit.db_types import UTCDateTime
from finite.kit.fast_read import Source, fetch_all
from finite.models.events import Event
from finite.models.webhooks import DUE_CONDITION, WebhookDelivery

COUNT_CAP = 100_000  # a scrape stays cheap however long the queue grows

_NOW = bindparam("now", type_=UTCDateTime())
_UNFANNED = Event.fanned_out_at.is_(None)
_DUE = (DUE_CONDITION, WebhookDelivery.next_attempt_at <= _NOW)
_BACKLOG = select(
    select(func.count())
    .select_from(select(Event.id).where(_UNFANNED).limit(COUNT_CAP).subquery())
    .scalar_subquery(),
    select(func.min(Event.occurred_at)).where(_UNFANNED).scalar_subquery(),
    select(func.count())
    .select_from(select(WebhookDelivery.id).where(*_DUE).limit(COUNT_CAP).subquery())
    .scalar_subquery(),
    select(func.min(WebhookDelivery.next_attempt_at)).where(*_DUE).scalar_subquery(),
)


@dataclass(frozen=True, slots=True)
class Backlog:
    events: int  # changes not yet turned into deliveries
    oldest_event_seconds: float  # 0 when none wait
    deliveries_due: int  # due now (pending or to retry), in flight included
    oldest_due_seconds: float  # how long the longest-waiting due delivery has been due


async def read_backlog(source: Source, now: datetime) -> Backlog:
    ((events, oldest_event, due, oldest_due),) = await fetch_all(source, _BACKLOG, {"now": now})
    return Backlog(
        events=int(events),
        oldest_event_seconds=_age(now, oldest_event),
        deliveries_due=int(due),
        oldest_due_seconds=_age(now, oldest_due),
    )


def _age(now: datetime, since: datetime | None) -> float:
    return max(0.0, (now - since).total_seconds()) if since is not None else 0.0
