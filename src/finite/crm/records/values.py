"""Check and convert one field value from JSON to its stored Python form, or say why not."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from finite.crm.modules.columns import NUMERIC_SHAPES
from finite.crm.modules.fields import Field, FieldType
from finite.kit.validate import EMAIL

_PHONE = re.compile(r"^\+?[0-9 ().\-/]+((x|ext\.?)\s?[0-9]+)?$", re.IGNORECASE)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MAX_INTEGER = 2**63 - 1


class InvalidValue(Exception):
    """The reason a value does not fit its field, in words for the API caller."""


def convert(field: Field, value: Any) -> Any:
    """The stored form of a non-null value; raises InvalidValue."""
    kind = field.type
    if kind in (FieldType.TEXT, FieldType.LONG_TEXT):
        return _text(field, value)
    if kind == FieldType.EMAIL:
        email = _text(field, value).lower()
        if not EMAIL.match(email):
            raise InvalidValue("must be a valid email address")
        return email
    if kind == FieldType.PHONE:
        phone = _text(field, value)
        if not _PHONE.match(phone) or sum(char.isdigit() for char in phone) < 3:
            raise InvalidValue("must be a phone number (digits, spaces, + ( ) - . /)")
        return phone
    if kind == FieldType.URL:
        return _url(field, value)
    if kind == FieldType.PICKLIST:
        return _choice(field, value)
    if kind == FieldType.MULTI_PICKLIST:
        if not isinstance(value, list):
            raise InvalidValue("must be a list of values")
        chosen: list[str] = []
        for item in value:
            canonical = _choice(field, item)
            if canonical not in chosen:
                chosen.append(canonical)
        return chosen
    if kind in (FieldType.INTEGER, FieldType.LOOKUP):
        return _integer(value, positive=kind == FieldType.LOOKUP)
    if kind in NUMERIC_SHAPES:
        return _number(field, value)
    if kind == FieldType.BOOLEAN:
        if not isinstance(value, bool):
            raise InvalidValue("must be true or false")
        return value
    if kind == FieldType.DATE:
        return _date(value)
    if kind == FieldType.DATETIME:
        return _datetime(value)
    raise InvalidValue("cannot be set directly")


def _text(field: Field, value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidValue("must be a string")
    cleaned = value.strip()
    limit = field.length_limit
    if limit is not None and len(cleaned) > limit:
        raise InvalidValue(f"must be at most {limit} characters")
    if "\x00" in cleaned:
        raise InvalidValue("must not contain NUL characters")
    return cleaned


def _url(field: Field, value: Any) -> str:
    text = _text(field, value)
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in text:
        raise InvalidValue("must be an http:// or https:// URL")
    return text


def _choice(field: Field, value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidValue("must be a string")
    for option in field.options:
        if option == value or option.casefold() == value.strip().casefold():
            return option
    raise InvalidValue(f"must be one of: {', '.join(field.options)}")


def _integer(value: Any, *, positive: bool) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValue(
            "must be a record id (a positive integer)" if positive else "must be an integer"
        )
    if abs(value) > _MAX_INTEGER or (positive and value < 1):
        raise InvalidValue(
            "must be a record id (a positive integer)" if positive else "is out of range"
        )
    return value


def _number(field: Field, value: Any) -> Decimal:
    precision, scale = NUMERIC_SHAPES[field.type]
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidValue("must be a number")
    try:
        number = Decimal(repr(value) if isinstance(value, float) else str(value).strip())
    except InvalidOperation:
        raise InvalidValue("must be a number") from None
    if not number.is_finite():
        raise InvalidValue("must be a finite number")
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > scale:
        raise InvalidValue(f"must have at most {scale} decimal places")
    if abs(number) >= Decimal(10) ** (precision - scale):
        raise InvalidValue(f"must be less than {10 ** (precision - scale):,} in size")
    if field.type == FieldType.PERCENT and not 0 <= number <= 100:
        raise InvalidValue("must be between 0 and 100")
    return number.quantize(Decimal(1).scaleb(-scale))


def _date(value: Any) -> date:
    if not isinstance(value, str) or not _DATE.match(value):
        raise InvalidValue("must be a date as YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidValue("must be a real calendar date") from None


def _datetime(value: Any) -> datetime:
    if not isinstance(value, str):
        raise InvalidValue("must be a date-time string (ISO 8601 with a time zone)")
    try:
        moment = datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError:
        raise InvalidValue("must be a date-time string (ISO 8601 with a time zone)") from None
    if moment.tzinfo is None:
        raise InvalidValue("must include a time zone, e.g. 2026-06-12T10:30:00Z")
    return moment
