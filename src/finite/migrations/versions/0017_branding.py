"""handover branding

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07

An organization's branding on what its clients see: display name, accent colour and logo (the
image's bytes, type, size and SHA-256; /branding/logos/{sha256} finds it by the hash).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import finite.kit.db_types

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "handover_branding",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=True),
        sa.Column("accent_color", sa.String(length=7), nullable=True),
        sa.Column("logo", sa.LargeBinary(), nullable=True),
        sa.Column("logo_content_type", sa.String(length=20), nullable=True),
        sa.Column("logo_sha256", sa.String(length=64), nullable=True),
        sa.Column("logo_size", sa.Integer(), nullable=True),
        sa.Column("logo_width", sa.Integer(), nullable=True),
        sa.Column("logo_height", sa.Integer(), nullable=True),
        sa.Column("updated_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_handover_branding_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_handover_branding")),
    )
    op.create_index("ix_handover_branding_logo", "handover_branding", ["logo_sha256"])


def downgrade() -> None:
    op.drop_index("ix_handover_branding_logo", table_name="handover_branding")
    op.drop_table("handover_branding")
