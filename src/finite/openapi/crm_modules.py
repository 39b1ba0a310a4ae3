"""One component schema per CRM module, derived from the module registry: `LeadsRecord`,
`SalesOrdersRecord`, … with every standard field's type, format, options and limits.

The record endpoints take `{module}` as a parameter and answer with the generic `Record`; these
schemas say what a record of each module holds, for readers and for clients that want typed
models (`LeadsRecord.from_dict(record.to_dict())`). Custom fields are per organization: see
GET /api/modules/{module}.
"""

from __future__ import annotations

from typing import Any

from finite.crm.modules.definitions import MODULES
from finite.crm.modules.fields import Field, Module
from finite.crm.modules.kinds.line_items import ITEM_SCHEMA
from finite.crm.modules.line_fields import LINE_FIELDS

LINE_ITEM = ITEM_SCHEMA

_SYSTEM: dict[str, dict[str, Any]] = {
    "id": {"type": "integer", "readOnly": True},
    "version": {"type": "integer", "readOnly": True},
    "created_at": {"type": "string", "format": "date-time", "readOnly": True},
    "updated_at": {"type": "string", "format": "date-time", "readOnly": True},
    "created_by": {"oneOf": [{"type": "string"}, {"type": "null"}], "readOnly": True},
    "owner": {
        "oneOf": [{"type": "string"}, {"type": "null"}],
        "description": "The owning member's id.",
    },
}


def schema_name(module: Module) -> str:
    return "".join(part.capitalize() for part in module.name.split("_")) + "Record"


def module_schemas() -> dict[str, dict[str, Any]]:
    schemas = {schema_name(module): _record(module) for module in MODULES.values()}
    schemas[LINE_ITEM] = _line_item()
    return schemas


def _record(module: Module) -> dict[str, Any]:
    properties = dict(_SYSTEM)
    properties.update({spec.key: _property(spec) for spec in module.fields})
    required = [*_SYSTEM, *(spec.key for spec in module.fields if spec.required)]
    return {
        "type": "object",
        "title": schema_name(module),
        "description": f"A {module.singular} record ({module.name}), as the API returns it. "
        "Custom fields (`cf_…`) appear beside these.",
        "properties": properties,
        "required": sorted(required),
    }


def _line_item() -> dict[str, Any]:
    properties = {spec.key: _property(spec) for spec in LINE_FIELDS}
    for computed in ("amount", "tax", "total"):
        properties[computed] = {"type": "number", "readOnly": True}
    return {
        "type": "object",
        "title": LINE_ITEM,
        "description": "A line of a quote, order or invoice; amount, tax and total are computed.",
        "properties": properties,
        "required": ["list_price", "quantity"],
    }


def _property(spec: Field) -> dict[str, Any]:
    schema = spec.kind.openapi(spec)
    if not spec.required and spec.kind.nullable:
        schema = {"oneOf": [schema, {"type": "null"}]}
    schema["title"] = spec.label
    if spec.computed:
        schema["readOnly"] = True
    if spec.default is not None:
        schema["default"] = _json(spec.default)
    return schema


def _json(value: Any) -> Any:
    """Defaults as JSON values (decimals as numbers)."""
    if isinstance(value, bool | int | float | str):
        return value
    return float(value) if hasattr(value, "as_tuple") else str(value)
