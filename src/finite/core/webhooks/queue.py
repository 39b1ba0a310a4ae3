"""The delivery queue in the database: claim due deliveries under a lease, record outcomes.

A claim sets ``lease_until``; a worker that dies leaves its claims to expire and another worker
takes them again (at least once, never lost). ``FOR UPDATE SKIP LOCKED`` lets workers on
PostgreSQL claim side by side; on SQLite the write transaction serializes claims.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, bindparam, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.webhooks.schedule import next_attempt_at, parse_retry_after
from finite.core.webhooks.secrets import endpoint_secrets
from finite.core.webhooks.sender import Outcome, Outgoing
from finite.kit.db_types import UTCDateTime
from finite.kit.fast_read import Source, fetch_all
from finite.kit.ids import new_id
from finite.kit.secretbox import SecretBox
from finite.models.events import Event
from finite.models.webhooks import (
    DUE_CONDITION,
    DUE_STATUSES,
    REST_HOOK,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)

LEASE = timedelta(seconds=60)  # well beyond the 15 s a delivery may take
HEALTH_REFRESH = timedelta(seconds=10)
DISABLED_ENDPOINT = "The endpoint is disabled; recover these deliveries after enabling it."
GONE = "Disabled: the endpoint answered 410 Gone."


@dataclass(frozen=True, slots=True)
class Claimed:
    outgoing: Outgoing
    attempt_number: int
    attempts_in_round: int


@dataclass(frozen=True, slots=True)
class Waiting:
    events: bool  # events not yet fanned out
    deliveries: bool  # deliveries due now and not leased


_NOW = bindparam("now", type_=UTCDateTime())
# Built once: an idle worker asks it ten times a second.
_WORK_WAITING = select(
    select(Event.id).where(Event.fanned_out_at.is_(None)).exists(),
    select(WebhookDelivery.id)
    .where(
        DUE_CONDITION,
        WebhookDelivery.next_attempt_at <= _NOW,
        or_(WebhookDelivery.lease_until.is_(None), WebhookDelivery.lease_until < _NOW),
    )
    .exists(),
)


async def work_waiting(source: Source, now: datetime) -> Waiting:
    """Whether a poll would find anything, in one read (no transaction, no row locks): an idle
    worker asks this instead of opening two write transactions each time."""
    ((events, deliveries),) = await fetch_all(source, _WORK_WAITING, {"now": now})
    return Waiting(bool(events), bool(deliveries))


async def claim(
    session: AsyncSession,
    box: SecretBox,
    *,
    worker_id: str,
    now: datetime,
    limit: int,
    skip_endpoints: Collection[str] = (),
    lease: timedelta = LEASE,
    room: Callable[[str], int] | None = None,
) -> list[Claimed]:
    """Lease up to `limit` due deliveries. `room(endpoint_id)` caps how many one endpoint may
    take; rows beyond it stay unleased (their row locks end with the transaction)."""
    query = (
        select(WebhookDelivery)
        .where(
            DUE_CONDITION,
            WebhookDelivery.next_attempt_at <= now,
            or_(WebhookDelivery.lease_until.is_(None), WebhookDelivery.lease_until < now),
        )
        .order_by(WebhookDelivery.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if skip_endpoints:
        query = query.where(WebhookDelivery.endpoint_id.not_in(list(skip_endpoints)))
    deliveries = (await session.scalars(query)).all()
    if not deliveries:
        return []
    endpoints = await _endpoints_of(session, deliveries)
    claimed: list[Claimed] = []
    dead: list[WebhookDelivery] = []
    taken: Counter[str] = Counter()
    for delivery in deliveries:
        endpoint = endpoints.get((delivery.org_id, delivery.endpoint_id))
        if endpoint is None or endpoint.status != "active":
            dead.append(delivery)
            continue
        if room is not None and taken[delivery.endpoint_id] >= room(delivery.endpoint_id):
            continue
        taken[delivery.endpoint_id] += 1
        claimed.append(
            Claimed(
                Outgoing(
                    org_id=delivery.org_id,
                    delivery_id=delivery.id,
                    endpoint_id=delivery.endpoint_id,
                    url=endpoint.url,
                    event=delivery.event,
                    payload=delivery.payload.encode(),
                    secrets=endpoint_secrets(box, endpoint, now),
                ),
                attempt_number=delivery.attempt_total + 1,
                attempts_in_round=delivery.attempts_in_round,
            )
        )
    by_org: dict[str, list[str]] = defaultdict(list)
    for item in claimed:
        by_org[item.outgoing.org_id].append(item.outgoing.delivery_id)
    for org_id, ids in by_org.items():  # one statement per organization, not one per row
        await session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.org_id == org_id, WebhookDelivery.id.in_(ids))
            .values(lease_until=now + lease, leased_by=worker_id)
            .execution_options(synchronize_session=False)
        )
    if dead:
        await session.execute(
            update(WebhookDelivery),
            [
                {
                    "org_id": d.org_id,
                    "id": d.id,
                    "status": "dead",
                    "next_attempt_at": None,
                    "last_error": DISABLED_ENDPOINT,
                }
                for d in dead
            ],
        )
    return claimed


async def _endpoints_of(
    session: AsyncSession, deliveries: Sequence[WebhookDelivery]
) -> dict[tuple[str, str], WebhookEndpoint]:
    by_org: dict[str, set[str]] = defaultdict(set)
    for delivery in deliveries:
        by_org[delivery.org_id].add(delivery.endpoint_id)
    condition = or_(
        *(
            and_(WebhookEndpoint.org_id == org_id, WebhookEndpoint.id.in_(ids))
            for org_id, ids in by_org.items()
        )
    )
    rows = (await session.scalars(select(WebhookEndpoint).where(condition))).all()
    return {(row.org_id, row.id): row for row in rows}


async def _lock_endpoints(
    session: AsyncSession, keys: set[tuple[str, str]]
) -> set[tuple[str, str]]:
    """The endpoints that still exist, held (FOR KEY SHARE on PostgreSQL) so that none can be
    deleted, with its deliveries, before this transaction ends; other updates are not blocked."""
    if not keys:
        return set()
    by_org: dict[str, list[str]] = defaultdict(list)
    for org_id, endpoint_id in sorted(keys):
        by_org[org_id].append(endpoint_id)
    condition = or_(
        *(
            and_(WebhookEndpoint.org_id == org_id, WebhookEndpoint.id.in_(ids))
            for org_id, ids in by_org.items()
        )
    )
    rows = await session.execute(
        select(WebhookEndpoint.org_id, WebhookEndpoint.id)
        .where(condition)
        .order_by(WebhookEndpoint.org_id, WebhookEndpoint.id)
        .with_for_update(read=True, key_share=True)
    )
    return {(org_id, endpoint_id) for org_id, endpoint_id in rows}


async def record(
    session: AsyncSession,
    results: Sequence[tuple[Claimed, Outcome]],
    *,
    now: datetime,
    disable_after: timedelta,
) -> Counter[str]:
    """Store the attempts, move each delivery on, and keep each endpoint's health. Returns
    how many deliveries each new status (succeeded, failed, dead) got.

    An endpoint deleted while its deliveries were in flight took them with it: their outcomes
    are dropped, and the rest of the batch is recorded.
    """
    live = await _lock_endpoints(
        session, {(c.outgoing.org_id, c.outgoing.endpoint_id) for c, _ in results}
    )
    results = [r for r in results if (r[0].outgoing.org_id, r[0].outgoing.endpoint_id) in live]
    statuses: Counter[str] = Counter()
    if not results:
        return statuses
    attempts = []
    deliveries = []
    healthy: dict[tuple[str, str], datetime] = {}
    failing: set[tuple[str, str]] = set()
    gone: set[tuple[str, str]] = set()
    for claimed, outcome in results:
        out = claimed.outgoing
        endpoint_key = (out.org_id, out.endpoint_id)
        attempts.append(
            {
                "org_id": out.org_id,
                "delivery_id": out.delivery_id,
                "id": new_id("att"),
                "number": claimed.attempt_number,
                "attempted_at": outcome.attempted_at,
                "status_code": outcome.status_code,
                "latency_ms": outcome.latency_ms,
                "error": outcome.error,
                "response_body": outcome.response_body,
            }
        )
        in_round = claimed.attempts_in_round + 1
        if outcome.succeeded:
            status, next_at = "succeeded", None
            healthy[endpoint_key] = max(
                outcome.attempted_at, healthy.get(endpoint_key, outcome.attempted_at)
            )
        else:
            failing.add(endpoint_key)
            if outcome.gone:
                gone.add(endpoint_key)
                next_at = None
            else:
                retry_after = None
                if outcome.status_code in (429, 503):
                    retry_after = parse_retry_after(outcome.retry_after, outcome.attempted_at)
                next_at = next_attempt_at(in_round, outcome.attempted_at, retry_after)
            status = "failed" if next_at is not None else "dead"
        statuses[status] += 1
        deliveries.append(
            {
                "org_id": out.org_id,
                "id": out.delivery_id,
                "status": status,
                "next_attempt_at": next_at,
                "attempts_in_round": in_round,
                "attempt_total": claimed.attempt_number,
                "lease_until": None,
                "leased_by": None,
                "last_status_code": outcome.status_code,
                "last_error": outcome.error,
                "last_attempt_at": outcome.attempted_at,
            }
        )
    await session.execute(insert(WebhookAttempt), attempts)
    await session.execute(update(WebhookDelivery), deliveries)
    await _endpoint_health(session, healthy, failing - healthy.keys(), gone, now, disable_after)
    return statuses


async def _endpoint_health(
    session: AsyncSession,
    healthy: dict[tuple[str, str], datetime],
    failing: set[tuple[str, str]],
    gone: set[tuple[str, str]],
    now: datetime,
    disable_after: timedelta,
) -> None:
    # One pass in key order, so workers lock endpoint rows in one order (no deadlocks);
    # conditional, so a healthy endpoint's row is written at most every HEALTH_REFRESH, not on
    # every delivery.
    for org_id, endpoint_id in sorted(healthy.keys() | failing | gone):
        key = (org_id, endpoint_id)
        mine = and_(WebhookEndpoint.org_id == org_id, WebhookEndpoint.id == endpoint_id)
        if key in healthy:
            succeeded_at = healthy[key]
            await session.execute(
                update(WebhookEndpoint)
                .where(
                    mine,
                    or_(
                        WebhookEndpoint.failing_since.is_not(None),
                        WebhookEndpoint.last_success_at.is_(None),
                        WebhookEndpoint.last_success_at < succeeded_at - HEALTH_REFRESH,
                    ),
                )
                .values(failing_since=None, last_success_at=succeeded_at)
            )
        disabled = False
        if key in gone:
            disabled |= await _disable(session, mine, now, GONE)
        if key in failing:
            await session.execute(
                update(WebhookEndpoint)
                .where(mine, WebhookEndpoint.failing_since.is_(None))
                .values(failing_since=now)
            )
            disabled |= await _disable(
                session,
                and_(mine, WebhookEndpoint.failing_since <= now - disable_after),
                now,
                f"Disabled automatically: every delivery failed for more than "
                f"{_duration(disable_after)} without a success.",
            )
        if disabled:
            await _kill_queue(session, org_id, endpoint_id, now)


async def _disable(
    session: AsyncSession, which: ColumnElement[bool], now: datetime, reason: str
) -> bool:
    """Disable the endpoint if it is active and matches; True when it was."""
    result = await session.execute(
        update(WebhookEndpoint)
        .where(which, WebhookEndpoint.status == "active")
        .values(status="disabled", disabled_at=now, updated_at=now, disabled_reason=reason)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def _kill_queue(session: AsyncSession, org_id: str, endpoint_id: str, now: datetime) -> None:
    """A disabled endpoint's waiting deliveries are dead at once (recover them after enabling
    it). Those in flight elsewhere are recorded as they end, then dead at their next claim."""
    await session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.org_id == org_id,
            WebhookDelivery.endpoint_id == endpoint_id,
            WebhookDelivery.status.in_(DUE_STATUSES),
            or_(WebhookDelivery.lease_until.is_(None), WebhookDelivery.lease_until < now),
        )
        .values(status="dead", next_attempt_at=None, last_error=DISABLED_ENDPOINT)
        .execution_options(synchronize_session=False)
    )


def _duration(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    if hours >= 24 and hours % 24 == 0:
        return f"{int(hours // 24)} days"
    return f"{hours:g} hours"


async def remove_gone_rest_hooks(session: AsyncSession) -> int:
    """REST hook subscriptions whose target answered 410 are gone for good (Zapier's way of
    unsubscribing): deleted, with their deliveries and attempts. `record` only disables them:
    it holds its endpoints' key-share locks, and two workers deleting the same endpoint there
    would deadlock; this runs in a transaction of its own after it."""
    result = await session.execute(
        delete(WebhookEndpoint)
        .where(
            WebhookEndpoint.kind == REST_HOOK,
            WebhookEndpoint.status == "disabled",
            WebhookEndpoint.disabled_reason == GONE,
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def release(session: AsyncSession, claimed: Sequence[Claimed]) -> None:
    """Give back claims that were not attempted (shutdown), so another worker takes them now."""
    if claimed:
        await session.execute(
            update(WebhookDelivery),
            [
                {
                    "org_id": c.outgoing.org_id,
                    "id": c.outgoing.delivery_id,
                    "lease_until": None,
                    "leased_by": None,
                }
                for c in claimed
            ],
        )
