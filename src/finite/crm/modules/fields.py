"""The vocabulary of the module registry: field specifications (their types: kinds/)."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from finite.crm.modules.kinds import KINDS, FieldKind


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a module. `key` is the JSON name and the column name."""

    key: str
    label: str
    type: str  # the kind's name (kinds/)
    required: bool = False
    default: Any = None
    options: tuple[str, ...] = ()  # picklist and multi-picklist values
    target: str | None = None  # the module a lookup points to
    max_length: int | None = None
    searchable: bool = False
    computed: bool = False  # set by the server (e.g. line-item totals); never accepted as input
    upsert_key: bool = False  # batch writes may match records on it (crm/records/batch.py)
    kind: FieldKind = dataclass_field(init=False, repr=False, compare=False)  # what `type` names

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", KINDS[self.type])

    @property
    def length_limit(self) -> int | None:
        return self.max_length or self.kind.max_length


def text(key: str, label: str, **extra: Any) -> Field:
    return Field(key, label, "text", **extra)


def long_text(key: str, label: str, **extra: Any) -> Field:
    return Field(key, label, "long_text", **extra)


def email(key: str, label: str, **extra: Any) -> Field:
    return Field(key, label, "email", **extra)


def phone(key: str, label: str, **extra: Any) -> Field:
    return Field(key, label, "phone", **extra)


def url(key: str, label: str, **extra: Any) -> Field:
    return Field(key, label, "url", **extra)


def integer(key: str, label: str, **extra: Any) -> Field:
    return Field(key, label, "integer", **extra)


def decimal(key: str, label: str, **extra: Any) -> Field:
    return Field(key, label, "decimal", **extra)


def money(key: str, label: str, **extra: Any) -> Field:
    return Field(key, label, "money", **extra)


def percent(key: str, label: str, **extra: Any) -> Field:
    return Field(key, label, "percent", **extra)


def date(key: str, label: str, **extra: Any) -> Field:
    return Field(key, label, "date", **extra)


def datetime_(key: str, label: str, **extra: Any) -> Field:
    return Field(key, label, "datetime", **extra)


def boolean(key: str, label: str, **extra: Any) -> Field:
    return Field(key, label, "boolean", **extra)


def picklist(key: str, label: str, options: tuple[str, ...], **extra: Any) -> Field:
    return Field(key, label, "picklist", options=options, **extra)


def multi_picklist(key: str, label: str, options: tuple[str, ...], **extra: Any) -> Field:
    return Field(key, label, "multi_picklist", options=options, **extra)


def lookup(key: str, label: str, target: str, **extra: Any) -> Field:
    return Field(key, label, "lookup", target=target, **extra)


@dataclass(frozen=True, slots=True)
class Module:
    name: str  # the URL name, e.g. "sales_orders"
    label: str  # "Sales Orders"
    singular: str  # "Sales Order"
    fields: tuple[Field, ...]
    line_items: bool = False  # quotes, orders, invoices: `items` plus computed totals

    def field(self, key: str) -> Field | None:
        for candidate in self.fields:
            if candidate.key == key:
                return candidate
        return None

    @property
    def searchable(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.fields if f.searchable)

    @property
    def upsert_keys(self) -> tuple[str, ...]:
        """Fields a batch write may match records on (crm/records/batch.py)."""
        return tuple(f.key for f in self.fields if f.upsert_key)
