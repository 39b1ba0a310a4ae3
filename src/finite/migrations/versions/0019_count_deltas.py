"""record count deltas

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07

PostgreSQL keeps a module's record count as its counter plus the changes not yet folded into
it (crm/records/pending_counts.py), so that creates in one organization stop waiting for each
other on the counter's row until they commit. SQLite gets the table too (one schema) and never
writes to it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "crm_count_deltas",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("module", sa.String(length=40), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("delta", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_crm_count_deltas_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", "module", "id", name=op.f("pk_crm_count_deltas")),
    )


def downgrade() -> None:
    # The changes not folded yet go into their counters first: dropped, they would be lost.
    pending = (
        "SELECT coalesce(sum(d.delta), 0) FROM crm_count_deltas d"
        " WHERE d.org_id = crm_counters.org_id AND d.module = crm_counters.module"
    )
    op.execute(f"UPDATE crm_counters SET record_count = record_count + ({pending})")  # noqa: S608
    op.drop_table("crm_count_deltas")
