"""Custom fields (Admins add and remove them) and module descriptions for API users."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.util import LRUCache

from finite.core.accounts.roles import ACTIONS
from finite.core.auth.principal import Principal
from finite.crm.fields import repository
from finite.crm.modules.definitions import MODULES
from finite.crm.modules.fields import Field, Module
from finite.crm.modules.kinds import CUSTOM_TYPES, KINDS, FieldKind
from finite.crm.modules.line_fields import LINE_FIELDS
from finite.crm.modules.schema import RecordSchema, cached_schema, module_named, schema_of
from finite.kit.clock import utcnow
from finite.kit.errors import ErrorDetail, conflict, not_found, validation_error
from finite.kit.fast_read import Source
from finite.models.crm import CustomField
from finite.platform.unit_of_work import Changed

CUSTOM_KEY = re.compile(r"^cf_[a-z0-9_]{1,60}$")
MAX_CUSTOM_FIELDS_PER_MODULE = 100
MAX_OPTIONS = 500


# (org_id, module, custom-fields version) → schema. Every committed change bumps the version (a
# trigger does), so an entry goes stale only by becoming unreachable. A number can come twice
# only when a change rolls back, and what such a transaction read is never put here.
_schemas: LRUCache[tuple[str, str, int], RecordSchema] = LRUCache(4096)


async def load_schema(
    source: Source, org_id: str, module_name: str, known_version: int | None = None
) -> RecordSchema:
    """The module with the organization's custom fields. `known_version` (the principal's
    `custom_fields_version`, read with the key in this request) skips the read when this
    process has built that version already. Without it the fields are always read and nothing
    is cached: that is how a transaction that changes fields reads them back, and what it sees
    may yet roll back."""
    module = module_named(module_name)
    if known_version is None:
        return cached_schema(
            module.name, (await repository.custom_fields_of(source, org_id, module.name))[1]
        )
    found = _schemas.get((org_id, module.name, known_version))
    if found is None:
        # Cached under the version read with the rows (maybe newer than the key's): both come
        # from one statement, so they agree.
        version, rows = await repository.custom_fields_of(source, org_id, module.name)
        found = _schemas[(org_id, module.name, version)] = cached_schema(module.name, rows)
    return found


async def add_custom_field(
    session: AsyncSession, org_id: str, module_name: str, body: dict[str, Any]
) -> Changed[dict[str, Any]]:
    """The new field's description; Admins only (declared on the route)."""
    module = module_named(module_name)
    row = _custom_field_row(org_id, module, body)
    if await repository.get_custom_field(session, org_id, module.name, row.key):
        raise conflict(f"{module.name} already has a custom field {row.key!r}.")
    if (
        await repository.count_custom_fields(session, org_id, module.name)
        >= MAX_CUSTOM_FIELDS_PER_MODULE
    ):
        raise conflict(
            f"{module.name} has the maximum of {MAX_CUSTOM_FIELDS_PER_MODULE} custom fields."
        )
    session.add(row)
    await session.flush()
    field = (await load_schema(session, org_id, module.name)).field(row.key)
    assert field is not None
    description = describe_field(field, custom=True)
    return Changed(description, {field.key: {"before": None, "after": description}})


async def remove_custom_field(
    session: AsyncSession, org_id: str, module_name: str, key: str
) -> Changed[None]:
    module = module_named(module_name)
    if await repository.get_custom_field(session, org_id, module.name, key) is None:
        raise not_found(f"{module.name} has no custom field {key!r}.")
    await repository.delete_custom_field(session, org_id, module.name, key)
    await repository.clear_custom_values(session, org_id, module.name, key)
    return Changed(None)


