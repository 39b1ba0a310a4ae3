"""PostgreSQL exports read each record's CSV line ready-made: a trigger writes it with the record.

COPY computing all 29 cells of 1M leads took ~3.1-3.5 s in PostgreSQL alone on a 2-core machine;
sending each lead's stored line takes ~1.5 s, and the export through the server doubled its
speed (docs/performance.md, tenth round).

How, as on SQLite (sqlite_lines.py) but in the record's own write: every module table has a
column `export_line`, outside the models; a BEFORE INSERT OR UPDATE trigger sets it from the
cells the computed COPY writes (postgres_copy.column_cell) for the id, system and standard
fields, joined by commas and quoted as COPY quotes CSV. The export adds the custom fields'
cells after it in SQL (records_csv.py), so defining a field rewrites no line. Modules with line
items keep the computed COPY (their items cell sits among the standard ones), and so does an
export naming `fields`: COPY then computes only the cells it names.

The trigger's function pins DateStyle, which the text of dates and date-times depends on, so
a line does not depend on the session writing it. The trigger and its function are named by a
hash of the line's SQL and the function's: after every migration (migrations/env.py)
`derived_text_sync.sync_derived_texts` replaces a table's trigger whose hash is not the code's
and rewrites every line, in the migration's transaction. An export reads the lines only while
this code's trigger is there and enabled, and computes a line that is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import (
    Select,
    Table,
    case,
    func,
    literal,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import FromClause

from finite.crm.derived_text import DerivedText, trigger_is_enabled
from finite.crm.export.line_sql import joined, stored_or_computed, trigger_name
from finite.crm.export.postgres_copy import column_cell, export_cell
from finite.crm.modules.definitions import MODULES
from finite.crm.modules.fields import Field, Module
from finite.crm.modules.schema import SYSTEM_FIELDS, RecordSchema
from finite.crm.modules.tables import EXPORT_LINE_COLUMN, MODULE_TABLES, SYSTEM_COLUMNS

_DIALECT: Dialect = postgresql.dialect()  # type: ignore[no-untyped-call]


@dataclass(frozen=True, slots=True)
class PostgresLine(DerivedText):
    """A module's line: the cells it holds (its columns, in order), its SQL and trigger."""

    def holds_first(self, columns: list[str]) -> bool:
        """Whether an export of these columns starts with the whole line."""
        return tuple(columns[: len(self.columns)]) == self.columns


def quoted(cell: ColumnElement[Any]) -> ColumnElement[Any]:
    """COPY's CSV quoting: a cell that is empty or holds a comma, a quote or a line break is
    wrapped in quotes, its quotes doubled; NULL is nothing."""
    needs_quotes = (cell == "") | cell.op("~")(literal('[,"\r\n]'))
    wrapped = literal('"').op("||")(func.replace(cell, '"', '""')).op("||")(literal('"'))
    return case((needs_quotes, wrapped), else_=func.coalesce(cell, ""))


def csv_cell(spec: Field, cell: ColumnElement[Any]) -> ColumnElement[Any]:
    """A cell as it stands in a CSV line: quoted if its type can hold text, '' for NULL."""
    if spec.kind.csv_quoted:
        return quoted(cell)
    return func.coalesce(cell, "")


def _line(module: Module, table: FromClause) -> tuple[tuple[str, ...], ColumnElement[str]]:
    keys = [*SYSTEM_COLUMNS, *(field.key for field in module.fields)]
    cells: list[ColumnElement[Any]] = []
    for key in keys:
        spec = SYSTEM_FIELDS.get(key) or module.field(key)
        assert spec is not None
        cells.append(csv_cell(spec, column_cell(spec, table.c[key])))
    return tuple(keys), joined(cells)


def _compiled(expression: ColumnElement[Any]) -> str:
    return str(expression.compile(dialect=_DIALECT, compile_kwargs={"literal_binds": True}))


@cache
def postgres_line(module_name: str) -> PostgresLine | None:
    """The module's stored line, or None for a module with line items (see the docstring)."""
    module = MODULES[module_name]
    if module.line_items:
        return None
    table = MODULE_TABLES[module_name]
    columns, over_table = _line(module, table)
    _columns, over_new = _line(module, table.alias("new"))
    sql = _compiled(over_table)
    body = _FUNCTION_BODY.format(column=EXPORT_LINE_COLUMN, line=_compiled(over_new))
    return PostgresLine(
        column=EXPORT_LINE_COLUMN,
        columns=columns,
        sql=sql,
        function_body=body,
        trigger=trigger_name(module_name, (sql, body)),
    )


# Pins DateStyle, what the text of the date-times depends on: the line is the same whichever
# session writes it.
_FUNCTION_BODY = (
    "RETURNS trigger LANGUAGE plpgsql SET DateStyle TO 'ISO' AS $line$ "
    "BEGIN NEW.{column} := {line}; RETURN NEW; END $line$"
)


def lines_statement(
    schema: RecordSchema, table: Table, columns: list[str], matching: Select[Any]
) -> Select[Any]:
    """The export as one column: each record's line, then the cells it does not hold (custom
    fields), computed. The columns start with the whole line (PostgresLine.holds_first)."""
    line = postgres_line(schema.name)
    assert line is not None
    assert line.holds_first(columns)
    cells = [stored_or_computed(schema.name, line.sql)]  # computed: DateStyle ISO, set by COPY
    for key in columns[len(line.columns) :]:
        spec = schema.field(key)
        assert spec is not None
        cells.append(csv_cell(spec, export_cell(schema, table, key)))
    return matching.with_only_columns(joined(cells))


async def lines_are_current(session: AsyncSession, module_name: str) -> bool:
    """Whether the module's stored lines are this code's: its trigger is in place, enabled."""
    line = postgres_line(module_name)
    return line is not None and await trigger_is_enabled(session, line.trigger)
