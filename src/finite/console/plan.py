"""Plan & usage (/console/plan, any signed-in member): each product's plan, status and trial
end, the rate limit with the requests counted in the current window, webhook endpoints used of
the plan's maximum, and the `limits` object exactly as GET /api/keys (CRM) and GET /api/me
(handover) show it — all read from the services the API uses (plans' entitlement, the
platform's rate limiter, the webhook repository), never a copy of their rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import Response, get

from finite.console import pages
from finite.console.principal import UserDep
from finite.core.accounts import repository as accounts
from finite.core.plans.catalog import (
    CRM_FALLBACK_PLAN,
    CRM_PLANS,
    CRM_TRIAL_PLAN,
    HANDOVER_PLANS,
    PRODUCTS,
    Product,
)
from finite.core.plans.entitlement import Entitlement, entitlement_of
from finite.core.ratelimit.limiter import WindowUsage
from finite.core.webhooks import repository as webhooks
from finite.crm.schemas import limits_out as crm_limits_out
from finite.handover.schemas import limits_out as handover_limits_out
from finite.kit.clock import utcnow
from finite.platform.http import AnyRequest
from finite.platform.state import platform_of

PRODUCT_LABELS: dict[Product, str] = {"crm": "CRM", "handover": "Handover (Finalizo)"}
# The CRM seed's plan table names two rows by what else they apply to.
_CRM_ROW_NOTES = {
    CRM_FALLBACK_PLAN: "Free / expired trial",
    CRM_TRIAL_PLAN: "Enterprise (and active trials)",
}
_LIMITS_JSON = msgspec.json.Encoder()


@dataclass(frozen=True, slots=True)
class PlanRow:
    name: str
    label: str
    requests_per_minute: int
    webhook_endpoints: int
    extra: str  # handover: API access and active packs


@dataclass(frozen=True, slots=True)
class ProductUsage:
    product: Product
    label: str
    entitlement: Entitlement | None  # None: the organization has no subscription for it
    usage: WindowUsage | None
    webhooks_used: int
    limits_json: str  # the API's `limits` object
    plans: tuple[PlanRow, ...]


def plan_table(product: Product) -> tuple[PlanRow, ...]:
    if product == "crm":
        return tuple(
            PlanRow(
                plan.name,
                _CRM_ROW_NOTES.get(plan.name, plan.label),
                plan.requests_per_minute,
                plan.webhook_endpoints,
                "",
            )
            for plan in CRM_PLANS.values()
        )
    return tuple(
        PlanRow(
            plan.name,
            plan.label,
            plan.requests_per_minute,
            plan.webhook_endpoints,
            f"API: {plan.api_access}; active packs: "
            f"{'unlimited' if plan.active_packs is None else plan.active_packs}",
        )
        for plan in HANDOVER_PLANS.values()
    )


def _limits_json(product: Product, entitlement: Entitlement, usage: WindowUsage, used: int) -> str:
    limits: Any = (
        crm_limits_out(entitlement, usage.decision, used)
        if product == "crm"
        else handover_limits_out(entitlement, usage.decision, used)
    )
    return msgspec.json.format(_LIMITS_JSON.encode(limits), indent=2).decode()


@get("/plan")
async def plan_page(request: AnyRequest, user: UserDep) -> Response[str]:
    platform = platform_of(request)
    now = utcnow()
    found: list[tuple[Product, Entitlement | None, int]] = []
    async with platform.db.read() as session:
        for product in PRODUCTS:
            subscription = await accounts.subscription(session, user.org_id, product)
            entitlement = entitlement_of(subscription, now) if subscription else None
            used = await webhooks.count_endpoints(session, user.org_id, product)
            found.append((product, entitlement, used))
    products: list[ProductUsage] = []
    for product, entitlement, used in found:
        usage = None
        limits = ""
        if entitlement is not None:
            usage = await platform.limiter.usage(
                user.org_id, product, entitlement.requests_per_minute
            )
            limits = _limits_json(product, entitlement, usage, used)
        products.append(
            ProductUsage(
                product,
                PRODUCT_LABELS[product],
                entitlement,
                usage,
                used,
                limits,
                plan_table(product),
            )
        )
    return pages.render(
        request,
        user,
        "plan.html",
        products=products,
        shared_limiter=platform.redis is not None,
        window_seconds=platform.limiter.window_seconds,
    )
