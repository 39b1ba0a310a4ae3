"""The list query grammar shared by GET /api/records/{module} and the CSV export.

    ?status=New&value[gte]=1000&q=acme&sort=-updated_at&fields=name,email&per_page=50&cursor=…

Every parameter is checked against the module's fields (custom ones included); anything unknown
answers 400 naming it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from finite.crm.list_limits import MAX_PAGE, MAX_PER_PAGE, MAX_QUERY_LENGTH
from finite.crm.modules.fields import Field
from finite.crm.modules.kinds import InvalidValue
from finite.crm.modules.schema import SYSTEM_FIELDS, RecordSchema
from finite.kit.errors import ErrorDetail, validation_error

DEFAULT_PER_PAGE = 50
MAX_IN_VALUES = 100
RESERVED = frozenset({"page", "per_page", "cursor", "q", "sort", "fields"})
OPERATORS = ("eq", "ne", "in", "gt", "gte", "lt", "lte", "contains", "starts_with", "is_null")
_PARAM = re.compile(r"^(?P<key>[a-z][a-z0-9_]*)(?:\[(?P<op>[a-z_]+)\])?$")


@dataclass(frozen=True, slots=True)
class Filter:
    field: Field
    op: str
    value: Any  # converted; a list for `in`, a bool for `is_null`
    custom: bool


@dataclass(frozen=True, slots=True)
class Sort:
    field: Field
    descending: bool
    custom: bool

    @property
    def token(self) -> str:
        return ("-" if self.descending else "") + self.field.key

    @property
    def by_id(self) -> bool:
        return self.field.key == "id" and not self.custom


@dataclass(slots=True)
class ListQuery:
    filters: list[Filter] = field(default_factory=list)
    q: str | None = None
    sort: Sort = field(default_factory=lambda: Sort(SYSTEM_FIELDS["id"], False, False))
    fields: list[str] | None = None  # None: every field
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    cursor: str | None = None


def parse_list_query(
    schema: RecordSchema, params: Iterable[tuple[str, str]], *, paged: bool = True
) -> ListQuery:
    """Parse query parameters (repeats allowed) into a ListQuery, or raise listing every problem."""
    query = ListQuery()
    problems: list[ErrorDetail] = []
    for name, value in params:
        if name in RESERVED:
            _reserved(schema, query, name, value, problems, paged)
        else:
            _filter(schema, query, name, value, problems)
    if query.cursor is not None and query.page != 1:
        problems.append(ErrorDetail("cursor", "use either cursor or page, not both"))
    if problems:
        raise validation_error(problems)
    return query


def lookup_field(schema: RecordSchema, key: str) -> tuple[Field, bool] | None:
    """(field, is custom) for a filterable or sortable key, system columns included."""
    if key in SYSTEM_FIELDS:
        return SYSTEM_FIELDS[key], False
    spec = schema.field(key)
    if spec is None:
        return None
    return spec, schema.is_custom(key)


def _reserved(
    schema: RecordSchema,
    query: ListQuery,
    name: str,
    value: str,
    problems: list[ErrorDetail],
    paged: bool,
) -> None:
    if name in ("page", "per_page"):
        if not paged:
            problems.append(ErrorDetail(name, "exports are not paged; they stream every match"))
            return
        # ASCII digits only: str.isdigit also takes "²", which int() refuses.
        digits = value.isascii() and value.isdigit() and len(value) <= len(str(MAX_PAGE))
        number = int(value) if digits else 0
        if name == "page" and number < 1:
            problems.append(ErrorDetail(name, "must be a whole number from 1"))
        elif name == "per_page" and not 1 <= number <= MAX_PER_PAGE:
            problems.append(ErrorDetail(name, f"must be a whole number from 1 to {MAX_PER_PAGE}"))
        else:
            setattr(query, name, number)
    elif name == "cursor":
        if not paged:
            problems.append(ErrorDetail(name, "exports are not paged; they stream every match"))
        else:
            query.cursor = value or None  # an empty cursor is the first page
    elif name == "q":
        if len(value) > MAX_QUERY_LENGTH:
            problems.append(ErrorDetail("q", f"must be at most {MAX_QUERY_LENGTH} characters"))
        elif value.strip():
            query.q = value.strip()
    elif name == "sort":
        if value.strip():  # an empty sort is the default order
            _sort(schema, query, value, problems)
    elif name == "fields":
        _fields(schema, query, value, problems)


def _sort(schema: RecordSchema, query: ListQuery, value: str, problems: list[ErrorDetail]) -> None:
    descending = value.startswith("-")
    key = value.lstrip("-+").strip()
    if "," in key:
        problems.append(ErrorDetail("sort", "sort on one field (ties are broken by id)"))
        return
    found = lookup_field(schema, key)
    if found is None or not found[0].kind.sortable:
        problems.append(ErrorDetail("sort", f"cannot sort on {key!r}"))
        return
    query.sort = Sort(found[0], descending, found[1])


def _fields(
    schema: RecordSchema, query: ListQuery, value: str, problems: list[ErrorDetail]
) -> None:
    keys = [key.strip() for key in value.split(",") if key.strip()]
    unknown = [key for key in keys if key not in SYSTEM_FIELDS and schema.field(key) is None]
    for key in unknown:
        problems.append(ErrorDetail("fields", f"unknown field {key!r}"))
    if not unknown:
        query.fields = keys


def _filter(
    schema: RecordSchema, query: ListQuery, name: str, value: str, problems: list[ErrorDetail]
) -> None:
    match = _PARAM.match(name)
    found = lookup_field(schema, match["key"]) if match else None
    if match is None or found is None:
        problems.append(ErrorDetail(name, "is not a field or parameter of this list"))
        return
    spec, custom = found
    op = match["op"] or "eq"
    if op not in OPERATORS:
        problems.append(ErrorDetail(name, f"unknown operator {op!r}; use {', '.join(OPERATORS)}"))
        return
    if op not in spec.kind.operators:
        allowed = ", ".join(spec.kind.operators) or "none"
        problems.append(ErrorDetail(name, f"{spec.type} fields take the operators: {allowed}"))
        return
    try:
        converted = _filter_value(spec, op, value)
    except InvalidValue as invalid:
        problems.append(ErrorDetail(name, str(invalid)))
        return
    query.filters.append(Filter(spec, op, converted, custom))


def _filter_value(spec: Field, op: str, text: str) -> Any:
    if op == "is_null":
        if text.lower() not in ("true", "false"):
            raise InvalidValue("must be true or false")
        return text.lower() == "true"
    if op == "in":
        values = [part.strip() for part in text.split(",") if part.strip()]
        if not values or len(values) > MAX_IN_VALUES:
            raise InvalidValue(f"must be 1 to {MAX_IN_VALUES} comma-separated values")
        return [spec.kind.from_query(spec, value) for value in values]
    if op in ("contains", "starts_with"):
        return spec.kind.text_operand(spec, text)
    return spec.kind.from_query(spec, text)
