"""The lines of a quote, order or invoice: their own table (records/line_items.py), a list of
objects in the record, never null (an empty list)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeEngine

from finite.crm.modules.kinds.base import FieldKind, InvalidValue

if TYPE_CHECKING:
    from finite.crm.modules.fields import Field

ITEM_SCHEMA = "LineItem"  # the OpenAPI component of one line


class LineItems(FieldKind):
    name = "line_items"
    order = 160
    custom = False
    sortable = False
    operators = ()
    line_items = True
    nullable = False
    csv_quoted = True

    def column_type(self, spec: Field) -> TypeEngine[Any] | None:
        return None

    def convert(self, spec: Field, value: Any) -> Any:
        raise InvalidValue("cannot be set directly")

    def from_csv(self, spec: Field, text: str) -> Any:
        """The export's JSON array of line items."""
        try:
            return msgspec.json.decode(text)
        except msgspec.DecodeError:
            raise InvalidValue("must be a JSON array of line items") from None

    def postgres_json(self, value: ColumnElement[Any]) -> ColumnElement[str] | None:
        return None

    def openapi(self, spec: Field) -> dict[str, Any]:
        return {"type": "array", "items": {"$ref": "#/components/schemas/" + ITEM_SCHEMA}}
