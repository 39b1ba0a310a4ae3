"""Pack queries, always within one organization."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from sqlalchemy import Select, bindparam, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from finite.models import HandoverPack, PackCredential, PackItem, PackSection, PackSend


async def of_project(session: AsyncSession, org_id: str, project_id: str) -> HandoverPack | None:
    found = await session.scalars(
        select(HandoverPack).where(
            HandoverPack.org_id == org_id, HandoverPack.project_id == project_id
        )
    )
    return found.first()


async def pack_ids_of(
    session: AsyncSession, org_id: str, project_ids: Sequence[str]
) -> dict[str, str]:
    """project id → pack id."""
    if not project_ids:
        return {}
    rows = await session.execute(
        select(HandoverPack.project_id, HandoverPack.id).where(
            HandoverPack.org_id == org_id, HandoverPack.project_id.in_(project_ids)
        )
    )
    return {project_id: pack_id for project_id, pack_id in rows}


_Row = TypeVar("_Row", PackSection, PackItem, PackCredential)


def _of_pack(row: type[_Row]) -> Select[_Row]:
    """The pack's rows in their order; built once, its values given at execution (the client
    page reads them on every view)."""
    return (
        select(row)
        .where(row.org_id == bindparam("org_id"), row.pack_id == bindparam("pack_id"))
        .order_by(row.position)
    )


_SECTIONS = _of_pack(PackSection)
_ITEMS = _of_pack(PackItem)
_CREDENTIALS = _of_pack(PackCredential)


def _pack_params(org_id: str, pack_id: str) -> dict[str, str]:
    return {"org_id": org_id, "pack_id": pack_id}


async def sections(session: AsyncSession, org_id: str, pack_id: str) -> Sequence[PackSection]:
    return (await session.scalars(_SECTIONS, _pack_params(org_id, pack_id))).all()


async def items(session: AsyncSession, org_id: str, pack_id: str) -> Sequence[PackItem]:
    return (await session.scalars(_ITEMS, _pack_params(org_id, pack_id))).all()


async def credentials(session: AsyncSession, org_id: str, pack_id: str) -> Sequence[PackCredential]:
    return (await session.scalars(_CREDENTIALS, _pack_params(org_id, pack_id))).all()


async def sends(session: AsyncSession, org_id: str, pack_id: str) -> Sequence[PackSend]:
    found = await session.scalars(
        select(PackSend)
        .where(PackSend.org_id == org_id, PackSend.pack_id == pack_id)
        .order_by(PackSend.sent_at.desc(), PackSend.id.desc())
    )
    return found.all()


async def section_ids(session: AsyncSession, org_id: str, pack_id: str) -> set[str]:
    found = await session.scalars(
        select(PackSection.id).where(PackSection.org_id == org_id, PackSection.pack_id == pack_id)
    )
    return set(found)


async def item_ids(session: AsyncSession, org_id: str, pack_id: str) -> set[str]:
    found = await session.scalars(
        select(PackItem.id).where(PackItem.org_id == org_id, PackItem.pack_id == pack_id)
    )
    return set(found)


async def credential(
    session: AsyncSession, org_id: str, pack_id: str, credential_id: str
) -> PackCredential | None:
    row = await session.get(PackCredential, (org_id, credential_id))
    return row if row is not None and row.pack_id == pack_id else None


async def item(session: AsyncSession, org_id: str, pack_id: str, item_id: str) -> PackItem | None:
    row = await session.get(PackItem, (org_id, item_id))
    return row if row is not None and row.pack_id == pack_id else None


async def section(
    session: AsyncSession, org_id: str, pack_id: str, section_id: str
) -> PackSection | None:
    row = await session.get(PackSection, (org_id, section_id))
    return row if row is not None and row.pack_id == pack_id else None


async def next_item_position(session: AsyncSession, org_id: str, section_id: str) -> int:
    last = await session.scalar(
        select(func.max(PackItem.position)).where(
            PackItem.org_id == org_id, PackItem.section_id == section_id
        )
    )
    return 0 if last is None else int(last) + 1


async def next_credential_position(session: AsyncSession, org_id: str, pack_id: str) -> int:
    last = await session.scalar(
        select(func.max(PackCredential.position)).where(
            PackCredential.org_id == org_id, PackCredential.pack_id == pack_id
        )
    )
    return 0 if last is None else int(last) + 1


async def clear_sections(session: AsyncSession, org_id: str, pack_id: str) -> None:
    """Items go first (they reference sections); the caller inserts the new ones after."""
    await session.execute(
        delete(PackItem).where(PackItem.org_id == org_id, PackItem.pack_id == pack_id)
    )
    await session.execute(
        delete(PackSection).where(PackSection.org_id == org_id, PackSection.pack_id == pack_id)
    )
