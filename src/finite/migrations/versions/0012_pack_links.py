"""pack links

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07

The links a sent pack's recipients open (models/handover.PackLink): the token's hash only.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import finite.kit.db_types

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "handover_pack_links",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("project_id", sa.String(length=40), nullable=False),
        sa.Column("pack_id", sa.String(length=40), nullable=False),
        sa.Column("send_id", sa.String(length=40), nullable=False),
        sa.Column("recipient_email", sa.String(length=320), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("replaced_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("first_viewed_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("views", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id", "pack_id"],
            ["handover_packs.org_id", "handover_packs.id"],
            name=op.f("fk_handover_pack_links_org_id_pack_id_handover_packs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", "id", name=op.f("pk_handover_pack_links")),
    )
    with op.batch_alter_table("handover_pack_links", schema=None) as batch_op:
        batch_op.create_index("uq_handover_pack_links_token", ["token_hash"], unique=True)
        batch_op.create_index(
            "ix_handover_pack_links_org_project",
            ["org_id", "project_id", "created_at"],
            unique=False,
        )


def downgrade() -> None:
    op.drop_table("handover_pack_links")
