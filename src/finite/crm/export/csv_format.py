"""CSV cells: RFC 4180 via the csv module, values as the API writes them, injection escaped.

A text cell beginning with = + - @ tab or CR is prefixed with a single quote (OWASP), so
spreadsheets show it instead of running it. Numbers, dates and flags are ours and stay as they are.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import msgspec

from finite.kit.exact_json import exact_numbers

DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    return "'" + value if value.startswith(DANGEROUS_FIRST) else value


def cell(value: Any) -> str:
    if value is None:
        return ""
    kind = type(value)
    if kind is str:
        return safe_text(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is Decimal:
        return format(value, "f")
    if kind is datetime or kind is date:
        return str(value.isoformat())
    if kind is int:
        return str(value)
    # lists and objects (multi-picklists, line items) as JSON, itself escaped as text
    return safe_text(msgspec.json.encode(exact_numbers(value)).decode())


def csv_chunk(rows: Iterable[Sequence[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode()


def header_chunk(names: Sequence[str]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(names)
    return buffer.getvalue().encode()
