"""Validate a create or update body against a module's fields, listing every problem at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from finite.crm.modules.kinds import InvalidValue
from finite.crm.modules.schema import RecordSchema
from finite.crm.records.line_items import Line, parse_lines, referenced_products
from finite.kit.errors import ErrorDetail

SERVER_FIELDS = frozenset({"id", "org_id", "created_at", "updated_at", "created_by", "custom"})
VERSION_FIELD = "version"
OWNER_FIELD = "owner"


@dataclass(slots=True)
class Changes:
    """What a body asks to set, already converted to stored forms."""

    values: dict[str, Any] = field(default_factory=dict)  # standard columns
    custom: dict[str, Any] = field(default_factory=dict)  # custom fields
    lines: list[Line] | None = None  # None: leave line items as they are
    line_products: list[tuple[str, int]] = field(default_factory=list)  # checked even if invalid
    owner: str | None = None
    version: int | None = None  # the version a PUT expects to replace
    errors: list[ErrorDetail] = field(default_factory=list)


def validate(schema: RecordSchema, body: dict[str, Any], *, creating: bool) -> Changes:
    changes = Changes()
    for key, value in body.items():
        _take(schema, key, value, creating, changes)
    if creating:
        _apply_defaults_and_required(schema, changes)
    return changes


def _take(schema: RecordSchema, key: str, value: Any, creating: bool, changes: Changes) -> None:
    errors = changes.errors
    if key == VERSION_FIELD:
        if creating:
            errors.append(ErrorDetail(key, "is set by the server"))
        elif isinstance(value, bool) or not isinstance(value, int) or value < 1:
            errors.append(ErrorDetail(key, "must be the record's current version (an integer)"))
        else:
            changes.version = value
        return
    if key == OWNER_FIELD:
        if not isinstance(value, str) or not value.strip():
            errors.append(ErrorDetail(key, "must be the id of a member of this organization"))
        else:
            changes.owner = value.strip()
        return
    if key in SERVER_FIELDS:
        errors.append(ErrorDetail(key, "is set by the server"))
        return
    spec = schema.field(key)
    if spec is None:
        errors.append(ErrorDetail(key, f"is not a field of {schema.name}"))
        return
    if spec.computed:
        errors.append(ErrorDetail(key, "is computed by the server"))
        return
    if spec.kind.line_items:
        changes.lines = parse_lines(value, errors)
        changes.line_products = referenced_products(value)
        return
    if value is None:
        if spec.required:
            errors.append(ErrorDetail(key, "is required"))
        else:
            _store(schema, changes, key, None)
        return
    try:
        converted = spec.kind.convert(spec, value)
    except InvalidValue as invalid:
        errors.append(ErrorDetail(key, str(invalid)))
        return
    if spec.required and converted in ("", []):
        errors.append(ErrorDetail(key, "is required"))
        return
    _store(schema, changes, key, converted)


def _apply_defaults_and_required(schema: RecordSchema, changes: Changes) -> None:
    given = changes.values.keys() | changes.custom.keys()
    for spec in schema.all_fields:
        if spec.computed or spec.kind.line_items or spec.key in given:
            continue
        if any(error.field == spec.key for error in changes.errors):
            continue
        if spec.default is not None:
            _store(schema, changes, spec.key, spec.default)
        elif spec.required:
            changes.errors.append(ErrorDetail(spec.key, "is required"))
    if schema.module.line_items and changes.lines is None:
        changes.lines = []
    if schema.module.line_items and "adjustment" not in changes.values:
        changes.values.setdefault("adjustment", Decimal("0"))


def _store(schema: RecordSchema, changes: Changes, key: str, value: Any) -> None:
    target = changes.custom if schema.is_custom(key) else changes.values
    target[key] = value
