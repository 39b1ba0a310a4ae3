"""What the stored CSV lines of both backends share (sqlite_lines.py, postgres_lines.py): cells
joined into a line in SQL, the triggers' names, and what an export selects."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, func, literal, literal_column, type_coerce
from sqlalchemy.sql.elements import ColumnElement

from finite.crm import derived_text
from finite.crm.modules.tables import EXPORT_LINE_COLUMN, MODULE_TABLES

TRIGGER_MARK = "_export_line_"  # in every line trigger's name, after its table's


def joined(cells: list[ColumnElement[Any]]) -> ColumnElement[str]:
    """CSV cells joined by commas into (part of) a line."""
    line = cells[0]
    for cell in cells[1:]:
        line = line.op("||")(literal(",")).op("||")(cell)
    return type_coerce(line, String())


def trigger_name(module_name: str, sources: tuple[str, ...], kind: str = "") -> str:
    """A line trigger's name: its table, the mark, its kind, and a hash of what makes the line
    (another format, another name)."""
    return derived_text.trigger_name(module_name, f"{TRIGGER_MARK}{kind}", sources)


def stored_or_computed(module_name: str, line_sql: str) -> ColumnElement[str]:
    """What an export selects: the stored line, or the same line computed where none is stored."""
    table = MODULE_TABLES[module_name].name
    stored = literal_column(f"{table}.{EXPORT_LINE_COLUMN}", String())
    return type_coerce(func.coalesce(stored, literal_column(f"({line_sql})")), String())
