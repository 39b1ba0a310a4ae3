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
`sync_export_lines` replaces a table's trigger whose hash is not the code's and rewrites every
line, in the migration's transaction. An export reads the lines only while this code's trigger
is there and enabled, and computes a line that is missing.
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
    text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import FromClause

from finite.crm.export.line_sql import TRIGGER_MARK, joined, stored_or_computed, trigger_name
from finite.crm.export.postgres_copy import column_cell, export_cell
from finite.crm.modules.definitions import MODULES
from finite.crm.modules.fields import TEXTUAL_TYPES, Field, FieldType, Module
from finite.crm.modules.tables import EXPORT_LINE_COLUMN, MODULE_TABLES, SYSTEM_COLUMNS
from finite.crm.query.grammar import SYSTEM_FIELDS
from finite.crm.records.schema import RecordSchema

_DIALECT: Dialect = postgresql.dialect()  # type: ignore[no-untyped-call]


@dataclass(frozen=True, slots=True)
class PostgresLine:
    """A module's line: the columns it holds, its SQL over the table, the body of the trigger's
    function, and the name of the trigger and its function."""

    columns: tuple[str, ...]
    sql: str
    function_body: str
    trigger: str

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
    if spec.type in TEXTUAL_TYPES or spec.type in _JSON_TYPES:
        return quoted(cell)
    return func.coalesce(cell, "")


_JSON_TYPES = (FieldType.MULTI_PICKLIST, FieldType.LINE_ITEMS)


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
        columns=columns, sql=sql, function_body=body, trigger=trigger_name(module_name, (sql, body))
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
    if line is None:
        return False
    found = await session.execute(
        text(
            "SELECT count(*) FROM pg_trigger "
            "WHERE tgname = :name AND NOT tgisinternal AND tgenabled <> 'D'"
        ),
        {"name": line.trigger},
    )
    return bool(found.scalar_one() == 1)


def sync_export_lines(connection: Connection) -> None:
    """Bring every module table's line column, function and trigger up to date with this code,
    rewriting the lines of a table whose trigger changes. Run inside the migration's
    transaction; tables not (or no longer) there are skipped; with nothing to change it reads
    the catalogue twice."""
    existing: dict[str, set[str]] = {}
    for table_name, trigger in connection.execute(
        text(
            "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND pg_table_is_visible(c.oid) "
            "AND position(:mark IN t.tgname) > 0"
        ),
        {"mark": TRIGGER_MARK},
    ):
        existing.setdefault(table_name, set()).add(trigger)
    tables = {
        name
        for (name,) in connection.exec_driver_sql(
            "SELECT relname FROM pg_class WHERE relkind = 'r' AND pg_table_is_visible(oid)"
        )
    }
    for module_name in MODULES:
        line = postgres_line(module_name)
        table = MODULE_TABLES[module_name].name
        if line is None or table not in tables:
            continue
        triggers = existing.get(table, set())
        if triggers == {line.trigger}:
            continue
        _replace(connection, table, line, triggers)


def _replace(connection: Connection, table: str, line: PostgresLine, old: set[str]) -> None:
    # Identifiers and the line's SQL come from the registry; no user input reaches this DDL.
    for name in old:
        connection.exec_driver_sql(f"DROP TRIGGER {name} ON {table}")
        connection.exec_driver_sql(f"DROP FUNCTION IF EXISTS {name}()")
    connection.exec_driver_sql(
        f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {EXPORT_LINE_COLUMN} text"
    )
    connection.exec_driver_sql(f"CREATE OR REPLACE FUNCTION {line.trigger}() {line.function_body}")
    watched = ", ".join(line.columns)
    connection.exec_driver_sql(
        f"CREATE TRIGGER {line.trigger} BEFORE INSERT OR UPDATE OF {watched} ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {line.trigger}()"
    )
    _rewrite_lines(connection, table, line)


def _rewrite_lines(connection: Connection, table: str, line: PostgresLine) -> None:
    """Every row gets its line. Each updated row is a new row version, which every index of the
    table takes in as well: on a big table the indexes (but those of its constraints) are
    dropped first and built again after: 1.1M leads took 6.5 min with them in place, and left
    the indexes 40 % bigger."""
    connection.exec_driver_sql("SET LOCAL DateStyle TO 'ISO'")  # the migration's transaction
    named = {"table": table}
    estimated_rows = connection.execute(
        text("SELECT reltuples FROM pg_class WHERE oid = CAST(:table AS regclass)"), named
    ).scalar_one()
    indexes: list[tuple[str, str]] = []
    if estimated_rows >= _REBUILD_INDEXES_FROM_ROWS:
        indexes = [
            (name, definition)
            for name, definition in connection.execute(
                text(
                    "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
                    "JOIN pg_class i ON i.oid = x.indexrelid "
                    "WHERE x.indrelid = CAST(:table AS regclass) AND NOT EXISTS "
                    "(SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)"
                ),
                named,
            )
        ]
    for name, _definition in indexes:
        connection.exec_driver_sql(f"DROP INDEX {name}")
    connection.exec_driver_sql(f"UPDATE {table} SET {EXPORT_LINE_COLUMN} = {line.sql}")  # noqa: S608
    if indexes:
        connection.exec_driver_sql("SET LOCAL maintenance_work_mem TO '256MB'")
    for _name, definition in indexes:
        connection.exec_driver_sql(definition)


_REBUILD_INDEXES_FROM_ROWS = 50_000
