"""custom fields version

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-21

Every request reads the organization's custom-fields version along with its key; record
schemas are cached per process by that version. Triggers bump it on any change to
crm_custom_fields, so no writer (the API, the CLI, a manual fix in SQL) can leave a stale cache.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BUMP = "UPDATE organizations SET custom_fields_version = custom_fields_version + 1 WHERE id = {}"


def upgrade() -> None:
    op.add_column(
        "organizations",
        sa.Column("custom_fields_version", sa.BigInteger(), server_default="0", nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION bump_custom_fields_version() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN "
            "IF TG_OP = 'DELETE' THEN " + _BUMP.format("OLD.org_id") + "; "
            "ELSE " + _BUMP.format("NEW.org_id") + "; END IF; "
            "IF TG_OP = 'UPDATE' AND OLD.org_id <> NEW.org_id THEN "
            + _BUMP.format("OLD.org_id")
            + "; END IF; "
            "RETURN NULL; END $$"
        )
        op.execute(
            "CREATE TRIGGER crm_custom_fields_version AFTER INSERT OR UPDATE OR DELETE "
            "ON crm_custom_fields FOR EACH ROW EXECUTE FUNCTION bump_custom_fields_version()"
        )
        return
    for name, event, row in (("ai", "INSERT", "NEW"), ("ad", "DELETE", "OLD")):
        op.execute(
            f"CREATE TRIGGER crm_custom_fields_version_{name} AFTER {event} ON crm_custom_fields "
            f"BEGIN {_BUMP.format(f'{row}.org_id')}; END"
        )
    op.execute(
        "CREATE TRIGGER crm_custom_fields_version_au AFTER UPDATE ON crm_custom_fields "
        f"BEGIN {_BUMP.format('NEW.org_id')}; {_BUMP.format('OLD.org_id')} "
        "AND OLD.org_id <> NEW.org_id; END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER crm_custom_fields_version ON crm_custom_fields")
        op.execute("DROP FUNCTION bump_custom_fields_version()")
    else:
        for name in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER crm_custom_fields_version_{name}")
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_column("custom_fields_version")
