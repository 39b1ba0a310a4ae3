"""Opaque keyset cursors: the sort they belong to, and the last row's sort value and id."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from finite.crm.records.query.grammar import Sort
from finite.kit import paging
from finite.kit.errors import invalid_field

SYSTEM_TEXT = frozenset({"created_by", "owner"})  # member ids: any text


def encode_cursor(sort: Sort, value: Any, record_id: int) -> str:
    if isinstance(value, Decimal | date | datetime):
        value = value.isoformat() if isinstance(value, date | datetime) else str(value)
    return paging.encode_cursor(sort.token, value, record_id)


def decode_cursor(sort: Sort, cursor: str) -> tuple[Any, int]:
    """(last sort value, last id); 400 when the cursor is damaged or made for another sort."""
    try:
        position = paging.decode_cursor(cursor, sort.token)
        if position is None:
            raise ValueError("not a cursor of this sort")
        value, record_id = position
        if type(record_id) is not int or not 1 <= record_id < 2**63:
            raise ValueError("not an id")
        return _typed(sort, value), record_id
    except Exception:  # noqa: BLE001 - whatever is wrong with a cursor, it is the caller's 400
        raise invalid_field("cursor", "is not a cursor from this list with this sort") from None


def _typed(sort: Sort, value: Any) -> Any:
    """The value back in its field's stored form, checked like any input of that field."""
    if value is None:
        return None
    kind = sort.field.kind
    if type(value) is not kind.cursor_type:
        raise ValueError(f"expected {kind.cursor_type.__name__}")
    return value if sort.field.key in SYSTEM_TEXT else kind.convert(sort.field, value)
