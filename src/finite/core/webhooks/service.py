"""Webhook endpoint rules for any product; the surfaces check their own module and event names.

Nothing here commits: the caller's transaction holds the change and its audit row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.plans.entitlement import Entitlement
from finite.core.wakes import Wake, wake_after_commit
from finite.core.webhooks import repository
from finite.core.webhooks.payloads import ping_body
from finite.core.webhooks.secrets import binding, seal_previous, seal_secret
from finite.core.webhooks.sender import refusal_message
from finite.core.webhooks.signing import new_signing_secret
from finite.kit.errors import conflict, invalid_field, not_found, plan_limit
from finite.kit.ids import new_id
from finite.kit.secretbox import SecretBox
from finite.kit.ssrf import Resolver, UnsafeTarget, validate_url
from finite.models.webhooks import (
    REST_HOOK,
    WEBHOOK,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)

ROTATION_OVERLAP = timedelta(hours=24)
_NOUNS = {WEBHOOK: "webhook endpoint", REST_HOOK: "REST hook subscription"}


@dataclass(frozen=True, slots=True)
class TargetPolicy:
    allow_private: bool
    resolver: Resolver | None = None


@dataclass(frozen=True, slots=True)
class NewEndpoint:
    url: str
    modules: list[str]
    events: list[str]
    description: str


@dataclass(frozen=True, slots=True)
class EndpointChange:
    """A PATCH's checked values; None: not sent."""

    url: str | None
    modules: list[str] | None
    events: list[str] | None
    description: str | None
    enabled: bool | None


@dataclass(frozen=True, slots=True)
class CreatedEndpoint:
    endpoint: WebhookEndpoint
    secret: str  # shown once


@dataclass(frozen=True, slots=True)
class DeliveryWithAttempts:
    delivery: WebhookDelivery
    attempts: list[WebhookAttempt]


async def checked_url(url: str, policy: TargetPolicy, field: str = "url") -> str:
    """The SSRF checklist at creation: 400 naming the `field` and the reason."""
    try:
        target = await validate_url(
            url, allow_private=policy.allow_private, resolver=policy.resolver
        )
    except UnsafeTarget as refused:
        raise invalid_field(field, refusal_message(refused)) from None
    return target.url


async def create_endpoint(
    session: AsyncSession,
    box: SecretBox,
    *,
    org_id: str,
    entitlement: Entitlement,
    new: NewEndpoint,
    now: datetime,
    kind: str = WEBHOOK,
    allowed: int | None = None,
) -> CreatedEndpoint:
    """`new.url` must have passed `checked_url` already, before the transaction began: a DNS
    lookup never runs while a write lock is held. At most `allowed` endpoints of this `kind`
    (by default the plan's number of webhooks)."""
    await repository.lock_subscription(session, org_id, entitlement.product)
    used = await repository.count_endpoints(session, org_id, entitlement.product, kind)
    if allowed is None:
        allowed = entitlement.webhook_endpoints
    if used >= allowed:
        noun = _NOUNS.get(kind, kind) + ("" if allowed == 1 else "s")
        in_use = "1 is" if used == 1 else f"{used} are"
        raise plan_limit(
            f"The {entitlement.effective_plan} plan allows {allowed} {noun} and "
            f"{in_use} in use; delete one or upgrade the plan."
        )
    secret = new_signing_secret()
    endpoint = WebhookEndpoint(
        org_id=org_id,
        id=new_id("wh"),
        product=entitlement.product,
        url=new.url,
        description=new.description,
        modules=new.modules,
        events=new.events,
        secret_sealed=b"",
        status="active",
        kind=kind,
        created_at=now,
        updated_at=now,
    )
    endpoint.secret_sealed = seal_secret(box, endpoint, secret)
    session.add(endpoint)
    await session.flush()
    return CreatedEndpoint(endpoint, secret)


async def endpoint_or_404(
    session: AsyncSession,
    org_id: str,
    product: str,
    endpoint_id: str,
    *,
    lock: bool = False,
    kind: str = WEBHOOK,
) -> WebhookEndpoint:
    endpoint = await repository.get_endpoint(
        session, org_id, product, endpoint_id, lock=lock, kind=kind
    )
    if endpoint is None:
        raise not_found("No webhook with this id." if kind == WEBHOOK else "No hook with this id.")
    return endpoint


def apply_change(endpoint: WebhookEndpoint, change: EndpointChange, now: datetime) -> None:
    """Only the fields sent change."""
    if change.url is not None:
        endpoint.url = change.url
    if change.modules is not None:
        endpoint.modules = change.modules
    if change.events is not None:
        endpoint.events = change.events
    if change.description is not None:
        endpoint.description = change.description
    if change.enabled is not None:
        set_enabled(endpoint, change.enabled, now)
    endpoint.updated_at = now


