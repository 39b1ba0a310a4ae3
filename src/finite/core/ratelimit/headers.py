"""Rate-limit response headers: the IETF draft pair and the widespread X-RateLimit-* trio."""

from __future__ import annotations

from finite.core.ratelimit.limiter import RateDecision


def rate_limit_headers(decision: RateDecision) -> dict[str, str]:
    headers = {
        "RateLimit-Policy": f'"default";q={decision.limit};w={decision.window}',
        "RateLimit": f'"default";r={decision.remaining};t={decision.reset_after}',
        "X-RateLimit-Limit": str(decision.limit),
        "X-RateLimit-Remaining": str(decision.remaining),
        "X-RateLimit-Reset": str(decision.reset_at),
    }
    if not decision.allowed:
        headers["Retry-After"] = str(decision.reset_after)
    return headers
