"""An SQLite export's rows made from the records' stored lines (see sqlite_lines.py).

Python formats the cells a line does not hold (custom fields, line items, multi-picklists) with
sqlite_cells.SqliteCells. When the export's columns are the line's followed by those, each row
is the line as stored and its Python cells after it: the common case, ~1 µs a row. Otherwise
(`fields` naming a subset, or line items within the standard fields) the line is split back into
its cells — plain commas unless it holds a quote — and the row put together from both.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.sql.elements import ColumnElement

from finite.crm.export.csv_format import text_lines, text_rows_chunk
from finite.crm.export.sqlite_cells import SqliteCells
from finite.crm.export.sqlite_lines import StoredLine, read_expression
from finite.crm.modules.schema import RecordSchema
from finite.crm.records.repository import LineRow


def worth_reading(columns: Sequence[str], line: StoredLine) -> bool:
    """Whether an export picking these columns is faster from the stored lines. Splitting a line
    costs about the same whatever it picks, computing cells costs per cell: through the server,
    1M leads, 21 of the line's 29 cells 129-151k rows/s split against 66-77k computed, 5 cells
    ~213k both ways, 3 cells 146-234k split against 174-303k computed."""
    wanted = set(columns)
    return sum(1 for key in line.columns if key in wanted) * 5 >= len(line.columns)


class StoredRows:
    """The export statement's columns (Python's cells' inputs, then the line) and the CSV of a
    batch of its rows."""

    def __init__(
        self, schema: RecordSchema, table: Table, columns: list[str], line: StoredLine
    ) -> None:
        in_line = {key: at for at, key in enumerate(line.columns)}
        by_python = [key for key in columns if key not in in_line]
        python_at = {key: at for at, key in enumerate(by_python)}
        self.python = SqliteCells(schema, table, by_python)
        self.expressions: list[ColumnElement[Any]] = [
            *self.python.expressions,
            read_expression(schema.name),
        ]
        self.width = len(columns)
        self.whole = tuple(columns[: len(line.columns)]) == line.columns
        self.picks = [
            (True, in_line[key]) if key in in_line else (False, python_at[key]) for key in columns
        ]

    @property
    def items(self) -> bool:
        return self.python.items

    @property
    def id_at(self) -> int:
        return self.python.id_at

    def chunk(self, batch: Sequence[Sequence[Any]], lines: dict[int, list[LineRow]]) -> bytes:
        extras = self.python.rows(batch, lines)
        if not self.whole:
            rows = []
            for row, extra in zip(batch, extras, strict=True):
                cells = _cells(row[-1])
                rows.append([cells[at] if from_line else extra[at] for from_line, at in self.picks])
            return text_rows_chunk(rows, self.width)
        if self.python.width:
            ends = text_lines(extras, self.python.width, whole_rows=False)
            joined = [f"{row[-1]},{end}" for row, end in zip(batch, ends, strict=True)]
        else:
            joined = [row[-1] for row in batch]
        joined.append("")  # the last row's line end
        return "\r\n".join(joined).encode()


def _cells(line: str) -> list[str]:
    """A stored line's cells: quotes wrap every cell holding a comma, a quote or a line break."""
    if '"' not in line:
        return line.split(",")
    return next(csv.reader([line]))
