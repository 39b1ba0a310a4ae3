"""Every query on endpoints, deliveries and attempts, always scoped by organization."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from finite.models import Subscription
from finite.models.webhooks import WEBHOOK, WebhookAttempt, WebhookDelivery, WebhookEndpoint


async def lock_subscription(session: AsyncSession, org_id: str, product: str) -> None:
    """Serializes endpoint creation per organization, so two requests cannot pass the cap."""
    await session.execute(
        select(Subscription.org_id)
        .where(Subscription.org_id == org_id, Subscription.product == product)
        .with_for_update()
    )


async def count_endpoints(
    session: AsyncSession, org_id: str, product: str, kind: str = WEBHOOK
) -> int:
    found = await session.scalar(
        select(func.count())
        .select_from(WebhookEndpoint)
        .where(
            WebhookEndpoint.org_id == org_id,
            WebhookEndpoint.product == product,
            WebhookEndpoint.kind == kind,
        )
    )
    return int(found or 0)


async def list_endpoints(
    session: AsyncSession, org_id: str, product: str, kind: str = WEBHOOK
) -> Sequence[WebhookEndpoint]:
    return (
        await session.scalars(
            select(WebhookEndpoint)
            .where(
                WebhookEndpoint.org_id == org_id,
                WebhookEndpoint.product == product,
                WebhookEndpoint.kind == kind,
            )
            .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
        )
    ).all()


async def get_endpoint(
    session: AsyncSession,
    org_id: str,
    product: str,
    endpoint_id: str,
    *,
    lock: bool = False,
    kind: str = WEBHOOK,
) -> WebhookEndpoint | None:
    query = select(WebhookEndpoint).where(
        WebhookEndpoint.org_id == org_id,
        WebhookEndpoint.id == endpoint_id,
        WebhookEndpoint.product == product,
        WebhookEndpoint.kind == kind,
    )
    if lock:
        query = query.with_for_update()
    return (await session.scalars(query)).first()


async def get_delivery(
    session: AsyncSession, org_id: str, endpoint_id: str, delivery_id: str, *, lock: bool = False
) -> WebhookDelivery | None:
    query = select(WebhookDelivery).where(
        WebhookDelivery.org_id == org_id,
        WebhookDelivery.id == delivery_id,
        WebhookDelivery.endpoint_id == endpoint_id,
    )
    if lock:
        query = query.with_for_update()
    return (await session.scalars(query)).first()


async def page_deliveries(
    session: AsyncSession,
    org_id: str,
    endpoint_id: str,
    *,
    limit: int,
    before_id: str | None,
    status: str | None,
) -> Sequence[WebhookDelivery]:
    """Newest first: delivery ids are time-ordered, so the id is the cursor."""
    query = select(WebhookDelivery).where(
        WebhookDelivery.org_id == org_id, WebhookDelivery.endpoint_id == endpoint_id
    )
    if before_id is not None:
        query = query.where(WebhookDelivery.id < before_id)
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    return (await session.scalars(query.order_by(WebhookDelivery.id.desc()).limit(limit))).all()


async def attempts_of(
    session: AsyncSession, org_id: str, delivery_ids: Sequence[str]
) -> dict[str, list[WebhookAttempt]]:
    found: dict[str, list[WebhookAttempt]] = defaultdict(list)
    if not delivery_ids:
        return found
    rows = await session.scalars(
        select(WebhookAttempt)
        .where(WebhookAttempt.org_id == org_id, WebhookAttempt.delivery_id.in_(delivery_ids))
        .order_by(WebhookAttempt.delivery_id, WebhookAttempt.number, WebhookAttempt.id)
    )
    for row in rows:
        found[row.delivery_id].append(row)
    return found


async def requeue_since(
    session: AsyncSession, org_id: str, endpoint_id: str, since: datetime, now: datetime
) -> int:
    result = await session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.org_id == org_id,
            WebhookDelivery.endpoint_id == endpoint_id,
            WebhookDelivery.status.in_(("failed", "dead")),
            WebhookDelivery.created_at >= since,
        )
        .values(status="pending", next_attempt_at=now, attempts_in_round=0)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
