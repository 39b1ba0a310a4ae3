"""Which field each column of an import's header fills: by key, then by key or label in any
case; what no field takes is ignored and reported with its reason.

The export's header is the module's keys (crm/export/records_csv.py), so an exported file
re-imports as it is: its system columns (id, version, times, created_by) are ignored, since the
server sets them; `owner` is taken.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from finite.crm.modules.fields import Field
from finite.crm.modules.schema import RecordSchema
from finite.crm.records.validation import OWNER_FIELD, SERVER_FIELDS, VERSION_FIELD
from finite.kit.errors import invalid_field
from finite.models.imports import ImportJob

OWNER_COLUMN = "owner"


@dataclass(frozen=True, slots=True)
class Column:
    index: int  # its place in each row
    name: str  # as the header writes it
    key: str  # the field it fills (or "owner")


@dataclass(frozen=True, slots=True)
class Ignored:
    name: str
    reason: str


@dataclass(frozen=True, slots=True)
class ColumnPlan:
    width: int  # cells in the header
    columns: tuple[Column, ...]
    ignored: tuple[Ignored, ...]

    def as_json(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        return (
            [{"index": c.index, "column": c.name, "field": c.key} for c in self.columns],
            [{"column": i.name, "reason": i.reason} for i in self.ignored],
        )

    @classmethod
    def from_json(
        cls, width: int, columns: list[dict[str, Any]], ignored: list[dict[str, Any]]
    ) -> ColumnPlan:
        return cls(
            width,
            tuple(Column(c["index"], c["column"], c["field"]) for c in columns),
            tuple(Ignored(i["column"], i["reason"]) for i in ignored),
        )


def column_plan_of(job: ImportJob) -> ColumnPlan:
    """Every header cell is a column or an ignored one."""
    width = len(job.columns) + len(job.ignored_columns)
    return ColumnPlan.from_json(width, job.columns, job.ignored_columns)


def plan_columns(schema: RecordSchema, header: list[str]) -> ColumnPlan:
    """Raises a 400 naming `header` when no column fills a field."""
    by_key = {spec.key.lower(): spec for spec in schema.all_fields}
    by_label = {spec.label.lower(): spec for spec in schema.all_fields}
    columns: list[Column] = []
    ignored: list[Ignored] = []
    taken: dict[str, str] = {}
    for index, raw in enumerate(header):
        name = raw.strip()
        key, reason = _key_of(schema, name, by_key, by_label)
        if key is not None and key in taken:
            reason = f"repeats the column {taken[key]!r} (field {key})"
            key = None
        if key is None:
            ignored.append(Ignored(name, reason))
            continue
        taken[key] = name
        columns.append(Column(index, name, key))
    if not columns:
        raise invalid_field("header", f"names no field of {schema.name} (see its field keys)")
    return ColumnPlan(len(header), tuple(columns), tuple(ignored))


def _key_of(
    schema: RecordSchema, name: str, by_key: dict[str, Field], by_label: dict[str, Field]
) -> tuple[str | None, str]:
    if not name:
        return None, "has no name"
    lowered = name.lower()
    if lowered == OWNER_FIELD:
        return OWNER_COLUMN, ""
    if lowered in SERVER_FIELDS or lowered == VERSION_FIELD:
        return None, "is set by the server"
    spec = schema.field(name) or by_key.get(lowered) or by_label.get(lowered)
    if spec is None:
        return None, f"is not a field of {schema.name}"
    if spec.computed:
        return None, "is computed by the server"
    return spec.key, ""
