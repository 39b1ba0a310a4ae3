"""SQLite exports read each record's CSV line ready-made: SQLite writes it with the record.

Formatting at export time, even by SQLite, held a 1M-lead export to ~55k rows/s: Python's sqlite3
module builds a str per cell (~0.25 µs each, 29 a lead) and the cell expressions cost as much
again. A stored line is one str per row: reading and joining them ran ~700k rows/s in process.

How: every module table has a column `export_line`, outside the models like the search objects
of migration 0004. Two triggers set it after every insert and every update of a standard column:
the cells SQLite computes (sqlite_cells.sql_cell: the id, system and standard fields but line
items and multi-picklists) joined by commas, each quoted as csv.writer quotes it. Python adds
the rest at export (records_csv.py): custom fields after the line, so defining one rewrites no
line; and, when the export names `fields` or has cells within the line to fill, the line split
into its cells first.

The triggers' names carry a hash of the line's SQL. `sync_export_lines` runs after every
migration (migrations/env.py): when the code's formatting differs from the triggers' (a new
field, a new rule), it recreates them and rewrites every line — 48 s for 1.1M leads on a
2-core machine. An export uses the stored lines only when the hash matches, and computes a line
that is missing (`ifnull`), so no export ever reads a stale one.
Cost: ~450 bytes a lead on disk, and a second write of the row on each change (record creations
and updates through the API measured no slower, interleaved; seeding 15 % slower).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import (
    Table,
    case,
    func,
    literal,
    text,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from finite.crm.export.line_sql import TRIGGER_MARK, joined, stored_or_computed, trigger_name
from finite.crm.export.sqlite_cells import sql_cell
from finite.crm.modules.definitions import MODULES
from finite.crm.modules.fields import Module
from finite.crm.modules.schema import SYSTEM_FIELDS
from finite.crm.modules.tables import EXPORT_LINE_COLUMN, MODULE_TABLES, SYSTEM_COLUMNS


@dataclass(frozen=True, slots=True)
class StoredLine:
    """A module's line: its SQL (for the triggers), the columns it holds, the triggers' names."""

    sql: str
    columns: tuple[str, ...]
    after_insert: str
    after_update: str


def line_cells(module: Module, table: Table) -> list[tuple[str, ColumnElement[Any]]]:
    """The standard cells SQLite computes, in the export's order, as (key, cell): every system
    and standard column but those Python formats (line items, multi-picklists)."""
    cells: list[tuple[str, ColumnElement[Any]]] = []
    for key in (*SYSTEM_COLUMNS, *(field.key for field in module.fields)):
        spec = SYSTEM_FIELDS.get(key) or module.field(key)
        assert spec is not None
        stored = table.c.get(key)
        computed = None if stored is None else sql_cell(spec, stored)
        if stored is None or computed is None:
            continue
        cell: ColumnElement[Any] = func.ifnull(computed, "")
        cells.append((key, _quoted(cell, stored) if spec.kind.csv_quoted else cell))
    return cells


def _quoted(cell: ColumnElement[Any], stored: ColumnElement[Any]) -> ColumnElement[Any]:
    """csv.writer's quoting (QUOTE_MINIMAL): a cell holding a comma, a quote or a line break is
    wrapped in quotes, its quotes doubled. Asked of the stored value (the cell adds at most a
    leading apostrophe), in one GLOB: each test of the cell would compute it again, and the
    triggers' cost grew with it. Numbers, dates and flags never hold such a character."""
    needs_quotes = stored.op("GLOB")(literal('*[,"\n\r]*'))
    quoted = literal('"').op("||")(func.replace(cell, '"', '""')).op("||")(literal('"'))
    return case((needs_quotes, quoted), else_=cell)


@cache
def stored_line(module_name: str) -> StoredLine:
    table = MODULE_TABLES[module_name]
    cells = line_cells(MODULES[module_name], table)
    expression = joined([cell for _key, cell in cells])
    sql = str(expression.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
    return StoredLine(
        sql=sql,
        columns=tuple(key for key, _cell in cells),
        after_insert=trigger_name(module_name, (sql,), "ai_"),
        after_update=trigger_name(module_name, (sql,), "au_"),
    )


def read_expression(module_name: str) -> ColumnElement[str]:
    """What an export selects: the stored line, or the same line computed where none is stored."""
    return stored_or_computed(module_name, stored_line(module_name).sql)


async def lines_are_current(session: AsyncSession, module_name: str) -> bool:
    """Whether the module's stored lines are this code's: its triggers are in place."""
    line = stored_line(module_name)
    found = await session.execute(
        text(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
            "AND name IN (:after_insert, :after_update)"
        ),
        {"after_insert": line.after_insert, "after_update": line.after_update},
    )
    return bool(found.scalar_one() == 2)


def sync_export_lines(connection: Connection) -> None:
    """Bring every module table's line column and triggers up to date with this code, rewriting
    the lines of a table whose triggers change. SQLite only; tables not (or no longer) there are
    skipped. Idempotent: with nothing to change it reads sqlite_master once and stops (every
    `finite` command migrates first)."""
    tables: set[str] = set()
    triggers: dict[str, set[str]] = {}
    for kind, name, table in connection.exec_driver_sql(
        "SELECT type, name, tbl_name FROM sqlite_master WHERE type IN ('table', 'trigger')"
    ):
        if kind == "table":
            tables.add(table)
        elif TRIGGER_MARK in name:
            triggers.setdefault(table, set()).add(name)
    for module_name in MODULES:
        table = MODULE_TABLES[module_name].name
        line = stored_line(module_name)
        existing = triggers.get(table, set())
        if table not in tables or existing == {line.after_insert, line.after_update}:
            continue
        for name in existing:
            connection.exec_driver_sql(f"DROP TRIGGER {name}")
        columns = {row[1] for row in connection.exec_driver_sql(f"PRAGMA table_info({table})")}
        if EXPORT_LINE_COLUMN not in columns:
            connection.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {EXPORT_LINE_COLUMN} TEXT")
        _create_triggers(connection, table, line)
        connection.exec_driver_sql(f"UPDATE {table} SET {EXPORT_LINE_COLUMN} = {line.sql}")  # noqa: S608


def _create_triggers(connection: Connection, table: str, line: StoredLine) -> None:
    # Identifiers and the line's SQL come from the registry; no user input reaches this DDL.
    # The UPDATE sets only the line, which no trigger watches: no recursion, no FTS work.
    refresh = f"UPDATE {table} SET {EXPORT_LINE_COLUMN} = {line.sql} WHERE rowid = new.rowid;"  # noqa: S608
    watched = ", ".join(line.columns)
    connection.exec_driver_sql(
        f"CREATE TRIGGER {line.after_insert} AFTER INSERT ON {table} BEGIN {refresh} END"
    )
    connection.exec_driver_sql(
        f"CREATE TRIGGER {line.after_update} AFTER UPDATE OF {watched} ON {table} "
        f"BEGIN {refresh} END"
    )
