"""A whole number (BIGINT)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, Text, cast
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeEngine

from finite.crm.modules.kinds.base import ORDERING, FieldKind, InvalidValue, SampleMaker

if TYPE_CHECKING:
    from finite.crm.modules.fields import Field

MAX_INTEGER = 2**63 - 1
_WHOLE = re.compile(r"-?\d{1,19}")


class Integer(FieldKind):
    name = "integer"
    order = 60
    operators = ORDERING
    cursor_type = int

    def column_type(self, spec: Field) -> TypeEngine[Any] | None:
        return BigInteger()

    def custom_column(self, value: Any) -> ColumnElement[Any]:
        extracted: ColumnElement[Any] = value.as_numeric(19, 0)
        return extracted

    def convert(self, spec: Field, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidValue("must be an integer")
        if abs(value) > MAX_INTEGER:
            raise InvalidValue("is out of range")
        return value

    def from_query(self, spec: Field, text: str) -> Any:
        if not _WHOLE.fullmatch(text):
            raise InvalidValue("must be a whole number")
        return self.convert(spec, int(text))

    def from_csv(self, spec: Field, text: str) -> Any:
        if not _WHOLE.fullmatch(text.strip()):
            raise InvalidValue("must be a whole number")
        return int(text)

    def sqlite_cell(self, column: ColumnElement[Any]) -> ColumnElement[Any] | None:
        return cast(column, Text)

    def openapi(self, spec: Field) -> dict[str, Any]:
        return {"type": "integer"}

    def sample(self, spec: Field) -> SampleMaker | None:
        return lambda i, rng, who: 1 + i % 10_000
