"""Rules for organizations, members and plans. Never commits: callers own the transaction."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.accounts import repository
from finite.core.accounts.roles import ACTIONS, ADMIN_ROLE, BUILTIN_ROLES, governed_modules
from finite.core.plans.catalog import STATUSES, Product, plan_names
from finite.kit.clock import utcnow
from finite.kit.errors import ErrorDetail, conflict, invalid_field, not_found, validation_error
from finite.kit.ids import new_id
from finite.kit.validate import clean_text, normalize_email
from finite.models import Member, Organization, Role, Subscription

DEFAULT_TRIAL_DAYS = 14


@dataclass(frozen=True, slots=True)
class PlanChoice:
    plan: str
    status: str = "active"
    trial_ends_at: datetime | None = None


async def create_org(
    session: AsyncSession,
    name: str,
    *,
    owner_email: str,
    owner_name: str,
    crm: PlanChoice,
    handover: PlanChoice,
) -> tuple[Organization, Member]:
    """An organization with the built-in roles, its owner (an Admin) and one plan per product."""
    now = utcnow()
    org = Organization(
        id=new_id("org"), name=clean_text("name", name, max_length=200), created_at=now
    )
    session.add(org)
    await session.flush()
    roles = [
        Role(
            org_id=org.id,
            id=new_id("role"),
            name=builtin.name,
            is_admin=builtin.is_admin,
            is_builtin=True,
            permissions=builtin.permissions(),
            created_at=now,
        )
        for builtin in BUILTIN_ROLES
    ]
    session.add_all(roles)
    for product, choice in (("crm", crm), ("handover", handover)):
        session.add(_subscription(org.id, product, choice))  # type: ignore[arg-type]
    await session.flush()
    owner = await add_member(session, org.id, email=owner_email, name=owner_name, role=ADMIN_ROLE)
    owner.is_owner = True
    await session.flush()
    return org, owner


async def resolve_org(session: AsyncSession, reference: str) -> Organization:
    """An organization by id, or by its exact name when that name is unique."""
    org = await repository.get_org(session, reference)
    if org is not None:
        return org
    named = await repository.orgs_named(session, reference)
    if len(named) == 1:
        return named[0]
    if len(named) > 1:
        raise conflict(f"{len(named)} organizations are named {reference!r}; use the id")
    raise not_found(f"No organization {reference!r}.")


async def find_role(session: AsyncSession, org_id: str, name: str) -> Role:
    wanted = _role_key(name)
    roles = await repository.roles_of(session, org_id)
    for role in roles:
        if _role_key(role.name) == wanted:
            return role
    choices = ", ".join(role.name for role in roles)
    raise invalid_field("role", f"unknown role {name!r}; choose one of {choices}")


async def add_member(
    session: AsyncSession, org_id: str, *, email: str, name: str, role: str
) -> Member:
    normalized = normalize_email("email", email)
    found_role = await find_role(session, org_id, role)
    if await repository.member_by_email(session, org_id, normalized) is not None:
        raise conflict(f"A member with email {normalized} already exists.")
    member = Member(
        org_id=org_id,
        id=new_id("mem"),
        email=normalized,
        name=clean_text("name", name, max_length=200),
        role_id=found_role.id,
        is_owner=False,
        created_at=utcnow(),
    )
    session.add(member)
    await session.flush()
    return member


async def set_plan(
    session: AsyncSession,
    org_id: str,
    product: Product,
    choice: PlanChoice | None,
    *,
    rpm_override: int | None = None,
    webhooks_override: int | None = None,
    clear_overrides: bool = False,
) -> Subscription:
    """Change a subscription; it applies on the next request, since nothing caches it.

    Without a `choice`, the plan and its status stay and only the overrides change."""
    sub = await repository.subscription(session, org_id, product)
    if choice is None:
        if sub is None:
            raise invalid_field("plan", f"the organization has no {product} plan yet; choose one")
        sub.updated_at = utcnow()
    else:
        fresh = _subscription(org_id, product, choice)
        if sub is None:
            sub = fresh
            session.add(sub)
        else:
            sub.plan, sub.status, sub.trial_ends_at = (
                fresh.plan,
                fresh.status,
                fresh.trial_ends_at,
            )
            sub.updated_at = fresh.updated_at
    if clear_overrides:
        sub.rpm_override = sub.webhooks_override = None
    for field_name, value in (("rpm", rpm_override), ("webhooks", webhooks_override)):
        if value is not None and value < 0:
            raise invalid_field(field_name, "must be zero or more")
    if rpm_override is not None:
        sub.rpm_override = rpm_override
    if webhooks_override is not None:
        sub.webhooks_override = webhooks_override
    await session.flush()
    return sub


def _subscription(org_id: str, product: Product, choice: PlanChoice) -> Subscription:
    if choice.plan not in plan_names(product):
        allowed = ", ".join(plan_names(product))
        raise invalid_field(
            "plan", f"unknown {product} plan {choice.plan!r}; choose one of {allowed}"
        )
    if choice.status not in STATUSES:
        raise invalid_field("status", f"must be one of {', '.join(STATUSES)}")
    now = utcnow()
    trial_ends_at = choice.trial_ends_at
    if choice.status == "trial" and trial_ends_at is None:
        trial_ends_at = now + timedelta(days=DEFAULT_TRIAL_DAYS)
    return Subscription(
        org_id=org_id,
        product=product,
        plan=choice.plan,
        status=choice.status,
        trial_ends_at=trial_ends_at if choice.status == "trial" else None,
        updated_at=now,
    )


def _role_key(name: str) -> str:
    return re.sub(r"[\s_-]+", "", name).lower()


async def resolve_member(session: AsyncSession, org_id: str, reference: str) -> Member:
    """A member of this organization by id or email; anything else is not found."""
    member = await repository.member_by_id(session, org_id, reference)
    if member is None and "@" in reference:
        member = await repository.member_by_email(session, org_id, reference.strip().lower())
    if member is None:
        raise not_found(f"No member {reference!r} in this organization.")
    return member


async def update_role_permissions(
    session: AsyncSession, org_id: str, reference: str, permissions: dict[str, object]
) -> Role:
    """Replace the actions of the modules named; modules not named keep theirs. The role is
    the target of the call (a path parameter): an unknown one is 404, not a bad field."""
    roles = await repository.roles_of(session, org_id)
    role = next((r for r in roles if reference in (r.id, r.name)), None) or next(
        (r for r in roles if _role_key(r.name) == _role_key(reference)), None
    )
    if role is None:
        raise not_found(f"No role {reference!r} in this organization.")
    if role.is_admin:
        raise conflict("The Admin role always has every permission; it cannot be changed.")
    problems: list[ErrorDetail] = []
    updated = {module: list(actions) for module, actions in role.permissions.items()}
    modules = governed_modules()
    for module, actions in permissions.items():
        if module not in modules:
            problems.append(ErrorDetail(f"permissions.{module}", "is not a module"))
        elif not isinstance(actions, list) or not all(a in ACTIONS for a in actions):
            problems.append(
                ErrorDetail(f"permissions.{module}", f"must be a list of: {', '.join(ACTIONS)}")
            )
        else:
            updated[module] = [action for action in ACTIONS if action in actions]
    if problems:
        raise validation_error(problems)
    role.permissions = updated
    await session.flush()
    return role
