"""console password links: one-time invitation and reset links

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07

A member invited to the console, or who forgot their password, gets a mailed link that sets
it once; the table keeps the SHA-256 of the link's token, never the token.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import finite.kit.db_types

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "console_password_links",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.String(length=40), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("created_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id", "member_id"],
            ["members.org_id", "members.id"],
            name=op.f("fk_console_password_links_org_id_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", "id", name=op.f("pk_console_password_links")),
    )
    op.create_index("ix_console_password_links_id", "console_password_links", ["id"])
    op.create_index(
        "ix_console_password_links_org_member", "console_password_links", ["org_id", "member_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_console_password_links_org_member", table_name="console_password_links")
    op.drop_index("ix_console_password_links_id", table_name="console_password_links")
    op.drop_table("console_password_links")
