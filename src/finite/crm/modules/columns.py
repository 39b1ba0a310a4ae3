"""How each field type is stored, and how precise its numbers are."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, String, Text
from sqlalchemy.types import TypeEngine

from finite.crm.modules.fields import Field, FieldType
from finite.kit.db_types import UTCDateTime
from finite.kit.scaled_decimal import ScaledDecimal

# (precision, scale) of the numeric types: what validation accepts is what storage keeps exactly.
NUMERIC_SHAPES: dict[FieldType, tuple[int, int]] = {
    FieldType.MONEY: (18, 2),
    FieldType.DECIMAL: (18, 4),
    FieldType.PERCENT: (9, 4),
}


def column_type(field: Field) -> TypeEngine[Any] | None:
    """The column type of a field; None for line items, which live in their own table."""
    kind = field.type
    if kind in NUMERIC_SHAPES:
        precision, scale = NUMERIC_SHAPES[kind]
        return ScaledDecimal(precision, scale)
    if kind == FieldType.LONG_TEXT:
        return Text()
    if kind in (FieldType.INTEGER, FieldType.LOOKUP):
        return BigInteger()
    if kind == FieldType.DATE:
        return Date()
    if kind == FieldType.DATETIME:
        return UTCDateTime()
    if kind == FieldType.BOOLEAN:
        return Boolean()
    if kind == FieldType.MULTI_PICKLIST:
        return JSON()
    if kind == FieldType.LINE_ITEMS:
        return None
    return String(field.length_limit or 255)
