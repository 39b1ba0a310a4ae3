"""One typed table per CRM module, generated from the registry onto the shared metadata."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Table,
)

from finite.crm.modules.columns import column_type
from finite.crm.modules.definitions import MODULES
from finite.crm.modules.fields import FieldType, Module
from finite.kit.db_types import UTCDateTime
from finite.models.base import Base

SYSTEM_COLUMNS = ("id", "version", "created_at", "updated_at", "created_by", "owner")


def table_name(module: str) -> str:
    return f"crm_{module}"


def _module_table(module: Module) -> Table:
    columns: list[Column[object]] = [
        Column(
            "org_id",
            String(40),
            ForeignKey("organizations.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        Column("id", BigInteger, primary_key=True, autoincrement=False),
        Column("version", Integer, nullable=False),
        Column("created_at", UTCDateTime(), nullable=False),
        Column("updated_at", UTCDateTime(), nullable=False),
        Column("created_by", String(40), nullable=True),
        Column("owner", String(40), nullable=True),
        Column("custom", JSON, nullable=False),
    ]
    constraints: list[ForeignKeyConstraint | Index] = [
        Index(f"ix_{table_name(module.name)}_org_updated", "org_id", "updated_at"),
    ]
    for field in module.fields:
        kind = column_type(field)
        if kind is None:
            continue
        columns.append(Column(field.key, kind, nullable=True))
        if field.type == FieldType.LOOKUP and field.target:
            target = table_name(field.target)
            constraints.append(
                ForeignKeyConstraint(
                    ["org_id", field.key],
                    [f"{target}.org_id", f"{target}.id"],
                    name=f"fk_{table_name(module.name)}_{field.key}",
                )
            )
            constraints.append(
                Index(f"ix_{table_name(module.name)}_{field.key}", "org_id", field.key)
            )
    return Table(table_name(module.name), Base.metadata, *columns, *constraints)


MODULE_TABLES: dict[str, Table] = {name: _module_table(module) for name, module in MODULES.items()}
