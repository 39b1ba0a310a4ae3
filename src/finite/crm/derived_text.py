"""Texts PostgreSQL derives from each record and keeps beside it, written by a trigger in the
record's own write: the export's CSV line (export/postgres_lines.py) and the record's JSON for
lists (records/postgres_json.py). What one such text is, how its trigger is named (SQLite's
line triggers are named the same way: export/line_sql.py), and whether it is enabled."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import column, func, select, table

from finite.crm.modules.tables import MODULE_TABLES
from finite.kit.fast_read import Source, fetch_all

DIGEST_LENGTH = 12  # hex digits of a trigger name's hash, at its end


@dataclass(frozen=True, slots=True)
class DerivedText:
    """One module's derived text: the column it is kept in, the columns it is made of (its
    trigger fires when one of them changes), its SQL over the table, the body of the
    trigger's function, and the name of the trigger and its function."""

    column: str
    columns: tuple[str, ...]
    sql: str
    function_body: str
    trigger: str


def trigger_name(module_name: str, mark: str, sources: tuple[str, ...]) -> str:
    """A trigger's name: its table, the mark of its kind of text, and a hash of what makes
    the text (another text, another name)."""
    digest = hashlib.sha256("\n".join(sources).encode()).hexdigest()[:DIGEST_LENGTH]
    return f"{MODULE_TABLES[module_name].name}{mark}{digest}"


_PG_TRIGGER = table("pg_trigger", column("tgname"), column("tgisinternal"), column("tgenabled"))


async def trigger_is_enabled(source: Source, name: str) -> bool:
    """Whether the trigger is in place and enabled: while it is disabled (a bulk load may do
    that), the texts it keeps go stale."""
    trigger = _PG_TRIGGER.c
    found = await fetch_all(
        source,
        select(func.count())
        .select_from(_PG_TRIGGER)
        .where(trigger.tgname == name, trigger.tgisinternal.is_(False), trigger.tgenabled != "D"),
    )
    return bool(found[0][0] == 1)
