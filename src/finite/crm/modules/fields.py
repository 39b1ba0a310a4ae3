"""The vocabulary of the module registry: field types and field specifications."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class FieldType(StrEnum):
    TEXT = "text"
    LONG_TEXT = "long_text"
    EMAIL = "email"
    PHONE = "phone"
    URL = "url"
    INTEGER = "integer"
    DECIMAL = "decimal"
    MONEY = "money"
    PERCENT = "percent"
    DATE = "date"
    DATETIME = "datetime"
    BOOLEAN = "boolean"
    PICKLIST = "picklist"
    MULTI_PICKLIST = "multi_picklist"
    LOOKUP = "lookup"
    LINE_ITEMS = "line_items"


# Types whose values are text: compared and sorted as strings, escaped in CSV exports.
TEXTUAL_TYPES = frozenset(
    {
        FieldType.TEXT,
        FieldType.LONG_TEXT,
        FieldType.EMAIL,
        FieldType.PHONE,
        FieldType.URL,
        FieldType.PICKLIST,
    }
)

# Types a list can sort by (multi-picklists and line items have no single value to order by).
SORTABLE_TYPES = TEXTUAL_TYPES | {
    FieldType.INTEGER,
    FieldType.DECIMAL,
    FieldType.MONEY,
    FieldType.PERCENT,
    FieldType.DATE,
    FieldType.DATETIME,
    FieldType.BOOLEAN,
    FieldType.LOOKUP,
}


# Longest accepted value per type where the type implies one (text fields may set their own).
DEFAULT_MAX_LENGTH: dict[FieldType, int] = {
    FieldType.TEXT: 255,
    FieldType.LONG_TEXT: 32_000,
    FieldType.EMAIL: 320,
    FieldType.PHONE: 40,
    FieldType.URL: 2048,
    FieldType.PICKLIST: 100,
}


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a module. `key` is the JSON name and the column name."""

    key: str
    label: str
    type: FieldType
    required: bool = False
    default: Any = None
    options: tuple[str, ...] = ()  # picklist and multi-picklist values
    target: str | None = None  # the module a lookup points to
    max_length: int | None = None
    searchable: bool = False
    computed: bool = False  # set by the server (e.g. line-item totals); never accepted as input

    @property
    def length_limit(self) -> int | None:
        return self.max_length or DEFAULT_MAX_LENGTH.get(self.type)


def text(key: str, label: str, **extra: Any) -> Field:
    return Field(key, label, FieldType.TEXT, **extra)


def long_text(key: str, label: str, **extra: Any) -> Field:
    return Field(key, label, FieldType.LONG_TEXT, **extra)


def email(key: str, label: str, **extra: Any) -> Field:
    return Field(key, label, FieldType.EMAIL, **extra)


def phone(key: str, label: str, **extra: Any) -> Field:
    return Field(key, label, FieldType.PHONE, **extra)


def url(key: str, label: str, **extra: Any) -> Field:
    return Field(key, label, FieldType.URL, **extra)


def integer(key: str, label: str, **extra: Any) -> Field:
    return Field(key, label, FieldType.INTEGER, **extra)


def decimal(key: str, label: str, **extra: Any) -> Field:
    return Field(key, label, FieldType.DECIMAL, **extra)


def money(key: str, label: str, **extra: Any) -> Field:
    return Field(key, label, FieldType.MONEY, **extra)


def percent(key: str, label: str, **extra: Any) -> Field:
    return Field(key, label, FieldType.PERCENT, **extra)


def date(key: str, label: str, **extra: Any) -> Field:
    return Field(key, label, FieldType.DATE, **extra)


def datetime_(key: str, label: str, **extra: Any) -> Field:
    return Field(key, label, FieldType.DATETIME, **extra)


def boolean(key: str, label: str, **extra: Any) -> Field:
    return Field(key, label, FieldType.BOOLEAN, **extra)


def picklist(key: str, label: str, options: tuple[str, ...], **extra: Any) -> Field:
    return Field(key, label, FieldType.PICKLIST, options=options, **extra)


def multi_picklist(key: str, label: str, options: tuple[str, ...], **extra: Any) -> Field:
    return Field(key, label, FieldType.MULTI_PICKLIST, options=options, **extra)


def lookup(key: str, label: str, target: str, **extra: Any) -> Field:
    return Field(key, label, FieldType.LOOKUP, target=target, **extra)


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
