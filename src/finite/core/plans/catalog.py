"""The plans of both products and what each allows (CRM numbers are the CRM API's own table)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Product = Literal["crm", "handover"]
PRODUCTS: tuple[Product, ...] = ("crm", "handover")
SubscriptionStatus = Literal["trial", "active", "expired", "suspended"]
STATUSES: tuple[SubscriptionStatus, ...] = ("trial", "active", "expired", "suspended")
HandoverApiAccess = Literal["none", "zapier", "full"]


@dataclass(frozen=True, slots=True)
class CrmPlan:
    name: str
    label: str
    requests_per_minute: int
    webhook_endpoints: int


@dataclass(frozen=True, slots=True)
class HandoverPlan:
    name: str
    label: str
    api_access: HandoverApiAccess
    requests_per_minute: int
    webhook_endpoints: int
    active_packs: int | None  # None: unlimited
    branding: bool  # the organization's name, logo and accent on what its clients see


CRM_PLANS: dict[str, CrmPlan] = {
    plan.name: plan
    for plan in (
        CrmPlan("free", "Free", 60, 1),
        CrmPlan("standard", "Standard", 120, 3),
        CrmPlan("professional", "Professional", 240, 10),
        CrmPlan("enterprise", "Enterprise", 480, 25),
        CrmPlan("crm_plus", "CRM Plus", 600, 30),
        CrmPlan("ultimate", "Ultimate", 960, 50),
    )
}
CRM_TRIAL_PLAN = "enterprise"  # "Enterprise (and active trials)"
CRM_FALLBACK_PLAN = "free"  # "Free / expired trial"

HANDOVER_PLANS: dict[str, HandoverPlan] = {
    plan.name: plan
    for plan in (
        HandoverPlan("free", "Free", "none", 60, 0, 3, branding=False),
        HandoverPlan("pro", "Pro", "zapier", 120, 0, None, branding=True),
        HandoverPlan("agency", "Agency", "full", 600, 25, None, branding=True),
    )
}
HANDOVER_FALLBACK_PLAN = "free"


def product_named(value: str) -> Product:
    if value == "crm":
        return "crm"
    if value == "handover":
        return "handover"
    raise ValueError(f"unknown product {value!r}")


def plan_names(product: Product) -> tuple[str, ...]:
    return tuple(CRM_PLANS if product == "crm" else HANDOVER_PLANS)
