"""Opaque keyset cursors: the sort they belong to, and the last row's sort value and id."""

from __future__ import annotations

import base64
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from finite.crm.modules.fields import FieldType
from finite.crm.query.grammar import Sort
from finite.kit.errors import invalid_field


def encode_cursor(sort: Sort, value: Any, record_id: int) -> str:
    if isinstance(value, Decimal | date | datetime):
        value = value.isoformat() if isinstance(value, date | datetime) else str(value)
    raw = json.dumps([sort.token, value, record_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(sort: Sort, cursor: str) -> tuple[Any, int]:
    """(last sort value, last id); 400 when the cursor is damaged or made for another sort."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        token, value, record_id = json.loads(raw)
        if token != sort.token or not isinstance(record_id, int):
            raise ValueError("another sort")
        return _typed(sort, value), record_id
    except (ValueError, TypeError):
        raise invalid_field("cursor", "is not a cursor from this list with this sort") from None


def _typed(sort: Sort, value: Any) -> Any:
    if value is None:
        return None
    kind = sort.field.type
    if kind == FieldType.DATETIME:
        return datetime.fromisoformat(value)
    if kind == FieldType.DATE:
        return date.fromisoformat(value)
    if kind in (FieldType.MONEY, FieldType.DECIMAL, FieldType.PERCENT):
        return Decimal(value)
    return value
