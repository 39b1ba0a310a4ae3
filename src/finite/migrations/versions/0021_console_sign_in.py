"""console sign-in: members' passwords and console sessions

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07

The web console's sign-in (finite/console): a member's password as its argon2id hash, the
signed-in sessions by the SHA-256 of their ids (the cookie alone holds an id), and the moment
a member was deactivated, which ends their sessions at once.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import finite.kit.db_types

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "members",
        sa.Column("deactivated_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "member_credentials",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("member_id", sa.String(length=40), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("changed_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id", "member_id"],
            ["members.org_id", "members.id"],
            name=op.f("fk_member_credentials_org_id_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", "member_id", name=op.f("pk_member_credentials")),
    )
    op.create_table(
        "console_sessions",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.String(length=40), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "idle_expires_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("expires_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("client_ip", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id", "member_id"],
            ["members.org_id", "members.id"],
            name=op.f("fk_console_sessions_org_id_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", "id", name=op.f("pk_console_sessions")),
    )
    op.create_index("ix_console_sessions_id", "console_sessions", ["id"])
    op.create_index("ix_console_sessions_org_member", "console_sessions", ["org_id", "member_id"])


def downgrade() -> None:
    op.drop_index("ix_console_sessions_org_member", table_name="console_sessions")
    op.drop_index("ix_console_sessions_id", table_name="console_sessions")
    op.drop_table("console_sessions")
    op.drop_table("member_credentials")
    # A plain DROP COLUMN (SQLite 3.35+): rebuilding the table would cascade to its children.
    op.drop_column("members", "deactivated_at")