def _custom_field_row(org_id: str, module: Module, body: dict[str, Any]) -> CustomField:
    problems: list[ErrorDetail] = []
    allowed = {"key", "label", "type", "required", "options", "module", "max_length"}
    problems += [ErrorDetail(k, "is not a custom-field property") for k in body if k not in allowed]
    key, label, kind = body.get("key"), body.get("label"), body.get("type")
    if not isinstance(key, str) or not CUSTOM_KEY.match(key):
        problems.append(ErrorDetail("key", "must be cf_ followed by 1-60 of a-z, 0-9 and _"))
    if not isinstance(label, str) or not label.strip() or len(label.strip()) > 100:
        problems.append(ErrorDetail("label", "must be 1 to 100 characters"))
    elif any(ord(char) < 32 for char in label.strip()):  # one line, like every other label
        problems.append(ErrorDetail("label", "must not contain control characters"))
    chosen: FieldKind | None = KINDS[kind] if kind in CUSTOM_TYPES else None
    if chosen is None:
        problems.append(ErrorDetail("type", f"must be one of: {', '.join(CUSTOM_TYPES)}"))
    required = body.get("required", False)
    if not isinstance(required, bool):
        problems.append(ErrorDetail("required", "must be true or false"))
    options = _options(chosen, body.get("options"), problems)
    target = body.get("module")
    if chosen is not None and chosen.refers and target not in MODULES:
        problems.append(ErrorDetail("module", "a lookup needs the module it points to"))
    max_length = body.get("max_length")
    default_max = chosen.max_length if chosen is not None else None
    if max_length is not None and (
        default_max is None or not isinstance(max_length, int) or not 1 <= max_length <= default_max
    ):
        problems.append(ErrorDetail("max_length", f"must be 1 to {default_max or 0} for this type"))
    if problems:
        raise validation_error(problems)
    return CustomField(
        org_id=org_id,
        module=module.name,
        key=key,
        label=str(label).strip(),
        type=str(kind),
        required=required,
        options=options,
        target=target if chosen is not None and chosen.refers else None,
        max_length=max_length,
        created_at=utcnow(),
    )


def _options(kind: FieldKind | None, raw: Any, problems: list[ErrorDetail]) -> list[str]:
    if kind is None or not kind.has_options:
        if raw:
            problems.append(ErrorDetail("options", "only picklists have options"))
        return []
    if (
        not isinstance(raw, list)
        or not raw
        or len(raw) > MAX_OPTIONS
        or not all(isinstance(o, str) and 0 < len(o.strip()) <= 100 for o in raw)
    ):
        problems.append(
            ErrorDetail("options", f"must be 1 to {MAX_OPTIONS} strings of 1-100 characters")
        )
        return []
    cleaned = [option.strip() for option in raw]
    if any(ord(char) < 32 for option in cleaned for char in option):
        problems.append(ErrorDetail("options", "must not contain control characters"))
        return []
    if len({option.casefold() for option in cleaned}) != len(cleaned):
        problems.append(ErrorDetail("options", "must not repeat a value"))
    return cleaned


def describe_field(spec: Field, *, custom: bool) -> dict[str, Any]:
    description: dict[str, Any] = {
        "key": spec.key,
        "label": spec.label,
        "type": spec.type,
        "required": spec.required,
        "read_only": spec.computed,
        "custom": custom,
    }
    if spec.options:
        description["options"] = list(spec.options)
    if spec.target:
        description["module"] = spec.target
    if spec.default is not None:
        description["default"] = spec.default
    if spec.length_limit is not None:
        description["max_length"] = spec.length_limit
    if spec.kind.line_items:
        description["item_fields"] = [describe_field(f, custom=False) for f in LINE_FIELDS]
    return description


def describe_module(schema: RecordSchema, principal: Principal) -> dict[str, Any]:
    module = schema.module
    return {
        "module": module.name,
        "label": module.label,
        "singular": module.singular,
        "line_items": module.line_items,
        "searchable": list(module.searchable),
        "upsert_keys": list(module.upsert_keys),
        "permissions": [action for action in ACTIONS if principal.may(module.name, action)],
        "fields": [describe_field(f, custom=False) for f in module.fields]
        + [describe_field(f, custom=True) for f in schema.custom],
    }


async def describe_all(session: AsyncSession, principal: Principal) -> list[dict[str, Any]]:
    rows = await repository.all_custom_fields(session, principal.org_id)
    return [
        describe_module(schema_of(module, [r for r in rows if r.module == module.name]), principal)
        for module in MODULES.values()
    ]
