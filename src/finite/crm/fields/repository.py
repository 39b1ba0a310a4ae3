"""Every query on custom field definitions, and clearing a removed field's values."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from finite.crm.modules.tables import MODULE_TABLES
from finite.kit.db import dialect_name
from finite.models.crm import CustomField


async def custom_fields_of(
    session: AsyncSession, org_id: str, module: str
) -> Sequence[CustomField]:
    query = (
        select(CustomField)
        .where(CustomField.org_id == org_id, CustomField.module == module)
        .order_by(CustomField.created_at, CustomField.key)
    )
    return (await session.scalars(query)).all()


async def all_custom_fields(session: AsyncSession, org_id: str) -> Sequence[CustomField]:
    query = (
        select(CustomField)
        .where(CustomField.org_id == org_id)
        .order_by(CustomField.module, CustomField.created_at, CustomField.key)
    )
    return (await session.scalars(query)).all()


async def get_custom_field(
    session: AsyncSession, org_id: str, module: str, key: str
) -> CustomField | None:
    return await session.get(CustomField, (org_id, module, key))


async def count_custom_fields(session: AsyncSession, org_id: str, module: str) -> int:
    query = select(func.count()).where(CustomField.org_id == org_id, CustomField.module == module)
    return int((await session.execute(query)).scalar_one())


async def delete_custom_field(session: AsyncSession, org_id: str, module: str, key: str) -> None:
    await session.execute(
        delete(CustomField).where(
            CustomField.org_id == org_id, CustomField.module == module, CustomField.key == key
        )
    )


async def clear_custom_values(session: AsyncSession, org_id: str, module: str, key: str) -> None:
    """Remove a deleted field's values from every record, so re-adding the key starts empty."""
    source = MODULE_TABLES[module]
    cleared: Any
    if dialect_name(session) == "postgresql":
        cleared = text("(custom::jsonb - :key)::json").bindparams(key=key)
    else:
        cleared = func.json_remove(source.c.custom, "$." + key)
    await session.execute(update(source).where(source.c.org_id == org_id).values(custom=cleared))
