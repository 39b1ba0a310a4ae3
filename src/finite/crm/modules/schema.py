"""A module's fields for one organization: the registry's standard fields plus its custom ones."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from finite.crm.modules.definitions import MODULES
from finite.crm.modules.fields import Field, Module
from finite.kit.errors import not_found

# The system columns every record has, described like fields so they filter and sort alike.
SYSTEM_FIELDS: dict[str, Field] = {
    "id": Field("id", "Id", "integer"),
    "version": Field("version", "Version", "integer"),
    "created_at": Field("created_at", "Created", "datetime"),
    "updated_at": Field("updated_at", "Updated", "datetime"),
    "created_by": Field("created_by", "Created By", "text", max_length=40),
    "owner": Field("owner", "Owner", "text", max_length=40),
}


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
        return tuple(f for f in self.all_fields if f.kind.refers)


def module_named(name: str) -> Module:
    """The registry entry; an unknown module answers 404 like an unknown path."""
    module = MODULES.get(name)
    if module is None:
        raise not_found(f"No module {name!r}. Modules: {', '.join(MODULES)}.")
    return module


class CustomFieldLike(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def required(self) -> bool: ...
    @property
    def options(self) -> Sequence[str]: ...
    @property
    def target(self) -> str | None: ...
    @property
    def max_length(self) -> int | None: ...


def custom_field(row: CustomFieldLike) -> Field:
    return Field(
        key=row.key,
        label=row.label,
        type=row.type,
        required=row.required,
        options=tuple(row.options or ()),
        target=row.target,
        max_length=row.max_length,
    )


def schema_of(module: Module, rows: Sequence[CustomFieldLike]) -> RecordSchema:
    return RecordSchema(module, tuple(custom_field(row) for row in rows))


@lru_cache(maxsize=4096)
def cached_schema(module_name: str, rows: tuple[CustomFieldLike, ...]) -> RecordSchema:
    """The schema for definitions read from the database (hashable rows): built once per
    distinct set, so a request pays one small query and no object building (a changed field is
    a new key)."""
    return schema_of(MODULES[module_name], rows)
