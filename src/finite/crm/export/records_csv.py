"""Stream a module's records as CSV: the list's filters, search, sort and fields; flat memory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from sqlalchemy.engine import RowMapping

from finite.crm.export.csv_format import cell, csv_chunk, header_chunk
from finite.crm.export.postgres_copy import copy_statement, stream_copy
from finite.crm.query.build import list_select
from finite.crm.query.grammar import ListQuery
from finite.crm.records import repository
from finite.crm.records.schema import RecordSchema
from finite.crm.records.serialize import SYSTEM_OUTPUT, custom_from_json, line_out
from finite.kit.db import Database, dialect_name
from finite.models.crm import LineItem

BATCH_ROWS = 2000


def export_columns(schema: RecordSchema, query: ListQuery) -> list[str]:
    every = [*SYSTEM_OUTPUT, *(f.key for f in schema.all_fields)]
    if query.fields is None:
        return every
    wanted = {"id", *query.fields}
    return [key for key in every if key in wanted]


class RowFormatter:
    """Turns one stored row (and its line items) into the CSV cells of the chosen columns."""

    def __init__(self, schema: RecordSchema, columns: list[str]) -> None:
        self.columns = columns
        custom = {spec.key: spec for spec in schema.custom}
        self.custom = [(key, custom[key]) for key in columns if key in custom]
        self.items = "items" in columns and schema.module.line_items
        self.plain = [
            key
            for key in columns
            if key not in custom and not (key == "items" and schema.module.line_items)
        ]
        self.positions = {key: index for index, key in enumerate(columns)}

    def __call__(self, row: RowMapping, lines: Sequence[LineItem]) -> list[str]:
        cells = [""] * len(self.columns)
        positions = self.positions
        for key in self.plain:
            cells[positions[key]] = cell(row[key])
        if self.custom:
            stored = row["custom"] or {}
            for key, spec in self.custom:
                cells[positions[key]] = cell(custom_from_json(spec, stored.get(key)))
        if self.items:
            cells[positions["items"]] = cell([line_out(line) for line in lines])
        return cells


async def stream_csv(
    db: Database, schema: RecordSchema, org_id: str, query: ListQuery
) -> AsyncIterator[bytes]:
    """Header, then rows in batches read through a server-side cursor."""
    columns = export_columns(schema, query)
    formatter = RowFormatter(schema, columns)
    yield header_chunk(columns)
    async with db.read(snapshot=True) as session:
        table = repository.table(schema.name)
        statement = list_select(dialect_name(session), table, schema.name, org_id, query)
        result = await session.stream(statement.execution_options(yield_per=BATCH_ROWS))
        async for batch in result.mappings().partitions(BATCH_ROWS):
            lines: dict[int, list[LineItem]] = {}
            if formatter.items:
                ids = [row["id"] for row in batch]
                lines = await repository.lines_of(session, org_id, schema.name, ids)
            yield csv_chunk(formatter(row, lines.get(row["id"], [])) for row in batch)


def postgres_csv(
    db: Database, schema: RecordSchema, org_id: str, query: ListQuery
) -> AsyncIterator[bytes]:
    """The same CSV, written by PostgreSQL itself (see postgres_copy.py)."""
    table = repository.table(schema.name)
    matching = list_select("postgresql", table, schema.name, org_id, query)
    columns = export_columns(schema, query)
    return stream_copy(db, copy_statement(schema, table, columns, matching))
