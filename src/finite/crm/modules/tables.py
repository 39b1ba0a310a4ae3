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

from finite.crm.modules.definitions import MODULES
from finite.crm.modules.fields import Field, Module
from finite.kit.db_types import UTCDateTime
from finite.models.base import Base

SYSTEM_COLUMNS = ("id", "version", "created_at", "updated_at", "created_by", "owner")
PIPELINE_FIELDS = frozenset({"status", "stage"})
# Outside the models: each record's CSV line, kept by triggers (export/sqlite_lines.py,
# export/postgres_lines.py), and on PostgreSQL its JSON for lists (records/postgres_json.py).
EXPORT_LINE_COLUMN = "export_line"
RECORD_JSON_COLUMN = "record_json"


def table_name(module: str) -> str:
    return f"crm_{module}"


# A b-tree entry must fit a third of a PostgreSQL page (~2,700 bytes): text longer than this
# many characters (4 bytes each at most in UTF-8) is not indexed, lest a long value fail its
# insert. Long texts, URLs and address lists are sorted by reading every match.
MAX_INDEXED_CHARS = 600


def indexable(field: Field) -> bool:
    """Whether an (org_id, field, id) index can hold every value the field accepts."""
    if not (field.kind.sortable and field.kind.indexable):
        return False
    return field.length_limit is None or field.length_limit <= MAX_INDEXED_CHARS


def sort_indexed(module: Module) -> list[str]:
    """Keys whose lists are served by an (org_id, key, id) index: a page sorted by any of them
    reads only its own rows, and a cursor seeks to its place (the title field's index is
    ix_<table>_org_<title>; lookups' indexes also serve their foreign keys)."""
    return ["version", "created_by", "owner", *(f.key for f in module.fields if indexable(f))]


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
    name = table_name(module.name)
    # Lists sort by these with id as the tie-break, and page by (value, id) keysets.
    constraints: list[ForeignKeyConstraint | Index] = [
        Index(f"ix_{name}_org_updated", "org_id", "updated_at", "id"),
        Index(f"ix_{name}_org_created", "org_id", "created_at", "id"),
        Index(f"ix_{name}_org_owner", "org_id", "owner", "updated_at", "id"),
    ]
    title = next((f for f in module.fields if f.required), None)
    if title is not None and indexable(title):
        constraints.append(Index(f"ix_{name}_org_{title.key}", "org_id", title.key, "id"))
    for field in module.fields:
        if field.key in PIPELINE_FIELDS:  # the filters lists are most often cut by
            constraints.append(
                Index(f"ix_{name}_org_{field.key}", "org_id", field.key, "updated_at", "id")
            )
    for key in sort_indexed(module):
        if title is None or key != title.key:
            constraints.append(Index(f"ix_{name}_sort_{key}", "org_id", key, "id"))
    for field in module.fields:
        stored_as = field.kind.column_type(field)
        if stored_as is None:  # line items: their own table
            continue
        columns.append(Column(field.key, stored_as, nullable=True))
        if field.kind.refers and field.target:
            target = table_name(field.target)
            constraints.append(
                ForeignKeyConstraint(
                    ["org_id", field.key],
                    [f"{target}.org_id", f"{target}.id"],
                    name=f"fk_{table_name(module.name)}_{field.key}",
                )
            )
    return Table(table_name(module.name), Base.metadata, *columns, *constraints)


MODULE_TABLES: dict[str, Table] = {name: _module_table(module) for name, module in MODULES.items()}
