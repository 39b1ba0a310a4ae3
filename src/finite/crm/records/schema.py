"""A module's fields for one organization: the registry's standard fields plus its custom ones."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from finite.crm.modules.definitions import MODULES
from finite.crm.modules.fields import Field, FieldType, Module
from finite.kit.errors import not_found
from finite.models.crm import CustomField


@dataclass(frozen=True, slots=True)
class RecordSchema:
    module: Module
    custom: tuple[Field, ...]

    @property
    def name(self) -> str:
        return self.module.name

    def field(self, key: str) -> Field | None:
        return self.module.field(key) or next((f for f in self.custom if f.key == key), None)

    def is_custom(self, key: str) -> bool:
        return any(f.key == key for f in self.custom)

    @property
    def all_fields(self) -> tuple[Field, ...]:
        return self.module.fields + self.custom

    @property
    def lookups(self) -> tuple[Field, ...]:
        return tuple(f for f in self.all_fields if f.type == FieldType.LOOKUP)


def module_named(name: str) -> Module:
    """The registry entry; an unknown module answers 404 like an unknown path."""
    module = MODULES.get(name)
    if module is None:
        raise not_found(f"No module {name!r}. Modules: {', '.join(MODULES)}.")
    return module


def custom_field(row: CustomField) -> Field:
    return Field(
        key=row.key,
        label=row.label,
        type=FieldType(row.type),
        required=row.required,
        options=tuple(row.options or ()),
        target=row.target,
        max_length=row.max_length,
    )


def schema_of(module: Module, rows: Sequence[CustomField]) -> RecordSchema:
    return RecordSchema(module, tuple(custom_field(row) for row in rows))
