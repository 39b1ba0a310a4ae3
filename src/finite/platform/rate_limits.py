"""Apply the caller's plan limit to a request and put the headers on whatever answer it gets."""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

from finite.core.auth.principal import Principal
from finite.core.metrics import metrics
from finite.core.ratelimit.headers import rate_limit_headers
from finite.core.ratelimit.limiter import RateDecision
from finite.kit.errors import AppError
from finite.platform.http import AnyRequest
from finite.platform.state import platform_of

_STATE_KEY = "finite_rate_limit"


async def enforce_rate_limit(request: AnyRequest, principal: Principal) -> RateDecision:
    limiter = platform_of(request).limiter
    entitlement = principal.entitlement
    decision = await limiter.hit(
        principal.org_id,
        principal.product,
        entitlement.requests_per_minute,
        entitlement.effective_plan,
    )
    request.scope["state"][_STATE_KEY] = decision
    if decision.unavailable:
        _rejected(principal.product, "unavailable")
        # Redis is down and this plan fails closed (FINITE_RATE_LIMIT_FAIL_CLOSED): an outage,
        # not the caller's excess. Retry-After comes with the rate-limit headers.
        raise AppError(
            503,
            "UNAVAILABLE",
            "Rate limiting is temporarily unavailable; "
            f"retry after {decision.reset_after} seconds.",
        )
    if not decision.allowed:
        _rejected(principal.product, "limit")
        raise AppError(
            429,
            "RATE_LIMITED",
            f"Rate limit of {decision.limit} requests per minute reached; "
            f"retry after {decision.reset_after} seconds.",
        )
    return decision


def _rejected(product: str, reason: str) -> None:
    metrics().rate_limit_rejections.labels(product, reason).inc()


def decision_of(scope: Scope) -> RateDecision | None:
    decision = scope.get("state", {}).get(_STATE_KEY)
    return decision if isinstance(decision, RateDecision) else None


async def add_rate_limit_headers(message: Message, scope: Scope) -> None:
    """A before_send hook: success and error answers alike carry the headers."""
    if message["type"] != "http.response.start":
        return
    decision = decision_of(scope)
    if decision is not None:
        headers = MutableScopeHeaders.from_message(message)
        for name, value in rate_limit_headers(decision).items():
            headers[name] = value
