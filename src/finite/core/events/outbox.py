"""Write a change into the events outbox, inside the transaction that makes the change."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from finite.kit.clock import utcnow
from finite.kit.ids import new_id
from finite.models.events import Event


async def record_event(
    session: AsyncSession,
    *,
    org_id: str,
    product: str,
    event: str,
    module: str,
    record_id: int,
    version: int,
    data: dict[str, Any],
    changed_fields: Sequence[str],
) -> Event:
    row = Event(
        org_id=org_id,
        id=new_id("evt"),
        product=product,
        event=event,
        module=module,
        record_id=record_id,
        version=version,
        occurred_at=utcnow(),
        data=data,
        changed_fields=list(changed_fields),
    )
    session.add(row)
    await session.flush()
    return row
