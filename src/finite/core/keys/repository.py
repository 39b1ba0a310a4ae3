"""Every query on API keys."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from finite.models import ApiKey, Member, Organization, Role, Subscription


@dataclass(frozen=True, slots=True)
class PrincipalRow:
    key: ApiKey
    org: Organization
    subscription: Subscription
    member: Member | None
    role: Role | None


async def principal_row(session: AsyncSession, hashes: Sequence[str]) -> PrincipalRow | None:
    """The key with everything a request needs to act, in one round trip."""
    query = (
        select(ApiKey, Organization, Subscription, Member, Role)
        .join(Organization, Organization.id == ApiKey.org_id)
        .join(
            Subscription,
            (Subscription.org_id == ApiKey.org_id) & (Subscription.product == ApiKey.product),
        )
        .outerjoin(Member, (Member.org_id == ApiKey.org_id) & (Member.id == ApiKey.member_id))
        .outerjoin(Role, (Role.org_id == Member.org_id) & (Role.id == Member.role_id))
        .where(ApiKey.secret_hash.in_(hashes))
    )
    row = (await session.execute(query)).first()
    return None if row is None else PrincipalRow(*row)


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
    )


async def rehash(session: AsyncSession, key_id: str, secret_hash: str, pepper_id: str) -> None:
    await session.execute(
        update(ApiKey)
        .where(ApiKey.id == key_id)
        .values(secret_hash=secret_hash, pepper_id=pepper_id)
    )


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
