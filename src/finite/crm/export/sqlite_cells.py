"""SQLite exports' cells: SQLite writes each standard cell as text in the query itself.

They make each record's stored CSV line (sqlite_lines.py), and are computed at export time for
an export of a few fields or where the stored lines are not this code's (records_csv.py).

Formatting in Python cost ~40 µs a row (a converter call per cell); computed in SQL, a row of
standard fields reaches the CSV writer as the driver hands it over. The cells are the ones the
API's values give (csv_format.cell): ISO date-times in UTC, exact decimals, true/false, and the
injection escape on text. Custom fields, line items and multi-picklists (JSON the records keep)
are still formatted in Python, from raw columns fetched alongside.

This relies on how SQLAlchemy stores values in SQLite: date-times as
'YYYY-MM-DD HH:MM:SS.ffffff' UTC text (kit/db_types.UTCDateTime), dates as 'YYYY-MM-DD', flags as
0/1, and amounts as integers of their smallest unit (kit/scaled_decimal.ScaledDecimal).
tests/crm/export/test_export.py compares the cells with the API's values on both engines.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import String, Table, func, literal_column, type_coerce
from sqlalchemy.sql.elements import ColumnElement

from finite.crm.export.csv_format import cell, text_rows_chunk
from finite.crm.modules.fields import Field
from finite.crm.modules.schema import SYSTEM_FIELDS, RecordSchema
from finite.crm.records.repository import LineRow
from finite.crm.records.serialize import line_out

Filler = Callable[[Sequence[Any], Sequence[LineRow]], str]


def sql_cell(spec: Field, column: ColumnElement[Any]) -> ColumnElement[Any] | None:
    """The cell of a standard column computed by SQLite (the field's kind says how), or None
    when Python formats it."""
    expression = spec.kind.sqlite_cell(column)
    if expression is None:
        return None
    # The stored column's type would run its result processor on the text; this is text.
    return type_coerce(expression, String())


class SqliteCells:
    """The export statement's columns, and what Python still fills in per row.

    Selected: one cell per export column, never NULL ('' where the value is empty or Python
    fills it: every cell reaches csv_format.text_rows_chunk as a str), then the raw columns
    Python needs (the custom JSON, the id for line items, multi-picklist values)."""

    def __init__(self, schema: RecordSchema, table: Table, columns: list[str]) -> None:
        custom = {spec.key: spec for spec in schema.custom}
        self.width = len(columns)
        self._raw: list[ColumnElement[Any]] = []
        self.fillers: list[tuple[int, Filler]] = []
        self.items = "items" in columns and schema.module.line_items
        self.id_at = self._raw_at(table.c.id) if self.items else -1
        cells: list[ColumnElement[Any]] = []
        for position, key in enumerate(columns):
            if key == "items" and schema.module.line_items:
                self.fillers.append((position, _items_cell))
            elif key in custom:
                self.fillers.append(
                    (position, _custom_filler(custom[key], self._raw_at(table.c.custom)))
                )
            else:
                spec = SYSTEM_FIELDS.get(key) or schema.module.field(key)
                assert spec is not None
                computed = sql_cell(spec, table.c[key])
                if computed is not None:
                    cells.append(type_coerce(func.ifnull(computed, ""), String()).label(key))
                    continue
                self.fillers.append((position, _raw_filler(self._raw_at(table.c[key]))))
            cells.append(literal_column("''", String()).label(key))
        self.expressions = cells + self._raw

    def rows(
        self, batch: Sequence[Sequence[Any]], lines: dict[int, list[LineRow]]
    ) -> Sequence[Sequence[str]]:
        """The batch's CSV rows, every cell a str."""
        if not self.fillers:
            return batch
        finished = []
        for row in batch:
            cells = list(row[: self.width])
            record_lines = lines.get(row[self.id_at], []) if self.items else []
            for position, fill in self.fillers:
                cells[position] = fill(row, record_lines)
            finished.append(cells)
        return finished

    def chunk(self, batch: Sequence[Sequence[Any]], lines: dict[int, list[LineRow]]) -> bytes:
        """The batch's CSV lines."""
        return text_rows_chunk(self.rows(batch, lines), self.width)

    def _raw_at(self, column: ColumnElement[Any]) -> int:
        """Where a raw column sits in a fetched row (each fetched once, after the cells)."""
        for index, chosen in enumerate(self._raw):
            if chosen is column:
                return self.width + index
        self._raw.append(column)
        return self.width + len(self._raw) - 1


def _items_cell(_row: Sequence[Any], lines: Sequence[LineRow]) -> str:
    return cell([line_out(line) for line in lines])


def _custom_filler(spec: Field, at: int) -> Filler:
    key, read = spec.key, spec.kind.json_reader(spec)

    def fill(row: Sequence[Any], _lines: Sequence[LineRow]) -> str:
        stored: dict[str, Any] = row[at] or {}
        return cell(read(stored.get(key)))

    return fill


def _raw_filler(at: int) -> Filler:
    def fill(row: Sequence[Any], _lines: Sequence[LineRow]) -> str:
        return cell(row[at])

    return fill
