"""Any of the field's options, as a list (a JSON column): filtered by what it contains."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec
from sqlalchemy import JSON, Text, cast
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeEngine

from finite.crm.modules.kinds.base import FieldKind, InvalidValue, SampleMaker
from finite.crm.modules.kinds.picklist import choice

if TYPE_CHECKING:
    from finite.crm.modules.fields import Field


class MultiPicklist(FieldKind):
    name = "multi_picklist"
    order = 140
    sortable = False
    operators = ("contains", "is_null")
    has_options = True
    multiple = True
    csv_quoted = True

    def column_type(self, spec: Field) -> TypeEngine[Any] | None:
        return JSON()

    def convert(self, spec: Field, value: Any) -> Any:
        if not isinstance(value, list):
            raise InvalidValue("must be a list of values")
        chosen: list[str] = []
        for item in value:
            canonical = choice(spec, item)
            if canonical not in chosen:
                chosen.append(canonical)
        return chosen

    def from_query(self, spec: Field, text: str) -> Any:
        return text

    def from_csv(self, spec: Field, text: str) -> Any:
        """The export's JSON array, or values separated by semicolons."""
        if text.startswith("["):
            try:
                return msgspec.json.decode(text)
            except msgspec.DecodeError:
                reason = "must be a JSON array of values or values separated by ;"
                raise InvalidValue(reason) from None
        return [part.strip() for part in text.split(";") if part.strip()]

    def text_operand(self, spec: Field, text: str) -> Any:
        return choice(spec, text)

    def postgres_json(self, value: ColumnElement[Any]) -> ColumnElement[str] | None:
        return None

    def postgres_custom_text(self, value: Any) -> ColumnElement[Any]:
        return cast(value, Text)

    def openapi(self, spec: Field) -> dict[str, Any]:
        return {"type": "array", "items": {"type": "string", "enum": list(spec.options)}}

    def sample(self, spec: Field) -> SampleMaker | None:
        options = spec.options
        return lambda i, rng, who: [options[i % len(options)]]
