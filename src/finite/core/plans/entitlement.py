"""What a subscription entitles an organization to right now (trials, expiry, overrides)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from finite.core.plans.catalog import (
    CRM_FALLBACK_PLAN,
    CRM_PLANS,
    CRM_TRIAL_PLAN,
    HANDOVER_FALLBACK_PLAN,
    HANDOVER_PLANS,
    HandoverApiAccess,
    Product,
    product_named,
)
from finite.models import Subscription


@dataclass(frozen=True, slots=True)
class Entitlement:
    product: Product
    plan: str  # the plan the organization subscribed to
    effective_plan: str  # the plan whose limits apply now
    status: str  # trial | active | expired | suspended; a lapsed trial reads as expired
    trial_ends_at: datetime | None
    requests_per_minute: int
    webhook_endpoints: int
    api_access: HandoverApiAccess  # handover only; "full" for the CRM
    active_packs: int | None

    @property
    def suspended(self) -> bool:
        return self.status == "suspended"


def entitlement_of(subscription: Subscription, now: datetime) -> Entitlement:
    return entitlement_for(
        product_named(subscription.product),
        subscription.plan,
        subscription.status,
        subscription.trial_ends_at,
        subscription.rpm_override,
        subscription.webhooks_override,
        now,
    )


def entitlement_for(
    product: Product,
    plan: str,
    status: str,
    trial_ends_at: datetime | None,
    rpm_override: int | None,
    webhooks_override: int | None,
    now: datetime,
) -> Entitlement:
    if status == "trial" and trial_ends_at is not None and trial_ends_at <= now:
        status = "expired"
    if product == "crm":
        effective = {"trial": CRM_TRIAL_PLAN, "expired": CRM_FALLBACK_PLAN}.get(status, plan)
        crm = CRM_PLANS[effective]
        rpm, webhooks, access, packs = crm.requests_per_minute, crm.webhook_endpoints, "full", None
    else:
        effective = HANDOVER_FALLBACK_PLAN if status == "expired" else plan
        handover = HANDOVER_PLANS[effective]
        rpm, webhooks = handover.requests_per_minute, handover.webhook_endpoints
        access, packs = handover.api_access, handover.active_packs
    return Entitlement(
        product=product,
        plan=plan,
        effective_plan=effective,
        status=status,
        trial_ends_at=trial_ends_at,
        requests_per_minute=rpm_override if rpm_override is not None else rpm,
        webhook_endpoints=webhooks_override if webhooks_override is not None else webhooks,
        api_access=access,  # type: ignore[arg-type]
        active_packs=packs,
    )
