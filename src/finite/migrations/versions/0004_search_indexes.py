"""search indexes: tsvector + GIN and pg_trgm on PostgreSQL, FTS5 (trigram) on SQLite

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22

Objects made here live outside the SQLAlchemy models, so autogenerate is told to ignore them
(`finite.crm.records.query.search.include_name`, used by env.py).

PostgreSQL, per module table, from the searchable fields joined by spaces: two stored generated
columns, `search` (their `simple` tsvector) under GIN (org_id, search), and `search_text` (their
lower-cased text) under a pg_trgm GIN index (org_id, search_text gin_trgm_ops); btree_gin lets
org_id lead both. A stored copy of the text, rather than an expression index, makes the re-checks
of candidate rows cheap (plain LIKE, no concatenation or lower() per row). Adding the columns
rewrites each table once, under an exclusive lock.

SQLite, per module table: an external-content FTS5 table `crm_<module>_fts` (trigram tokenizer,
columns = the searchable fields, rowid = the module table's rowid), kept in step by AFTER INSERT,
UPDATE and DELETE triggers and filled from the existing rows. A later migration that rebuilds a
module table (batch "move and copy") drops these triggers and renumbers rowids: it must recreate
them and rebuild the index (`recreate_sqlite_search` below shows how).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copy of each module's searchable fields at this revision (`Module.searchable`); later
# registry changes need a migration of their own. search.py builds the same expressions.
SEARCHABLE: dict[str, tuple[str, ...]] = {
    "leads": ("name", "company", "email"),
    "contacts": ("name", "email"),
    "accounts": ("name", "email"),
    "deals": ("name",),
    "pipeline": ("name",),
    "activities": ("subject",),
    "tickets": ("ticket_number", "subject", "email"),
    "campaigns": ("name",),
    "documents": ("name",),
    "products": ("name", "code"),
    "price_books": ("name",),
    "quotes": ("quote_number", "subject"),
    "sales_orders": ("sales_order_number", "subject"),
    "purchase_orders": ("purchase_order_number", "subject"),
    "invoices": ("invoice_number", "subject"),
    "vendors": ("name", "email"),
    "cases": ("case_number", "subject", "email"),
    "solutions": ("title", "solution_number"),
    "salesinbox": ("subject", "from_address", "to_address"),
    "social": ("handle",),
    "visits": ("url", "visitor"),
}


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
        for module, fields in SEARCHABLE.items():
            _create_postgres_search(module, fields)
    else:
        for module, fields in SEARCHABLE.items():
            recreate_sqlite_search(module, fields)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for module in reversed(SEARCHABLE):
            table = f"crm_{module}"
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_trgm")
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_search")
            op.execute(
                f"ALTER TABLE {table} DROP COLUMN IF EXISTS search, "
                "DROP COLUMN IF EXISTS search_text"
            )
        op.execute("DROP EXTENSION IF EXISTS btree_gin")
        op.execute("DROP EXTENSION IF EXISTS pg_trgm")
    else:
        for module in reversed(SEARCHABLE):
            _drop_sqlite_search(module)


def _joined(fields: Sequence[str]) -> str:
    """The searchable text: the one field, or the fields joined by spaces."""
    if len(fields) == 1:
        return fields[0]
    return " || ' ' || ".join(f"coalesce({field}, '')" for field in fields)


def _create_postgres_search(module: str, fields: Sequence[str]) -> None:
    table, text = f"crm_{module}", _joined(fields)
    op.execute(
        f"ALTER TABLE {table} "
        f"ADD COLUMN search tsvector "
        f"GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, {text})) STORED, "
        f"ADD COLUMN search_text text GENERATED ALWAYS AS (lower({text})) STORED"
    )
    op.execute(f"CREATE INDEX ix_{table}_search ON {table} USING gin (org_id, search)")
    op.execute(
        f"CREATE INDEX ix_{table}_trgm ON {table} USING gin (org_id, search_text gin_trgm_ops)"
    )


def recreate_sqlite_search(module: str, fields: Sequence[str]) -> None:
    """(Re)create the FTS5 table and its triggers for a module and index every existing row."""
    _drop_sqlite_search(module)
    table, fts = f"crm_{module}", f"crm_{module}_fts"
    columns = ", ".join(fields)
    new = ", ".join(f"new.{field}" for field in fields)
    old = ", ".join(f"old.{field}" for field in fields)
    # Identifiers only, all from SEARCHABLE above: nothing user-supplied reaches this SQL.
    remove = f"INSERT INTO {fts}({fts}, rowid, {columns}) VALUES ('delete', old.rowid, {old});"  # noqa: S608
    add = f"INSERT INTO {fts}(rowid, {columns}) VALUES (new.rowid, {new});"  # noqa: S608
    op.execute(
        f"CREATE VIRTUAL TABLE {fts} USING fts5({columns}, "
        f"content='{table}', content_rowid='rowid', tokenize='trigram')"
    )
    op.execute(f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN {add} END")
    op.execute(f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN {remove} END")
    op.execute(
        f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {columns} ON {table} BEGIN {remove} {add} END"
    )
    op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")  # noqa: S608


def _drop_sqlite_search(module: str) -> None:
    fts = f"crm_{module}_fts"
    for trigger in ("ai", "ad", "au"):
        op.execute(f"DROP TRIGGER IF EXISTS {fts}_{trigger}")
    op.execute(f"DROP TABLE IF EXISTS {fts}")
