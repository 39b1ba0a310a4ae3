"""PostgreSQL's derived texts (derived_text.py) brought up to date with this code after every
migration (migrations/env.py), inside the migration's transaction: a table whose trigger for
a text is not this code's gets the column, the function and the trigger, and that text
rewritten in every row (one UPDATE for all of a table's texts that changed)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

from finite.crm.derived_text import DIGEST_LENGTH, DerivedText
from finite.crm.export.postgres_lines import postgres_line
from finite.crm.modules.definitions import MODULES
from finite.crm.modules.tables import MODULE_TABLES
from finite.crm.records.postgres_json import postgres_record_json


def derived_texts(module_name: str) -> list[DerivedText]:
    """The texts PostgreSQL keeps for the module's records."""
    found = (postgres_line(module_name), postgres_record_json(module_name))
    return [derived for derived in found if derived is not None]


def sync_derived_texts(connection: Connection) -> None:
    """Bring every module table's derived texts up to date with this code. Tables not (or no
    longer) there are skipped; with nothing to change it reads the catalogue twice."""
    existing: dict[str, set[str]] = {}
    for table_name, trigger in connection.execute(
        text(
            "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND pg_table_is_visible(c.oid)"
        )
    ):
        existing.setdefault(table_name, set()).add(trigger)
    tables = {
        name
        for (name,) in connection.exec_driver_sql(
            "SELECT relname FROM pg_class WHERE relkind = 'r' AND pg_table_is_visible(oid)"
        )
    }
    for module_name in MODULES:
        table = MODULE_TABLES[module_name].name
        if table not in tables:
            continue
        triggers = existing.get(table, set())
        stale = [
            derived for derived in derived_texts(module_name) if derived.trigger not in triggers
        ]
        for derived in stale:
            _replace_trigger(connection, table, derived, triggers)
        if stale:
            _rewrite(connection, table, stale)


def _replace_trigger(
    connection: Connection, table: str, derived: DerivedText, triggers: set[str]
) -> None:
    # Identifiers and the texts' SQL come from the registry; no user input reaches this DDL.
    mark = derived.trigger[:-DIGEST_LENGTH]
    for name in sorted(name for name in triggers if name.startswith(mark)):
        connection.exec_driver_sql(f"DROP TRIGGER {name} ON {table}")
        connection.exec_driver_sql(f"DROP FUNCTION IF EXISTS {name}()")
    connection.exec_driver_sql(
        f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {derived.column} text"
    )
    connection.exec_driver_sql(
        f"CREATE OR REPLACE FUNCTION {derived.trigger}() {derived.function_body}"
    )
    watched = ", ".join(derived.columns)
    connection.exec_driver_sql(
        f"CREATE TRIGGER {derived.trigger} BEFORE INSERT OR UPDATE OF {watched} ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {derived.trigger}()"
    )


def _rewrite(connection: Connection, table: str, stale: list[DerivedText]) -> None:
    """Every row gets these texts again. Each updated row is a new row version, which every
    index of the table takes in as well: on a big table the indexes (but those of its
    constraints) are dropped first and built again after: 1.1M leads took 6.5 min with them in
    place, and left the indexes 40 % bigger."""
    connection.exec_driver_sql("SET LOCAL DateStyle TO 'ISO'")  # the migration's transaction
    named = {"table": table}
    estimated_rows = connection.execute(
        text("SELECT reltuples FROM pg_class WHERE oid = CAST(:table AS regclass)"), named
    ).scalar_one()
    indexes: list[tuple[str, str]] = []
    if estimated_rows >= _REBUILD_INDEXES_FROM_ROWS:
        indexes = [
            (name, definition)
            for name, definition in connection.execute(
                text(
                    "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
                    "JOIN pg_class i ON i.oid = x.indexrelid "
                    "WHERE x.indrelid = CAST(:table AS regclass) AND NOT EXISTS "
                    "(SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)"
                ),
                named,
            )
        ]
    for name, _definition in indexes:
        connection.exec_driver_sql(f"DROP INDEX {name}")
    assignments = ", ".join(f"{derived.column} = {derived.sql}" for derived in stale)
    connection.exec_driver_sql(f"UPDATE {table} SET {assignments}")  # noqa: S608
    if indexes:
        connection.exec_driver_sql("SET LOCAL maintenance_work_mem TO '256MB'")
    for _name, definition in indexes:
        connection.exec_driver_sql(definition)


_REBUILD_INDEXES_FROM_ROWS = 50_000
