"""What a field type is: one FieldKind subclass per type, in its own file of this package.

A kind says how a field of its type is stored (column), checked and converted (JSON input,
query strings, cursors, custom values stored as JSON), shown (OpenAPI schema, docs), filtered
and sorted, written in exports by each engine's SQL, and sampled by the bench seeder. The code
around asks the field's kind (`field.kind`), never the type's name; the hot paths bind what a
kind gives them once per schema or plan, never per row.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import Text, cast
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeEngine

if TYPE_CHECKING:
    from finite.crm.modules.fields import Field

EQUALITY: tuple[str, ...] = ("eq", "ne", "in", "is_null")
ORDERING: tuple[str, ...] = (*EQUALITY, "gt", "gte", "lt", "lte")

# A seeded value from (record id, the seed's generator, (first name, last name, company)).
SampleMaker = Callable[[int, random.Random, tuple[str, str, str]], Any]


class InvalidValue(Exception):
    """The reason a value does not fit its field, in words for the API caller."""


def _as_stored(value: Any) -> Any:
    return value


class FieldKind:
    """One field type. Subclasses that set `name` are the kinds (kinds/__init__.py finds them);
    those that do not are shared bases."""

    name: ClassVar[str]  # as stored with custom fields (≤ 20 characters) and shown by the API
    order: ClassVar[int]  # where the type is listed among the others
    custom: ClassVar[bool] = True  # organizations may add custom fields of this type
    textual: ClassVar[bool] = False  # compared and sorted as text
    sortable: ClassVar[bool] = True  # one value a list can order by
    indexable: ClassVar[bool] = True  # sorted through an (org_id, field, id) index if short
    operators: ClassVar[tuple[str, ...]] = EQUALITY  # the list filter's operators, in order
    max_length: ClassVar[int | None] = None  # the longest value, where the type implies one
    has_options: ClassVar[bool] = False  # picklists: `options` are its values
    refers: ClassVar[bool] = False  # lookups: ids of records of the field's `target` module
    multiple: ClassVar[bool] = False  # a list of values, filtered by what it contains
    line_items: ClassVar[bool] = False  # the record's line items (their own table)
    nullable: ClassVar[bool] = True  # may be null in a record (OpenAPI)
    csv_quoted: ClassVar[bool] = False  # its CSV cells may hold commas, quotes or line breaks
    cursor_type: ClassVar[type] = str  # the JSON type of its value in a list cursor

    def __str__(self) -> str:
        return self.name

    # --- storage -------------------------------------------------------------------------

    def column_type(self, spec: Field) -> TypeEngine[Any] | None:
        """The column of a standard field; None when the values live elsewhere."""
        raise NotImplementedError

    def custom_column(self, value: Any) -> ColumnElement[Any]:
        """A custom field's value out of the record's `custom` JSON, typed for comparing."""
        extracted: ColumnElement[Any] = value.as_string()
        return extracted

    # --- values ----------------------------------------------------------------------------

    def convert(self, spec: Field, value: Any) -> Any:
        """The stored form of a non-null JSON value; raises InvalidValue."""
        raise NotImplementedError

    def from_query(self, spec: Field, text: str) -> Any:
        """A query-string value in the stored form (query strings carry no JSON types)."""
        return self.convert(spec, text)

    def from_csv(self, spec: Field, text: str) -> Any:
        """A non-empty CSV cell (as the export writes it) as the JSON value `convert` takes;
        raises InvalidValue only where the cell cannot be read as JSON's type at all."""
        return text

    def text_operand(self, spec: Field, text: str) -> Any:
        """The value of a `contains` or `starts_with` filter."""
        if not text:
            raise InvalidValue("must not be empty")
        return text

    def json_reader(self, spec: Field) -> Callable[[Any], Any]:
        """How a custom value, stored as JSON, gets back the Python type of the field's values
        (bound once per schema: the lists call it for every row)."""
        return _as_stored

    # --- SQL: each engine's text of a stored value -------------------------------------------

    def postgres_json(self, value: ColumnElement[Any]) -> ColumnElement[str] | None:
        """The value's JSON text as the server's encoder writes it (NULL for NULL); None when
        Python builds it."""
        return cast(value, Text)

    def postgres_cell(self, value: ColumnElement[Any], *, custom: bool) -> ColumnElement[Any]:
        """The value's CSV cell computed by PostgreSQL (`custom`: `value` is the JSON text)."""
        return cast(value, Text)

    def postgres_custom_text(self, value: Any) -> ColumnElement[Any]:
        """A custom field's value out of the `custom` JSON, as text for postgres_cell."""
        extracted: ColumnElement[Any] = value.as_string()
        return extracted

    def sqlite_cell(self, column: ColumnElement[Any]) -> ColumnElement[Any] | None:
        """A standard column's CSV cell computed by SQLite; None when Python formats it."""
        return None

    # --- descriptions ----------------------------------------------------------------------

    def openapi(self, spec: Field) -> dict[str, Any]:
        """The JSON schema of a value."""
        raise NotImplementedError

    def doc_type(self, spec: Field) -> str:
        """The type column of docs/crm-modules.md."""
        return self.name

    def doc_notes(self, spec: Field) -> list[str]:
        """What docs/crm-modules.md notes of the field beyond what every field may have."""
        return []

    # --- the bench seeder --------------------------------------------------------------------

    def sample(self, spec: Field) -> SampleMaker | None:
        """Makes the seeder's values; None: the seeder leaves the field out."""
        return None
