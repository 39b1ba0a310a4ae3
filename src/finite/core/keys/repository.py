"""Every query on API keys."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import BindParameter

from finite.kit.fast_read import AnySelect, Source, fetch_rows
from finite.models import ApiKey, Member, Organization, Role, Subscription

# An execution option for a write to what a principal is read from that changes nothing it
# holds: the principal cache (core/auth/principal_cache.py) keeps its entries.
PRINCIPALS_UNCHANGED = "finite_principals_unchanged"


@dataclass(frozen=True, slots=True)
class PrincipalRow:
    """The key with everything a request needs to act: plain columns, no ORM objects."""

    key_id: str
    key_name: str
    product: str
    scopes: list[str]
    revoked_at: datetime | None
    expires_at: datetime | None
    last_used_at: datetime | None
    pepper_id: str
    org_id: str
    org_name: str
    custom_fields_version: int
    plan: str
    status: str
    trial_ends_at: datetime | None
    rpm_override: int | None
    webhooks_override: int | None
    member_id: str | None
    member_name: str | None
    member_email: str | None
    role_id: str | None
    role_name: str | None
    role_is_admin: bool | None
    role_permissions: dict[str, list[str]] | None
    member_deactivated_at: datetime | None  # a deactivated member's keys are refused


@cache
def _principal_query(hash_count: int) -> AnySelect:
    """Built once per number of peppers: every request runs it."""
    hashes: list[BindParameter[str]] = [bindparam(f"hash_{index}") for index in range(hash_count)]
    return _principal_select().where(ApiKey.secret_hash.in_(hashes))


@cache
def _principal_by_id_query() -> AnySelect:
    return _principal_select().where(ApiKey.id == bindparam("key_id"))


def _principal_select() -> AnySelect:
    return (
        select(
            ApiKey.id,
            ApiKey.name,
            ApiKey.product,
            ApiKey.scopes,
            ApiKey.revoked_at,
            ApiKey.expires_at,
            ApiKey.last_used_at,
            ApiKey.pepper_id,
            Organization.id,
            Organization.name,
            Organization.custom_fields_version,
            Subscription.plan,
            Subscription.status,
            Subscription.trial_ends_at,
            Subscription.rpm_override,
            Subscription.webhooks_override,
            Member.id,
            Member.name,
            Member.email,
            Role.id,
            Role.name,
            Role.is_admin,
            Role.permissions,
            Member.deactivated_at,
        )
        .join(Organization, Organization.id == ApiKey.org_id)
        .join(
            Subscription,
            (Subscription.org_id == ApiKey.org_id) & (Subscription.product == ApiKey.product),
        )
        .outerjoin(Member, (Member.org_id == ApiKey.org_id) & (Member.id == ApiKey.member_id))
        .outerjoin(Role, (Role.org_id == Member.org_id) & (Role.id == Member.role_id))
    )


async def principal_row(source: Source, hashes: Sequence[str]) -> PrincipalRow | None:
    """The key with everything a request needs to act, in one round trip."""
    query = _principal_query(len(hashes))
    rows = await fetch_rows(source, query, {f"hash_{i}": value for i, value in enumerate(hashes)})
    return PrincipalRow(*rows[0]) if rows else None


async def principal_row_of_key(source: Source, key_id: str) -> PrincipalRow | None:
    """The same row by the key's id: for work a key asked for that runs later (an import)."""
    rows = await fetch_rows(source, _principal_by_id_query(), {"key_id": key_id})
    return PrincipalRow(*rows[0]) if rows else None


async def touch_last_used(
    session: AsyncSession, key_id: str, now: datetime, granularity: timedelta
) -> None:
    """Record use at most once per `granularity`, so busy keys do not write on every request."""
    await session.execute(
        update(ApiKey)
        .where(
            ApiKey.id == key_id,
            or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < now - granularity),
        )
        .values(last_used_at=now)
        .execution_options(**{PRINCIPALS_UNCHANGED: True})  # the cache's entry is updated instead
    )


async def rehash(session: AsyncSession, key_id: str, secret_hash: str, pepper_id: str) -> None:
    await session.execute(
        update(ApiKey)
        .where(ApiKey.id == key_id)
        .values(secret_hash=secret_hash, pepper_id=pepper_id)
    )


async def usable_keys_by_pepper(session: AsyncSession, now: datetime) -> dict[str, int]:
    """Keys neither revoked nor expired, counted by the pepper their hash is under."""
    query = (
        select(ApiKey.pepper_id, func.count())
        .where(
            ApiKey.revoked_at.is_(None),
            or_(ApiKey.expires_at.is_(None), ApiKey.expires_at > now),
        )
        .group_by(ApiKey.pepper_id)
    )
    return {pepper_id: int(count) for pepper_id, count in (await session.execute(query)).all()}


async def keys_of(
    session: AsyncSession, org_id: str, product: str, member_id: str | None = None
) -> Sequence[ApiKey]:
    query = select(ApiKey).where(ApiKey.org_id == org_id, ApiKey.product == product)
    if member_id is not None:
        query = query.where(ApiKey.member_id == member_id)
    return (await session.scalars(query.order_by(ApiKey.created_at.desc(), ApiKey.id))).all()


async def key_in_org(session: AsyncSession, org_id: str, key_id: str) -> ApiKey | None:
    query = select(ApiKey).where(ApiKey.org_id == org_id, ApiKey.id == key_id)
    return (await session.scalars(query)).first()


async def key_by_id(session: AsyncSession, key_id: str) -> ApiKey | None:
    return await session.get(ApiKey, key_id)
