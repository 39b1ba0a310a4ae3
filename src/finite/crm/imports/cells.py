"""One row of cells as the JSON body a create or update takes: each mapped column's kind reads
its cell (crm/modules/kinds: `from_csv`); the records' validation does the rest."""

from __future__ import annotations

from typing import Any

from finite.crm.imports.columns import OWNER_COLUMN, ColumnPlan
from finite.crm.modules.kinds import InvalidValue
from finite.crm.modules.schema import RecordSchema
from finite.kit.csv_injection import DANGEROUS_FIRST
from finite.kit.errors import ErrorDetail


def unescaped(text: str) -> str:
    """The export writes a text beginning with = + - @ tab or CR after a single quote, so that
    spreadsheets do not run it (crm/export/csv_format.py): the quote is taken off again."""
    if text.startswith("'") and text[1:2] and text[1:].startswith(DANGEROUS_FIRST):
        return text[1:]
    return text


def is_blank(row: list[str]) -> bool:
    return not any(cell.strip() for cell in row)


def row_body(
    plan: ColumnPlan, schema: RecordSchema, row: list[str]
) -> tuple[dict[str, Any], list[ErrorDetail]]:
    """The body, and the cells that cannot be read. An empty cell sets nothing: a create
    takes the field's default, an update (upsert) leaves the field as it is."""
    problems: list[ErrorDetail] = []
    if len(row) > plan.width:
        problems.append(
            ErrorDetail(None, f"has {len(row)} cells; the header has {plan.width} columns")
        )
    body: dict[str, Any] = {}
    for column in plan.columns:
        if column.index >= len(row):
            continue
        text = row[column.index]
        if not text.strip():
            continue
        if "\x00" in text:
            problems.append(ErrorDetail(column.key, "must not contain a NUL character"))
            continue
        text = unescaped(text)
        if column.key == OWNER_COLUMN:
            body[column.key] = text
            continue
        spec = schema.field(column.key)
        if spec is None:  # a custom field deleted since the upload
            problems.append(ErrorDetail(column.key, f"is not a field of {schema.name}"))
            continue
        try:
            body[column.key] = spec.kind.from_csv(spec, text)
        except InvalidValue as invalid:
            problems.append(ErrorDetail(column.key, str(invalid)))
            body[column.key] = text  # present: the validation says no "is required" of it
    return body, problems
