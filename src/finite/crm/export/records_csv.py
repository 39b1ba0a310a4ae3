"""Stream a module's records as CSV: the list's filters, search, sort and fields; flat memory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from finite.crm.export.csv_format import header_chunk, text_lines, text_rows_chunk
from finite.crm.export.postgres_copy import copy_statement, stream_copy
from finite.crm.export.sqlite_cells import SqliteCells
from finite.crm.export.sqlite_lines import lines_are_current, read_expression, stored_line
from finite.crm.query.build import list_select
from finite.crm.query.grammar import ListQuery
from finite.crm.records import repository
from finite.crm.records.schema import RecordSchema
from finite.crm.records.serialize import SYSTEM_OUTPUT
from finite.kit.db import Database
from finite.kit.fast_read import sqlite_batches

BATCH_ROWS = 2000


def export_columns(schema: RecordSchema, query: ListQuery) -> list[str]:
    every = [*SYSTEM_OUTPUT, *(f.key for f in schema.all_fields)]
    if query.fields is None:
        return every
    wanted = {"id", *query.fields}
    return [key for key in every if key in wanted]


async def stream_csv(
    db: Database, schema: RecordSchema, org_id: str, query: ListQuery
) -> AsyncIterator[bytes]:
    """SQLite: header, then rows in batches read through one cursor. Every field of a module
    with stored lines: each record's line as stored (see sqlite_lines.py), its custom cells
    appended; otherwise cells computed by SQLite (see sqlite_cells.py)."""
    columns = export_columns(schema, query)
    yield header_chunk(columns)
    table = repository.table(schema.name)
    statement = list_select("sqlite", table, schema.name, org_id, query)
    async with db.read(snapshot=True) as session:
        line = stored_line(schema.name) if query.fields is None else None
        if line is not None and await lines_are_current(session, schema.name):
            custom = SqliteCells(schema, table, columns[len(line.columns) :])
            statement = statement.with_only_columns(
                *custom.expressions, read_expression(schema.name, table)
            )
            async for batch in sqlite_batches(session, statement, BATCH_ROWS):
                yield _stored_lines_chunk(batch, custom)
            return
        cells = SqliteCells(schema, table, columns)
        statement = statement.with_only_columns(*cells.expressions)
        async for batch in sqlite_batches(session, statement, BATCH_ROWS):
            lines_of: dict[int, list[repository.LineRow]] = {}
            if cells.items:
                ids = [row[cells.id_at] for row in batch]
                lines_of = await repository.lines_of(session, org_id, schema.name, ids)
            yield text_rows_chunk(cells.rows(batch, lines_of), cells.width)


def _stored_lines_chunk(batch: Sequence[Sequence[Any]], custom: SqliteCells) -> bytes:
    """Each row's stored line (its last column) and, after it, its custom cells."""
    if custom.width:
        ends = text_lines(custom.rows(batch, {}), custom.width, whole_rows=False)
        lines = [f"{row[-1]},{end}" for row, end in zip(batch, ends, strict=True)]
    else:
        lines = [row[-1] for row in batch]
    lines.append("")  # the last row's line end
    return "\r\n".join(lines).encode()


def postgres_csv(
    db: Database, schema: RecordSchema, org_id: str, query: ListQuery
) -> AsyncIterator[bytes]:
    """The same CSV, written by PostgreSQL itself (see postgres_copy.py)."""
    table = repository.table(schema.name)
    matching = list_select("postgresql", table, schema.name, org_id, query)
    columns = export_columns(schema, query)
    return stream_copy(db, copy_statement(schema, table, columns, matching))
