"""principal notifications

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03

PostgreSQL: any change to what a key's principal is read from (the key, its organization, plan,
member and role; the custom-fields version moves with crm_custom_fields) notifies channel
`finite_auth` when its transaction commits, so every server process's principal cache retires
what it holds (core/auth/principal_cache.py). A key's last_used_at alone notifies nobody: it is
written once a minute per key in use. SQLite keeps no such cache and needs nothing.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("organizations", "subscriptions", "members", "roles")
_KEY_COLUMNS = (
    "id, org_id, product, name, member_id, scopes, secret_hash, pepper_id, last_four, "
    "created_at, expires_at, revoked_at"
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE FUNCTION notify_principal_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN PERFORM pg_notify('finite_auth', TG_TABLE_NAME); RETURN NULL; END $$"
    )
    for table in _TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_principal_change "
            f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION notify_principal_change()"
        )
    op.execute(
        "CREATE TRIGGER api_keys_principal_change "
        f"AFTER INSERT OR DELETE OR TRUNCATE OR UPDATE OF {_KEY_COLUMNS} ON api_keys "
        "FOR EACH STATEMENT EXECUTE FUNCTION notify_principal_change()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in (*_TABLES, "api_keys"):
        op.execute(f"DROP TRIGGER {table}_principal_change ON {table}")
    op.execute("DROP FUNCTION notify_principal_change()")
