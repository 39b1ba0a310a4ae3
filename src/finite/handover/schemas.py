"""JSON shapes of the handover surface's account endpoints (camelCase, as the API's fields)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from finite.core.auth.principal import Principal
from finite.core.keys.service import key_status
from finite.core.keys.tokens import hint
from finite.core.plans.entitlement import Entitlement
from finite.core.ratelimit.limiter import RateDecision
from finite.kit.validate import CLEAN_TEXT_PATTERN
from finite.models import ApiKey


class Camel(msgspec.Struct, rename="camel"):
    pass


class OrganizationOut(Camel):
    id: str
    name: str


class KeyRef(Camel):
    id: str
    name: str
    scopes: list[str]


class PlanOut(Camel):
    name: str
    effective_plan: str
    status: str
    trial_ends_at: datetime | None
    api_access: str
    requests_per_minute: int
    webhook_endpoints: int
    active_packs_limit: int | None


class AuthOut(Camel):
    authenticated: bool
    organization: OrganizationOut
    key: KeyRef
    plan: PlanOut


class LimitsOut(Camel):
    plan: str
    effective_plan: str
    status: str
    trial_ends_at: datetime | None
    requests_per_minute: int
    remaining: int  # requests left in the current moving minute, after this one
    webhook_endpoints: int
    webhook_endpoints_used: int
    active_packs_limit: int | None


class MeOut(Camel):
    organization: OrganizationOut
    key: KeyRef
    scopes: list[str]
    plan: PlanOut
    limits: LimitsOut


class KeyOut(Camel):
    id: str
    name: str
    hint: str
    scopes: list[str]
    status: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


class CreatedKeyOut(KeyOut):
    key: str = ""


class RevokedKeyOut(Camel):
    id: str
    revoked_at: datetime | None


# core/keys/service.py `normalize_scopes`: read, write or admin in any case, blanks ignored, at
# least one given. For the OpenAPI document only.
_SCOPE = "^\\s*([Rr][Ee][Aa][Dd]|[Ww][Rr][Ii][Tt][Ee]|[Aa][Dd][Mm][Ii][Nn])?\\s*$"
Scopes = Annotated[
    list[str],
    msgspec.Meta(
        description="Scopes out of read, write and admin (at most the caller's own); "
        "default: the caller's scopes.",
        extra_json_schema={
            "items": {"type": "string", "pattern": _SCOPE},
            "contains": {"type": "string", "pattern": "\\S"},
        },
    ),
]


class CreateKeyIn(Camel, forbid_unknown_fields=True):
    name: Annotated[
        str,
        msgspec.Meta(
            min_length=1, max_length=100, extra_json_schema={"pattern": CLEAN_TEXT_PATTERN}
        ),
    ]
    scopes: Scopes | None = None  # the caller's own scopes by default
    expires_at: (
        Annotated[datetime, msgspec.Meta(description="A moment in the future; none: never.")] | None
    ) = None


def plan_out(entitlement: Entitlement) -> PlanOut:
    return PlanOut(
        name=entitlement.plan,
        effective_plan=entitlement.effective_plan,
        status=entitlement.status,
        trial_ends_at=entitlement.trial_ends_at,
        api_access=entitlement.api_access,
        requests_per_minute=entitlement.requests_per_minute,
        webhook_endpoints=entitlement.webhook_endpoints,
        active_packs_limit=entitlement.active_packs,
    )


def key_ref(principal: Principal) -> KeyRef:
    return KeyRef(principal.key_id, principal.key_name, sorted(principal.scopes))


def auth_out(principal: Principal) -> AuthOut:
    return AuthOut(
        authenticated=True,
        organization=OrganizationOut(principal.org_id, principal.org_name),
        key=key_ref(principal),
        plan=plan_out(principal.entitlement),
    )


def me_out(principal: Principal, decision: RateDecision | None, webhooks_used: int) -> MeOut:
    entitlement = principal.entitlement
    return MeOut(
        organization=OrganizationOut(principal.org_id, principal.org_name),
        key=key_ref(principal),
        scopes=key_ref(principal).scopes,
        plan=plan_out(entitlement),
        limits=limits_out(entitlement, decision, webhooks_used),
    )


def limits_out(
    entitlement: Entitlement, decision: RateDecision | None, webhooks_used: int
) -> LimitsOut:
    """The `limits` object: the plan in force and what it allows right now."""
    rpm = entitlement.requests_per_minute
    return LimitsOut(
        plan=entitlement.plan,
        effective_plan=entitlement.effective_plan,
        status=entitlement.status,
        trial_ends_at=entitlement.trial_ends_at,
        requests_per_minute=rpm,
        remaining=decision.remaining if decision is not None else rpm,
        webhook_endpoints=entitlement.webhook_endpoints,
        webhook_endpoints_used=webhooks_used,
        active_packs_limit=entitlement.active_packs,
    )


def key_out(key: ApiKey, now: datetime) -> KeyOut:
    return KeyOut(
        id=key.id,
        name=key.name,
        hint=hint("handover", key.last_four),
        scopes=list(key.scopes),
        status=key_status(key, now),
        created_at=key.created_at,
        last_used_at=key.last_used_at,
        expires_at=key.expires_at,
        revoked_at=key.revoked_at,
    )
