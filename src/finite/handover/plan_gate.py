"""Which handover endpoints each plan may call: Free none, Pro auth/me/Zapier, Agency all."""

from __future__ import annotations

from finite.core.auth.principal import Principal
from finite.kit.errors import plan_limit

_PRO_PATHS = frozenset({"/api/v1/auth", "/api/v1/me"})
_PRO_PREFIX = "/api/v1/zapier/"


def check_plan_access(principal: Principal, path: str) -> None:
    access = principal.entitlement.api_access
    if access == "full":
        return
    if access == "zapier" and (path in _PRO_PATHS or path.startswith(_PRO_PREFIX)):
        return
    plan = principal.entitlement.effective_plan
    if access == "none":
        raise plan_limit(f"The {plan} plan has no API access; upgrade to Pro or Agency.")
    raise plan_limit(f"The {plan} plan allows Zapier endpoints only; the full API needs Agency.")
