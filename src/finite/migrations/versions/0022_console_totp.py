"""console second factor: TOTP secrets, recovery codes, sign-ins waiting for a code

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07

A member's TOTP secret sealed with the secret box (bound to its row), the last time step used
(no code is taken twice), the recovery codes as SHA-256 hashes, and the sign-ins whose password
was right and that wait for a code (by the SHA-256 of their token).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import finite.kit.db_types

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _member_fk(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["org_id", column],
        ["members.org_id", "members.id"],
        name=op.f(f"fk_{table}_org_id_{column}_members"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "member_totp",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("secret_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_step", sa.BigInteger(), nullable=True),
        _member_fk("member_totp", "id"),
        sa.PrimaryKeyConstraint("org_id", "id", name=op.f("pk_member_totp")),
    )
    op.create_table(
        "member_recovery_codes",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("member_id", sa.String(length=40), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("used_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=True),
        _member_fk("member_recovery_codes", "member_id"),
        sa.PrimaryKeyConstraint(
            "org_id", "member_id", "code_hash", name=op.f("pk_member_recovery_codes")
        ),
    )
    op.create_table(
        "console_pending_sign_ins",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.String(length=40), nullable=False),
        sa.Column("expires_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        _member_fk("console_pending_sign_ins", "member_id"),
        sa.PrimaryKeyConstraint("org_id", "id", name=op.f("pk_console_pending_sign_ins")),
    )
    op.create_index("ix_console_pending_sign_ins_id", "console_pending_sign_ins", ["id"])


def downgrade() -> None:
    op.drop_index("ix_console_pending_sign_ins_id", table_name="console_pending_sign_ins")
    op.drop_table("console_pending_sign_ins")
    op.drop_table("member_recovery_codes")
    op.drop_table("member_totp")
