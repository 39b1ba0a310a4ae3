"""Every column that holds values sealed with the secret box (kit/secretbox.py).

`finite secrets rotate` re-seals each registered column under the current key, so a new table
with a sealed column registers it with one call to `register_sealed()` in its own package. The
column's table is keyed by (org_id, id), and its values are bound to
``row_binding(table, org_id, id, binding)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Table

from finite.kit.secretbox import row_binding


@dataclass(frozen=True, slots=True)
class SealedColumn:
    table: Table
    column: str  # the column holding the sealed bytes (NULL: nothing sealed)
    binding: str  # the name in the associated data, e.g. "secret"

    @property
    def name(self) -> str:
        return f"{self.table.name}.{self.column}"

    @property
    def sealed(self) -> Column[Any]:
        return self.table.c[self.column]

    def binding_of(self, org_id: str, row_id: str) -> bytes:
        return row_binding(self.table.name, org_id, row_id, self.binding)


_COLUMNS: dict[str, SealedColumn] = {}


def register_sealed(table: Any, column: str, binding: str) -> SealedColumn:
    """`table`: a Table or a mapped class with `org_id` and `id` columns."""
    sealed = SealedColumn(getattr(table, "__table__", table), column, binding)
    existing = _COLUMNS.get(sealed.name)
    if existing is not None and existing != sealed:
        raise ValueError(f"{sealed.name} is registered already with another binding")
    _COLUMNS[sealed.name] = sealed
    return sealed


def sealed_columns() -> tuple[SealedColumn, ...]:
    return tuple(_COLUMNS.values())
