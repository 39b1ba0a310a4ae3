"""A list page from stored JSON (postgres_json.py): the records' texts, each with its custom
fields added, joined into the page's array; and the last row's sort value for the cursor."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import msgspec

from finite.crm.http import encode
from finite.crm.modules.schema import RecordSchema
from finite.crm.records.query.grammar import Sort
from finite.crm.records.query.page_plans import CUSTOM_AT, JSON_AT, SORT_AT
from finite.crm.records.serialize import custom_from_json, custom_readers


def records(schema: RecordSchema, rows: Sequence[Sequence[Any]]) -> msgspec.Raw:
    """The page's records as one JSON array, each as the Python-built record would be
    encoded: its stored JSON, then its custom fields (the last keys, in the schema's order)."""
    if not schema.custom:
        texts = [row[JSON_AT] for row in rows]
    else:
        readers = custom_readers(schema.custom)
        texts = [_with_custom(readers, row[JSON_AT], row[CUSTOM_AT] or {}) for row in rows]
    return msgspec.Raw(f"[{','.join(texts)}]".encode())


def _with_custom(
    readers: Sequence[tuple[str, Callable[[Any], Any]]], stored: str, custom: dict[str, Any]
) -> str:
    values = {key: read(custom.get(key)) for key, read in readers}
    return f"{stored[:-1]},{encode(values)[1:].decode()}"


def sort_value(sort: Sort, row: Sequence[Any]) -> Any:
    """The row's value of the sort's field, as the Python-built record holds it."""
    if not sort.custom:
        return row[SORT_AT]
    return custom_from_json(sort.field, (row[CUSTOM_AT] or {}).get(sort.field.key))
