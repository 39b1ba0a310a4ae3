"""Stream a module's records as CSV: the list's filters, search, sort and fields; flat memory."""

from __future__ import annotations

from collections.abc import AsyncIterator

from finite.crm.engine import CrmEngine
from finite.crm.export import postgres_lines
from finite.crm.export.csv_format import header_chunk
from finite.crm.export.postgres_copy import copy_statement, stream_copy
from finite.crm.export.sqlite_cells import SqliteCells
from finite.crm.export.sqlite_lines import lines_are_current, stored_line
from finite.crm.export.stored_rows import StoredRows, worth_reading
from finite.crm.modules.schema import RecordSchema
from finite.crm.records import repository
from finite.crm.records.query.build import first_segments, list_select, page_parts
from finite.crm.records.query.grammar import ListQuery
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
    engine: CrmEngine, db: Database, schema: RecordSchema, org_id: str, query: ListQuery
) -> AsyncIterator[bytes]:
    """SQLite: header, then rows in batches read through one cursor: made from each record's
    stored line (see stored_rows.py) or, for a few fields or where the lines are not this
    code's, from cells computed by SQLite (see sqlite_cells.py)."""
    columns = export_columns(schema, query)
    yield header_chunk(columns)
    table = repository.table(schema.name)
    statement = list_select(engine, table, schema.name, org_id, query)
    async with db.read(snapshot=True) as session:
        line = stored_line(schema.name)
        rows: StoredRows | SqliteCells
        if worth_reading(columns, line) and await lines_are_current(session, schema.name):
            rows = StoredRows(schema, table, columns, line)
        else:
            rows = SqliteCells(schema, table, columns)
        statement = statement.with_only_columns(*rows.expressions)
        async for batch in sqlite_batches(session, statement, BATCH_ROWS):
            lines: dict[int, list[repository.LineRow]] = {}
            if rows.items:
                ids = [row[rows.id_at] for row in batch]
                lines = await repository.lines_of(session, org_id, schema.name, ids)
            yield rows.chunk(batch, lines)


async def postgres_csv(
    engine: CrmEngine, db: Database, schema: RecordSchema, org_id: str, query: ListQuery
) -> AsyncIterator[bytes]:
    """The same CSV, written by PostgreSQL itself: each record's stored line and the custom
    cells after it (see postgres_lines.py) when the export starts with the whole line and the
    lines are this code's, else every cell computed (see postgres_copy.py)."""
    table = repository.table(schema.name)
    matching = list_select(engine, table, schema.name, org_id, query)
    # Read in segments where one index scan cannot give the order (build.first_segments): a
    # COPY of `sort=-value` sorted every match instead.
    parts = page_parts(table, query.sort, matching, matching, first_segments(table, query.sort))
    columns = export_columns(schema, query)
    line = postgres_lines.postgres_line(schema.name)
    if line is not None and line.holds_first(columns):
        async with db.read() as session:
            current = await postgres_lines.lines_are_current(session, schema.name)
        if current:
            yield header_chunk(columns)
            statements = [
                postgres_lines.lines_statement(schema, table, columns, part) for part in parts
            ]
            async for chunk in stream_copy(db, statements, lines=True):
                yield chunk
            return
    statements = [copy_statement(schema, table, columns, part) for part in parts]
    async for chunk in stream_copy(db, statements):
        yield chunk
