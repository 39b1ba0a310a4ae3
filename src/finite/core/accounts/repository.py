"""Every query on organizations, roles, members and subscriptions."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from finite.models import Member, Organization, Role, Subscription


async def get_org(session: AsyncSession, org_id: str) -> Organization | None:
    return await session.get(Organization, org_id)


async def orgs_named(session: AsyncSession, name: str) -> Sequence[Organization]:
    return (await session.scalars(select(Organization).where(Organization.name == name))).all()


async def list_orgs(session: AsyncSession) -> Sequence[Organization]:
    return (await session.scalars(select(Organization).order_by(Organization.created_at))).all()


async def count_orgs(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Organization)) or 0)


async def roles_of(session: AsyncSession, org_id: str) -> Sequence[Role]:
    query = select(Role).where(Role.org_id == org_id).order_by(Role.created_at, Role.name)
    return (await session.scalars(query)).all()


async def member_by_email(session: AsyncSession, org_id: str, email: str) -> Member | None:
    query = select(Member).where(Member.org_id == org_id, Member.email == email)
    return (await session.scalars(query)).first()


async def member_by_id(session: AsyncSession, org_id: str, member_id: str) -> Member | None:
    return await session.get(Member, (org_id, member_id))


async def owner_of(session: AsyncSession, org_id: str) -> Member | None:
    query = select(Member).where(Member.org_id == org_id, Member.is_owner.is_(True))
    return (await session.scalars(query)).first()


async def subscription(session: AsyncSession, org_id: str, product: str) -> Subscription | None:
    return await session.get(Subscription, (org_id, product))


async def members_by_id(
    session: AsyncSession, org_id: str, member_ids: set[str]
) -> dict[str, Member]:
    if not member_ids:
        return {}
    query = select(Member).where(Member.org_id == org_id, Member.id.in_(member_ids))
    return {member.id: member for member in (await session.scalars(query)).all()}
