"""mail outbox

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07

Mail waiting to go and what became of it (models/mail.py): queued in the transaction of the
change that asks for it, sent after the commit by a worker, retried on failure.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import finite.kit.db_types

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DUE = "status IN ('queued', 'failed')"


def upgrade() -> None:
    op.create_table(
        "mail_outbox",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("reference", sa.String(length=80), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("message_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lease_until", finite.kit.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_to", sa.String(length=500), nullable=True),
        sa.Column("created_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'failed', 'sent', 'dead')", name=op.f("ck_mail_outbox_status")
        ),
        sa.PrimaryKeyConstraint("org_id", "id", name=op.f("pk_mail_outbox")),
    )
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_mail_outbox_due",
            ["next_attempt_at"],
            unique=False,
            postgresql_where=sa.text(_DUE),
            sqlite_where=sa.text(_DUE),
        )
        batch_op.create_index(
            "ix_mail_outbox_org_reference", ["org_id", "reference", "created_at"], unique=False
        )
        batch_op.create_index("ix_mail_outbox_created", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_table("mail_outbox")
