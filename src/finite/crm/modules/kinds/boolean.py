"""True or false."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean as BooleanColumn
from sqlalchemy import case, cast
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeEngine

from finite.crm.modules.kinds.base import FieldKind, InvalidValue, SampleMaker

if TYPE_CHECKING:
    from finite.crm.modules.fields import Field


class Boolean(FieldKind):
    name = "boolean"
    order = 120
    operators = ("eq", "ne", "is_null")
    cursor_type = bool

    def column_type(self, spec: Field) -> TypeEngine[Any] | None:
        return BooleanColumn()

    def custom_column(self, value: Any) -> ColumnElement[Any]:
        extracted: ColumnElement[Any] = value.as_boolean()
        return extracted

    def convert(self, spec: Field, value: Any) -> Any:
        if not isinstance(value, bool):
            raise InvalidValue("must be true or false")
        return value

    def from_query(self, spec: Field, text: str) -> Any:
        if text.lower() not in ("true", "false"):
            raise InvalidValue("must be true or false")
        return text.lower() == "true"

    def from_csv(self, spec: Field, text: str) -> Any:
        return self.from_query(spec, text.strip())

    def postgres_cell(self, value: ColumnElement[Any], *, custom: bool) -> ColumnElement[Any]:
        flag = cast(value, postgresql.BOOLEAN) if custom else value
        return case((flag.is_(True), "true"), (flag.is_(False), "false"))

    def sqlite_cell(self, column: ColumnElement[Any]) -> ColumnElement[Any] | None:
        return case((column == 1, "true"), (column == 0, "false"))

    def openapi(self, spec: Field) -> dict[str, Any]:
        return {"type": "boolean"}

    def sample(self, spec: Field) -> SampleMaker | None:
        return lambda i, rng, who: i % 2 == 0
