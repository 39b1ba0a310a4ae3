"""A calendar date, YYYY-MM-DD."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Date, String, Text, cast, func, literal, type_coerce
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeEngine

from finite.crm.modules.kinds.base import ORDERING, FieldKind, InvalidValue, SampleMaker
from finite.crm.modules.kinds.numeric import lenient_reader

if TYPE_CHECKING:
    from finite.crm.modules.fields import Field

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def json_string(text: ColumnElement[Any]) -> ColumnElement[str]:
    """Text that needs no JSON escaping, as a JSON string."""
    return type_coerce(literal('"').op("||")(text).op("||")(literal('"')), String())


class CalendarDate(FieldKind):
    name = "date"
    order = 100
    operators = ORDERING

    def column_type(self, spec: Field) -> TypeEngine[Any] | None:
        return Date()

    def convert(self, spec: Field, value: Any) -> Any:
        if not isinstance(value, str) or not _DATE.match(value):
            raise InvalidValue("must be a date as YYYY-MM-DD")
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise InvalidValue("must be a real calendar date") from None

    def json_reader(self, spec: Field) -> Callable[[Any], Any]:
        return lenient_reader(self, spec)

    def postgres_json(self, value: ColumnElement[Any]) -> ColumnElement[str] | None:
        return json_string(func.to_char(value, "YYYY-MM-DD"))

    def sqlite_cell(self, column: ColumnElement[Any]) -> ColumnElement[Any] | None:
        return cast(column, Text)

    def openapi(self, spec: Field) -> dict[str, Any]:
        return {"type": "string", "format": "date"}

    def sample(self, spec: Field) -> SampleMaker | None:
        return lambda i, rng, who: date(2025, 1, 1) + timedelta(days=i % 365)
