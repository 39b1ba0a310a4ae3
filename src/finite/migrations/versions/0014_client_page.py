"""client page

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07

A pack's client-page options (models/handover.HandoverPack): the optional pack password (its
argon2id hash only) and whether credentials wait for the client's sign-off.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("handover_packs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("password_hash", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column(
                "credentials_after_signoff",
                sa.Boolean(),
                server_default=sa.false(),
                nullable=False,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("handover_packs", schema=None) as batch_op:
        batch_op.drop_column("credentials_after_signoff")
        batch_op.drop_column("password_hash")
