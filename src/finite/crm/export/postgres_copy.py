"""The PostgreSQL export path: the server writes the CSV itself (COPY … TO STDOUT).

Python formatting costs tens of microseconds a row; COPY streams 100k to 150k rows a second on a
2-core machine (docs/performance.md). Every cell is computed in SQL to match the API's values
(csv_format.cell), as on SQLite: ISO date-times, exact decimals, true/false, JSON for lists and
line items, and the injection escape on text. Filters, search and order are the list's own
statement.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import Select, Table, Text, cast, func, literal, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.elements import ColumnElement

from finite.crm.modules.fields import Field
from finite.crm.modules.schema import SYSTEM_FIELDS, RecordSchema
from finite.kit.db import Database
from finite.models.crm import LineItem

_QUEUE_CHUNKS = 16  # back-pressure: COPY waits while the client is slower than the database
# The driver hands over COPY data as it arrives (~18 KB at a time); each piece sent on its own
# cost the server more than the data itself (at 1M rows: ~19k sends). Joined to 256 KB: ~1.3k.
_CHUNK_BYTES = 256 * 1024
# DateStyle: what the date-time cells read (kinds/datetime.iso_utc). JIT: an export's plan
# costs far past jit_above_cost, and PostgreSQL compiled its expressions in each process of the
# parallel plan: for the stored lines (postgres_lines.py) the fallback line, never evaluated,
# ~2.4 s of CPU at 1M leads against a 1.5 s export; for computed cells the compiling about
# cancelled out what it saved.
_SETTINGS = "SET LOCAL DateStyle TO 'ISO'; SET LOCAL jit TO off"


def _items(table: Table) -> ColumnElement[Any]:
    line = LineItem.__table__
    lines = (
        select(
            func.json_agg(
                postgresql.aggregate_order_by(
                    func.json_build_object(
                        *(item for key in _ITEM_KEYS for item in (key, line.c[key]))
                    ),
                    line.c.position,
                )
            )
        )
        .where(
            line.c.org_id == table.c.org_id,
            line.c.module == literal(table.name.removeprefix("crm_")),
            line.c.record_id == table.c.id,
        )
        .scalar_subquery()
    )
    return func.coalesce(cast(lines, Text), "[]")


_ITEM_KEYS = (
    "product_id",
    "description",
    "quantity",
    "list_price",
    "discount",
    "tax_rate",
    "amount",
    "tax",
    "total",
)


def column_cell(spec: Field, column: ColumnElement[Any]) -> ColumnElement[Any]:
    """A system or standard field's cell from its column (the field's kind says how)."""
    return spec.kind.postgres_cell(column, custom=False)


def export_cell(schema: RecordSchema, table: Table, key: str) -> ColumnElement[Any]:
    """Any exported column's cell: line items, a custom field, a system or standard field."""
    if key == "items" and schema.module.line_items:
        return _items(table)
    custom = next((spec for spec in schema.custom if spec.key == key), None)
    if custom is not None:
        value = custom.kind.postgres_custom_text(table.c.custom[key])
        return custom.kind.postgres_cell(value, custom=True)
    standard = SYSTEM_FIELDS.get(key) or schema.module.field(key)
    assert standard is not None
    return column_cell(standard, table.c[key])


def copy_statement(
    schema: RecordSchema, table: Table, columns: list[str], matching: Select[Any]
) -> Select[Any]:
    return matching.with_only_columns(
        *(export_cell(schema, table, key).label(key) for key in columns)
    )


async def stream_copy(
    db: Database, statement: Select[Any] | Sequence[Select[Any]], *, lines: bool = False
) -> AsyncIterator[bytes]:
    """COPY (statement) TO STDOUT with CRLF line ends, through a bounded queue: as CSV with a
    header, or (`lines`) a statement of one column holding each row's CSV line, without one.
    Several statements (a list read in segments: build.page_parts) are copied one after
    another from one snapshot, as one CSV."""
    statements = [statement] if isinstance(statement, Select) else list(statement)
    sqls = [
        str(each.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}))
        for each in statements
    ]
    queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=_QUEUE_CHUNKS)
    to_crlf: LineEnds | TextLines = TextLines() if lines else LineEnds()
    options: dict[str, Any] = {"format": "text"} if lines else {"format": "csv", "header": True}

    async def produce() -> None:
        pending: list[bytes] = []
        size = 0

        async def output(data: bytes) -> None:
            nonlocal size
            pending.append(data)
            size += len(data)
            if size >= _CHUNK_BYTES:
                await queue.put(to_crlf(b"".join(pending)))
                pending.clear()
                size = 0

        try:
            async with db.engine.connect() as connection:
                raw = await connection.get_raw_connection()
                driver = raw.driver_connection
                assert driver is not None
                isolation = "repeatable_read" if len(sqls) > 1 else "read_committed"
                async with driver.transaction(isolation=isolation, readonly=True):
                    await driver.execute(_SETTINGS)
                    for at, sql in enumerate(sqls):
                        once = {**options, "header": False} if at and not lines else options
                        await driver.copy_from_query(sql, output=output, **once)
            if pending:
                await queue.put(to_crlf(b"".join(pending)))
        finally:  # also when COPY fails: the consumer stops waiting and raises its error
            await queue.put(None)

    task = asyncio.create_task(produce())
    try:
        while (chunk := await queue.get()) is not None:
            yield chunk
        await task
    finally:
        if not task.done():
            task.cancel()


class LineEnds:
    """PostgreSQL ends CSV records with LF; RFC 4180 wants CRLF. A newline is a record end when
    it lies outside quotes, so track quote parity across chunks and rewrite only those."""

    def __init__(self) -> None:
        self.inside_quotes = False

    def __call__(self, chunk: bytes) -> bytes:
        parts = chunk.split(b'"')
        for index in range(len(parts)):
            outside = (index % 2 == 0) != self.inside_quotes
            if outside and b"\n" in parts[index]:
                parts[index] = parts[index].replace(b"\n", b"\r\n")
        if len(parts) % 2 == 0:  # an odd number of quotes flips the state for the next chunk
            self.inside_quotes = not self.inside_quotes
        return b'"'.join(parts)


class TextLines:
    """COPY's text format sends a value a row, ended by LF, its backslashes and control
    characters escaped by a backslash: undone here, and the row ends made CRLF. An escape cut
    by a chunk's end waits for the next chunk."""

    def __init__(self) -> None:
        self.held = b""

    def __call__(self, chunk: bytes) -> bytes:
        chunk = self.held + chunk
        self.held = b""
        if b"\\" not in chunk:
            return chunk.replace(b"\n", b"\r\n")
        if (len(chunk) - len(chunk.rstrip(b"\\"))) % 2:
            self.held, chunk = chunk[-1:], chunk[:-1]
        return _ESCAPED.sub(_unescaped, chunk.replace(b"\n", b"\r\n"))


_ESCAPED = re.compile(rb"\\(.)", re.DOTALL)
_ESCAPES = {b"b": b"\b", b"f": b"\f", b"n": b"\n", b"r": b"\r", b"t": b"\t", b"v": b"\v"}


def _unescaped(match: re.Match[bytes]) -> bytes:
    escaped = match.group(1)
    return _ESCAPES.get(escaped, escaped)
