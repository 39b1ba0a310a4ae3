"""JSON shapes of the CRM surface's account endpoints (snake_case)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

from finite.core.auth.principal import Principal
from finite.core.keys.service import key_status
from finite.core.keys.tokens import hint
from finite.core.plans.entitlement import Entitlement
from finite.core.ratelimit.limiter import RateDecision
from finite.kit.validate import CLEAN_TEXT_PATTERN
from finite.models import ApiKey, Member


class OrganizationOut(msgspec.Struct):
    id: str
    name: str


class MemberOut(msgspec.Struct):
    id: str
    name: str
    email: str


class RoleOut(msgspec.Struct):
    id: str
    name: str
    is_admin: bool
    permissions: dict[str, Any]


class KeyRef(msgspec.Struct):
    id: str
    name: str


class PlanOut(msgspec.Struct):
    name: str
    effective_plan: str
    status: str
    trial_ends_at: datetime | None
    requests_per_minute: int
    webhook_endpoints: int


class MeOut(msgspec.Struct):
    organization: OrganizationOut
    member: MemberOut
    role: RoleOut
    key: KeyRef
    plan: PlanOut


class KeyOut(msgspec.Struct):
    id: str
    name: str
    hint: str
    member: MemberOut | None
    status: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


class CreatedKeyOut(KeyOut):
    key: str = ""


class LimitsOut(msgspec.Struct):
    """The API's `limits` object: the plan in force and what it allows right now."""

    plan: str
    effective_plan: str
    status: str
    trial_ends_at: datetime | None
    requests_per_minute: int
    remaining: int  # requests left in the current moving minute, after this one
    webhook_endpoints: int
    webhook_endpoints_used: int


class KeyListOut(msgspec.Struct):
    keys: list[KeyOut]
    limits: LimitsOut


class CreateKeyIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[
        str,
        msgspec.Meta(
            min_length=1, max_length=100, extra_json_schema={"pattern": CLEAN_TEXT_PATTERN}
        ),
    ]
    expires_at: (
        Annotated[datetime, msgspec.Meta(description="A moment in the future; none: never.")] | None
    ) = None
    member: str | None = None  # a member's id or email; the caller by default


def plan_out(entitlement: Entitlement) -> PlanOut:
    return PlanOut(
        name=entitlement.plan,
        effective_plan=entitlement.effective_plan,
        status=entitlement.status,
        trial_ends_at=entitlement.trial_ends_at,
        requests_per_minute=entitlement.requests_per_minute,
        webhook_endpoints=entitlement.webhook_endpoints,
    )


def limits_out(
    entitlement: Entitlement, decision: RateDecision | None, webhooks_used: int
) -> LimitsOut:
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
    )


def me_out(principal: Principal) -> MeOut:
    assert principal.member is not None
    assert principal.role is not None
    member, role = principal.member, principal.role
    return MeOut(
        organization=OrganizationOut(principal.org_id, principal.org_name),
        member=MemberOut(member.id, member.name, member.email),
        role=RoleOut(role.id, role.name, role.is_admin, role.permissions),
        key=KeyRef(principal.key_id, principal.key_name),
        plan=plan_out(principal.entitlement),
    )


def key_out(key: ApiKey, member: Member | None, now: datetime) -> KeyOut:
    return KeyOut(
        id=key.id,
        name=key.name,
        hint=hint("crm", key.last_four),
        member=None if member is None else MemberOut(member.id, member.name, member.email),
        status=key_status(key, now),
        created_at=key.created_at,
        last_used_at=key.last_used_at,
        expires_at=key.expires_at,
        revoked_at=key.revoked_at,
    )
