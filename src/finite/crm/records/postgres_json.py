"""PostgreSQL lists read each record's JSON ready-made: a trigger writes it with the record.

The list service cost a server worker ~0.70 ms of CPU for a 50-record page (decoding 50 rows
of 31 columns, building the records, then ~0.05 ms to encode them), and 0.36-0.40 ms reading
and joining 50 stored texts (bench/list_request_parts.py; docs/performance.md, eleventh
round): a sixth of a list request's ~2 ms of CPU on these two cores.

How, as for the export's CSV lines (export/postgres_lines.py): every module table without line
items has a column `record_json`, outside the models, that a BEFORE INSERT OR UPDATE trigger
sets to the record's id, system and standard fields as this server's encoder writes them
(crm/http.encode: the same keys in the same order, the same text for every value; a
test compares them byte for byte). Custom fields are added to it as a list reads it
(records/service.py), so defining a field rewrites nothing. The trigger and its function are
named by a hash of their SQL; derived_text_sync.py replaces them and rewrites every record's
JSON when the code's differ. A list reads the stored JSON only while the trigger is in place
and enabled (asked at most every CURRENT_FOR seconds per process), and builds its page in
Python when a row has none.
"""

from __future__ import annotations

import json
import time
from functools import cache
from typing import Any

from sqlalchemy import String, func, literal, literal_column, type_coerce
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import FromClause

from finite.crm.derived_text import DerivedText, trigger_is_enabled, trigger_name
from finite.crm.modules.definitions import MODULES
from finite.crm.modules.fields import Module
from finite.crm.modules.schema import SYSTEM_FIELDS
from finite.crm.modules.tables import MODULE_TABLES, RECORD_JSON_COLUMN
from finite.crm.records.serialize import SYSTEM_OUTPUT
from finite.kit.fast_read import Source

TRIGGER_MARK = "_record_json_"
CURRENT_FOR = 30.0  # seconds a process trusts its last look at a module's trigger

_DIALECT: Dialect = postgresql.dialect()  # type: ignore[no-untyped-call]


def _document(
    module: Module, table: FromClause
) -> tuple[tuple[str, ...], ColumnElement[str]] | None:
    """The record's JSON computed from its columns, or None when a field's value is built by
    Python (kinds' postgres_json: numbers keep their stored digits, date-times are UTC, text is
    escaped by PostgreSQL's JSON output, which escapes exactly what the encoder escapes)."""
    keys = [*SYSTEM_OUTPUT, *(field.key for field in module.fields)]
    document: ColumnElement[Any] = literal("{")
    for at, key in enumerate(keys):
        spec = SYSTEM_FIELDS.get(key) or module.field(key)
        assert spec is not None
        column = table.c.get(key)  # line items have none
        text = None if column is None else spec.kind.postgres_json(column)
        if text is None:
            return None
        name = ("," if at else "") + json.dumps(key) + ":"
        value = func.coalesce(text, "null")
        document = document.op("||")(literal(name)).op("||")(value)
    return tuple(keys), type_coerce(document.op("||")(literal("}")), String())


def _compiled(expression: ColumnElement[Any]) -> str:
    return str(expression.compile(dialect=_DIALECT, compile_kwargs={"literal_binds": True}))


@cache
def postgres_record_json(module_name: str) -> DerivedText | None:
    """The module's stored JSON, or None for a module with line items or a multi-picklist
    among its standard fields (built by Python: none of the registry's modules has the
    latter)."""
    module = MODULES[module_name]
    table = MODULE_TABLES[module_name]
    over_table, over_new = _document(module, table), _document(module, table.alias("new"))
    if over_table is None or over_new is None:
        return None
    columns, document = over_table
    sql = _compiled(document)
    body = (
        "RETURNS trigger LANGUAGE plpgsql AS $json$ "
        f"BEGIN NEW.{RECORD_JSON_COLUMN} := {_compiled(over_new[1])}; RETURN NEW; END $json$"
    )
    return DerivedText(
        column=RECORD_JSON_COLUMN,
        columns=columns,
        sql=sql,
        function_body=body,
        trigger=trigger_name(module_name, TRIGGER_MARK, (sql, body)),
    )


def stored_json(module_name: str) -> ColumnElement[str]:
    """What a list selects: the stored JSON (NULL in a row written while no trigger kept it;
    the list then builds its page in Python). Not the same JSON computed in its place, as the
    export does: PostgreSQL parses and plans a search's statement per request, and a 3-4 KB
    expression in it cost more than the stored JSON saved (bench/crm_lists.py)."""
    table = MODULE_TABLES[module_name].name
    return literal_column(f"{table}.{RECORD_JSON_COLUMN}", String())


_looked: dict[str, tuple[float, bool]] = {}


async def json_is_current(source: Source, module_name: str) -> bool:
    """Whether the module's stored JSON is this code's (its trigger in place and enabled), as
    last seen by this process within CURRENT_FOR seconds."""
    derived = postgres_record_json(module_name)
    if derived is None:
        return False
    now = time.monotonic()
    seen = _looked.get(module_name)
    if seen is None or now - seen[0] > CURRENT_FOR:
        seen = _looked[module_name] = (now, await trigger_is_enabled(source, derived.trigger))
    return seen[1]


def forget_looks() -> None:
    """Look again at the next list (tests change triggers under a running app)."""
    _looked.clear()
