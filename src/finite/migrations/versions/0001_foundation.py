"""foundation: accounts, roles, members, subscriptions, api keys

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import finite.kit.db_types

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "organizations",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
    )
    op.create_table(
        "roles",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("is_builtin", sa.Boolean(), nullable=False),
        sa.Column("permissions", sa.JSON(), nullable=False),
        sa.Column("created_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_roles_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", "id", name=op.f("pk_roles")),
        sa.UniqueConstraint("org_id", "name", name=op.f("uq_roles_org_id_name")),
    )
    op.create_table(
        "subscriptions",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("product", sa.String(length=16), nullable=False),
        sa.Column("plan", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("trial_ends_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("rpm_override", sa.Integer(), nullable=True),
        sa.Column("webhooks_override", sa.Integer(), nullable=True),
        sa.Column("updated_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("product IN ('crm', 'handover')", name=op.f("ck_subscriptions_product")),
        sa.CheckConstraint(
            "status IN ('trial', 'active', 'expired', 'suspended')",
            name=op.f("ck_subscriptions_status"),
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_subscriptions_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", "product", name=op.f("pk_subscriptions")),
    )
    op.create_table(
        "members",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role_id", sa.String(length=40), nullable=False),
        sa.Column("is_owner", sa.Boolean(), nullable=False),
        sa.Column("created_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id", "role_id"],
            ["roles.org_id", "roles.id"],
            name=op.f("fk_members_org_id_role_id_roles"),
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_members_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", "id", name=op.f("pk_members")),
        sa.UniqueConstraint("org_id", "email", name=op.f("uq_members_org_id_email")),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("product", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("member_id", sa.String(length=40), nullable=True),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("pepper_id", sa.String(length=16), nullable=False),
        sa.Column("last_four", sa.String(length=4), nullable=False),
        sa.Column("created_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "product <> 'crm' OR member_id IS NOT NULL", name=op.f("ck_api_keys_crm_key_has_member")
        ),
        sa.CheckConstraint("product IN ('crm', 'handover')", name=op.f("ck_api_keys_product")),
        sa.ForeignKeyConstraint(
            ["org_id", "member_id"],
            ["members.org_id", "members.id"],
            name=op.f("fk_api_keys_org_id_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_api_keys_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_api_keys_secret_hash")),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index(
            "ix_api_keys_org_product_created", ["org_id", "product", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_api_keys_org_product_created")

    op.drop_table("api_keys")
    op.drop_table("members")
    op.drop_table("subscriptions")
    op.drop_table("roles")
    op.drop_table("organizations")
