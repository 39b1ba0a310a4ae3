"""Every query on custom field definitions, and clearing a removed field's values."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import and_, bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from finite.crm.engine import crm_engine
from finite.crm.modules.tables import MODULE_TABLES
from finite.kit.fast_read import Source, fetch_rows
from finite.models.accounts import Organization
from finite.models.crm import CustomField


class CustomFieldRow(NamedTuple):
    """A custom field definition as plain values (hashable: it keys the schema cache)."""

    key: str
    label: str
    type: str
    required: bool
    options: tuple[str, ...]
    target: str | None
    max_length: int | None


# Built once: a record request reads its module's custom fields when its process has not seen
# the organization's current version (one row with NULL fields when there are none).
_CUSTOM_FIELDS = (
    select(
        Organization.custom_fields_version,
        CustomField.key,
        CustomField.label,
        CustomField.type,
        CustomField.required,
        CustomField.options,
        CustomField.target,
        CustomField.max_length,
    )
    .select_from(Organization)
    .outerjoin(
        CustomField,
        and_(CustomField.org_id == Organization.id, CustomField.module == bindparam("module")),
    )
    .where(Organization.id == bindparam("org_id"))
    .order_by(CustomField.created_at, CustomField.key)
)


async def custom_fields_of(
    source: Source, org_id: str, module: str
) -> tuple[int, tuple[CustomFieldRow, ...]]:
    """The organization's custom-fields version and the module's fields, read together."""
    rows = await fetch_rows(source, _CUSTOM_FIELDS, {"org_id": org_id, "module": module})
    version = rows[0][0] if rows else 0
    return version, tuple(
        CustomFieldRow(key, label, kind, required, tuple(options or ()), target, max_length)
        for _, key, label, kind, required, options, target, max_length in rows
        if key is not None
    )


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
    cleared = crm_engine(session).without_key(source.c.custom, key)
    await session.execute(update(source).where(source.c.org_id == org_id).values(custom=cleared))
