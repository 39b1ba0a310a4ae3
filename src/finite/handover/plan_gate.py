"""Which handover routes each plan may call, as each route declares it in ``opt={"plan": …}``:
Free none, Pro the routes declaring `ZAPIER` (auth, me and the Zapier endpoints), Agency all.
A route declaring nothing needs the full API (Agency)."""

from __future__ import annotations

from typing import Final

from finite.core.auth.principal import Principal
from finite.kit.errors import plan_limit

PLAN: Final = "plan"
ZAPIER: Final = "zapier"  # the Pro plan's API: Zapier and what its setup calls (auth, me)


def check_plan_access(principal: Principal, declared: object) -> None:
    access = principal.entitlement.api_access
    if access == "full":
        return
    if access == "zapier" and declared == ZAPIER:
        return
    plan = principal.entitlement.effective_plan
    if access == "none":
        raise plan_limit(f"The {plan} plan has no API access; upgrade to Pro or Agency.")
    raise plan_limit(f"The {plan} plan allows Zapier endpoints only; the full API needs Agency.")
