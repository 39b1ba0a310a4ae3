"""Records as the API shows them, and as JSON-safe snapshots for events and audit diffs."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy.engine import RowMapping

from finite.crm.modules.fields import Field
from finite.crm.modules.schema import RecordSchema
from finite.crm.records.line_items import Line
from finite.crm.records.repository import LineRow
from finite.models.crm import LineItem

SYSTEM_OUTPUT = ("id", "version", "created_at", "updated_at", "created_by", "owner")
_AS_IS = frozenset({type(None), str, int, bool, float})  # JSON-safe already


def snapshot(
    schema: RecordSchema, row: RowMapping | Mapping[str, Any], lines: Sequence[LineRow] | None
) -> dict[str, Any]:
    """The record with stored Python values (Decimal, date, datetime): one dict for every use."""
    return row_reader(schema, tuple(row.keys()))(tuple(row.values()), lines)


class RowReader:
    """Builds records from rows read as plain tuples of the module table's columns: a list
    builds up to 200 records a request, and reading by position skips a RowMapping's key
    lookups. Built once per schema and column order (row_reader)."""

    def __init__(self, schema: RecordSchema, column_names: Sequence[str]) -> None:
        position = {name: index for index, name in enumerate(column_names)}
        keys = [*SYSTEM_OUTPUT]
        for spec in schema.module.fields:
            keys.append("items" if spec.kind.line_items else spec.key)
        # "items" takes the id's value as a placeholder, replaced in place (same key order).
        self._keys = tuple(keys)
        self._values = itemgetter(*(position.get(key, position["id"]) for key in keys))
        self._custom_at = position["custom"]
        self._custom = custom_readers(schema.custom)
        self.id_at = position["id"]
        self.has_items = any(spec.kind.line_items for spec in schema.module.fields)

    def __call__(self, row: Sequence[Any], lines: Sequence[LineRow] | None) -> dict[str, Any]:
        record = dict(zip(self._keys, self._values(row), strict=True))
        if self.has_items:
            record["items"] = [line_out(line) for line in lines or ()]
        if self._custom:
            stored: dict[str, Any] = row[self._custom_at] or {}
            for key, read in self._custom:
                record[key] = read(stored.get(key))
        return record


@lru_cache(maxsize=1024)
def row_reader(schema: RecordSchema, column_names: tuple[str, ...]) -> RowReader:
    return RowReader(schema, column_names)


def line_out(line: LineRow) -> dict[str, Any]:
    return {
        "product_id": line.product_id,
        "description": line.description,
        "quantity": line.quantity,
        "list_price": line.list_price,
        "discount": line.discount,
        "tax_rate": line.tax_rate,
        "amount": line.amount,
        "tax": line.tax,
        "total": line.total,
    }


def line_row(org_id: str, module: str, record_id: int, position: int, line: Line) -> LineItem:
    return LineItem(
        org_id=org_id,
        module=module,
        record_id=record_id,
        position=position,
        product_id=line.product_id,
        description=line.description,
        quantity=line.quantity,
        list_price=line.list_price,
        discount=line.discount,
        tax_rate=line.tax_rate,
        amount=line.amount,
        tax=line.tax,
        total=line.total,
        extra={},
    )


def json_safe(value: Any) -> Any:
    """For JSON columns and diffs: decimals as strings keep every digit; dates as ISO."""
    if type(value) in _AS_IS:  # most values (a batch's diffs: 3,000 a call), in one look-up
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):  # one fixed UTC format, so stored text sorts by instant
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_safe(item) for item in value]
    return value


def custom_to_json(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: json_safe(value) for key, value in values.items()}


def custom_readers(specs: Sequence[Field]) -> tuple[tuple[str, Callable[[Any], Any]], ...]:
    """(key, reader) per custom field: stored custom values are JSON, and a reader gives one
    back its field's Python type. Bound once per schema, called per row."""
    return tuple((spec.key, spec.kind.json_reader(spec)) for spec in specs)


def custom_from_json(spec: Field, value: Any) -> Any:
    """One stored custom value with its field's Python type."""
    return spec.kind.json_reader(spec)(value)
