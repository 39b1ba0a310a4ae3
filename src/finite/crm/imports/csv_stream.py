"""Rows of a CSV file read from a stream of bytes, a batch at a time, with flat memory.

The stream is cut only at a line end outside quotes (an even number of quote characters since
the last cut: RFC 4180 doubles a quote inside a quoted cell), so a cell holding a line break is
never split; each complete piece goes through the csv module. UTF-8, with or without a BOM.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import AsyncIterator

from finite.kit.errors import AppError, invalid_field

MAX_PENDING_CHARS = 16 * 1024 * 1024  # the longest row (a quoted cell may hold line breaks)


def csv_problem(reason: str) -> AppError:
    return invalid_field("body", reason)


async def csv_batches(
    body: AsyncIterator[bytes], batch_rows: int
) -> AsyncIterator[list[list[str]]]:
    """Every record of the file, the header first, in batches of `batch_rows` (an empty line
    is an empty row, so a row's place is its number in the file). Raises a 400 naming `body`."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    pending = ""
    batch: list[list[str]] = []
    read = 0  # records so far, for the row number in an error
    async for data in body:
        text = pending + _decoded(decoder, data, read)
        cut = _last_boundary(text)
        if cut < 0:
            if len(text) > MAX_PENDING_CHARS:
                raise csv_problem(f"row {read + 1} is longer than {MAX_PENDING_CHARS:,} characters")
            pending = text
            continue
        pending = text[cut + 1 :]
        for row in _records(text[: cut + 1], read):
            batch.append(row)
            read += 1
            if len(batch) == batch_rows:
                yield batch
                batch = []
    tail = pending + _decoded(decoder, b"", read, final=True)
    if tail:
        for row in _records(tail, read):
            batch.append(row)
            read += 1
            if len(batch) == batch_rows:
                yield batch
                batch = []
    if batch:
        yield batch


def _decoded(
    decoder: codecs.IncrementalDecoder, data: bytes, read: int, *, final: bool = False
) -> str:
    try:
        return str(decoder.decode(data, final))
    except UnicodeDecodeError:
        raise csv_problem(f"is not UTF-8 text (near row {read + 1})") from None


def _last_boundary(text: str) -> int:
    """The last line end that ends a record: -1 when none does yet."""
    position = text.rfind("\n")
    while position >= 0:
        if text.count('"', 0, position) % 2 == 0:
            return position
        position = text.rfind("\n", 0, position)
    return -1


def _records(text: str, read: int) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text), strict=True)
    rows: list[list[str]] = []
    try:
        rows.extend(reader)
    except csv.Error as error:
        raise csv_problem(f"row {read + len(rows) + 1} is not valid CSV: {error}") from None
    return rows