def set_enabled(endpoint: WebhookEndpoint, enabled: bool, now: datetime) -> None:
    if enabled and endpoint.status != "active":
        endpoint.status = "active"
        endpoint.disabled_at = None
        endpoint.disabled_reason = None
        endpoint.failing_since = None
    elif not enabled and endpoint.status == "active":
        endpoint.status = "disabled"
        endpoint.disabled_at = now
        endpoint.disabled_reason = "Disabled by an administrator."


def rotate_secret(box: SecretBox, endpoint: WebhookEndpoint, now: datetime) -> str:
    """A new secret; the old one keeps signing beside it for 24 hours."""
    old = box.open(endpoint.secret_sealed, binding(endpoint.org_id, endpoint.id, "secret"))
    secret = new_signing_secret()
    endpoint.secret_sealed = seal_secret(box, endpoint, secret)
    endpoint.previous_secret_sealed = seal_previous(box, endpoint, old)
    endpoint.previous_secret_expires_at = now + ROTATION_OVERLAP
    endpoint.updated_at = now
    return secret


async def queue_ping(
    session: AsyncSession, endpoint: WebhookEndpoint, now: datetime
) -> WebhookDelivery:
    if endpoint.status != "active":
        raise conflict("The webhook is disabled; enable it before sending a test event.")
    delivery_id = new_id("dlv")
    delivery = WebhookDelivery(
        org_id=endpoint.org_id,
        id=delivery_id,
        endpoint_id=endpoint.id,
        event_id=None,
        event="ping",
        module=None,
        subject_id=None,
        payload=ping_body(endpoint.product, endpoint.id, delivery_id, now).decode(),
        status="pending",
        attempts_in_round=0,
        attempt_total=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(delivery)
    await session.flush()
    wake_after_commit(session, Wake.DELIVERIES)
    return delivery


async def redeliver(
    session: AsyncSession, endpoint: WebhookEndpoint, delivery_id: str, now: datetime
) -> WebhookDelivery:
    delivery = await repository.get_delivery(
        session, endpoint.org_id, endpoint.id, delivery_id, lock=True
    )
    if delivery is None:
        raise not_found("No delivery with this id for this webhook.")
    if endpoint.status != "active":
        raise conflict("The webhook is disabled; enable it before redelivering.")
    if delivery.lease_until is not None and delivery.lease_until > now:
        raise conflict("This delivery is being attempted right now; try again in a moment.")
    delivery.status = "pending"
    delivery.next_attempt_at = now
    delivery.attempts_in_round = 0
    wake_after_commit(session, Wake.DELIVERIES)
    return delivery


async def recover(
    session: AsyncSession, endpoint: WebhookEndpoint, since: datetime, now: datetime
) -> int:
    if endpoint.status != "active":
        raise conflict("The webhook is disabled; enable it before recovering deliveries.")
    if since > now:
        raise invalid_field("since", "must not be in the future")
    wake_after_commit(session, Wake.DELIVERIES)
    return await repository.requeue_since(session, endpoint.org_id, endpoint.id, since, now)


async def delivery_page(
    session: AsyncSession,
    endpoint: WebhookEndpoint,
    *,
    limit: int,
    before_id: str | None,
    status: str | None,
) -> list[DeliveryWithAttempts]:
    deliveries = await repository.page_deliveries(
        session, endpoint.org_id, endpoint.id, limit=limit, before_id=before_id, status=status
    )
    attempts = await repository.attempts_of(session, endpoint.org_id, [d.id for d in deliveries])
    return [DeliveryWithAttempts(d, attempts.get(d.id, [])) for d in deliveries]


def check_description(value: str) -> str:
    """Free text, may be empty; no control characters but line breaks and tabs."""
    cleaned = value.strip()
    if any(ord(char) < 32 and char not in "\n\r\t" for char in cleaned):
        raise invalid_field("description", "must not contain control characters")
    return cleaned


def check_choices(field: str, chosen: Sequence[str], allowed: Sequence[str]) -> list[str]:
    """`"*"` or a non-empty list of known names, deduplicated in the given order."""
    if list(chosen) == ["*"]:
        return ["*"]
    if not chosen:
        raise invalid_field(field, 'must be "*" or a non-empty list')
    unknown = ", ".join(repr(name) for name in dict.fromkeys(chosen) if name not in allowed)
    if unknown:
        raise invalid_field(field, f'unknown {unknown}; choose from {", ".join(allowed)} or "*"')
    return list(dict.fromkeys(chosen))
