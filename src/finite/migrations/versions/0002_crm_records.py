"""crm records: module tables, custom fields, line items, events outbox, audit log, idempotency

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import finite.kit.db_types
import finite.kit.scaled_decimal

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("occurred_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("product", sa.String(length=16), nullable=False),
        sa.Column("key_id", sa.String(length=40), nullable=True),
        sa.Column("key_name", sa.String(length=100), nullable=True),
        sa.Column("member_id", sa.String(length=40), nullable=True),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("module", sa.String(length=40), nullable=True),
        sa.Column("record_id", sa.BigInteger(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=True),
        sa.Column("request_id", sa.String(length=128), nullable=False),
        sa.Column("client_ip", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.Column("changes", sa.JSON(none_as_null=True), nullable=True),
        sa.PrimaryKeyConstraint("org_id", "id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_org_occurred", ["org_id", "occurred_at"], unique=False)
        batch_op.create_index(
            "ix_audit_log_org_record", ["org_id", "module", "record_id"], unique=False
        )

    op.create_table(
        "events",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("product", sa.String(length=16), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("module", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("occurred_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("changed_fields", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("org_id", "id", name=op.f("pk_events")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_org_occurred", ["org_id", "occurred_at"], unique=False)

    op.create_table(
        "idempotency_keys",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("key_id", sa.String(length=40), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "org_id", "key_id", "idempotency_key", name=op.f("pk_idempotency_keys")
        ),
    )
    op.create_table(
        "crm_accounts",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=True),
        sa.Column("owner", sa.String(length=40), nullable=True),
        sa.Column("custom", sa.JSON(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("account_number", sa.String(length=255), nullable=True),
        sa.Column("type", sa.String(length=100), nullable=True),
        sa.Column("industry", sa.String(length=100), nullable=True),
        sa.Column("website", sa.String(length=2048), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("parent_account_id", sa.BigInteger(), nullable=True),
        sa.Column("employees", sa.BigInteger(), nullable=True),
        sa.Column("annual_revenue", finite.kit.scaled_decimal.ScaledDecimal(18, 2), nullable=True),
        sa.Column("billing_street", sa.String(length=255), nullable=True),
        sa.Column("billing_city", sa.String(length=255), nullable=True),
        sa.Column("billing_state", sa.String(length=255), nullable=True),
        sa.Column("billing_postal_code", sa.String(length=20), nullable=True),
        sa.Column("billing_country", sa.String(length=255), nullable=True),
        sa.Column("shipping_street", sa.String(length=255), nullable=True),
        sa.Column("shipping_city", sa.String(length=255), nullable=True),
        sa.Column("shipping_state", sa.String(length=255), nullable=True),
        sa.Column("shipping_postal_code", sa.String(length=20), nullable=True),
        sa.Column("shipping_country", sa.String(length=255), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id", "parent_account_id"],
            ["crm_accounts.org_id", "crm_accounts.id"],
            name="fk_crm_accounts_parent_account_id",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_crm_accounts_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", "id", name=op.f("pk_crm_accounts")),
    )
    with op.batch_alter_table("crm_accounts", schema=None) as batch_op:
        batch_op.create_index("ix_crm_accounts_org_updated", ["org_id", "updated_at"], unique=False)
        batch_op.create_index(
            "ix_crm_accounts_parent_account_id", ["org_id", "parent_account_id"], unique=False
        )

    op.create_table(
        "crm_campaigns",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=True),
        sa.Column("owner", sa.String(length=40), nullable=True),
        sa.Column("custom", sa.JSON(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("type", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=100), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("currency", sa.String(length=100), nullable=True),
        sa.Column("budget", finite.kit.scaled_decimal.ScaledDecimal(18, 2), nullable=True),
        sa.Column("actual_cost", finite.kit.scaled_decimal.ScaledDecimal(18, 2), nullable=True),
        sa.Column(
            "expected_revenue", finite.kit.scaled_decimal.ScaledDecimal(18, 2), nullable=True
        ),
        sa.Column("expected_response", sa.BigInteger(), nullable=True),
        sa.Column("num_sent", sa.BigInteger(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_crm_campaigns_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", "id", name=op.f("pk_crm_campaigns")),
    )
    with op.batch_alter_table("crm_campaigns", schema=None) as batch_op:
        batch_op.create_index(
            "ix_crm_campaigns_org_updated", ["org_id", "updated_at"], unique=False
        )

    op.create_table(
        "crm_counters",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("module", sa.String(length=40), nullable=False),
        sa.Column("last_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_crm_counters_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", "module", name=op.f("pk_crm_counters")),
    )
    op.create_table(
        "crm_custom_fields",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("module", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("target", sa.String(length=40), nullable=True),
        sa.Column("max_length", sa.Integer(), nullable=True),
        sa.Column("created_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_crm_custom_fields_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", "module", "key", name=op.f("pk_crm_custom_fields")),
    )
    op.create_table(
        "crm_documents",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=True),
        sa.Column("owner", sa.String(length=40), nullable=True),
        sa.Column("custom", sa.JSON(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=100), nullable=True),
        sa.Column("type", sa.String(length=100), nullable=True),
        sa.Column("url", sa.String(length=2048), nullable=True),
        sa.Column("publish_date", sa.Date(), nullable=True),
        sa.Column("expiry_date", sa.Date(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_crm_documents_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", "id", name=op.f("pk_crm_documents")),
    )
    with op.batch_alter_table("crm_documents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_crm_documents_org_updated", ["org_id", "updated_at"], unique=False
        )

    op.create_table(
        "crm_leads",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=True),
        sa.Column("owner", sa.String(length=40), nullable=True),
        sa.Column("custom", sa.JSON(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("first_name", sa.String(length=255), nullable=True),
        sa.Column("last_name", sa.String(length=255), nullable=True),
        sa.Column("company", sa.String(length=255), nullable=True),
        sa.Column("title", sa.String(length=255), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("mobile", sa.String(length=40), nullable=True),
        sa.Column("website", sa.String(length=2048), nullable=True),
        sa.Column("industry", sa.String(length=100), nullable=True),
        sa.Column("employees", sa.BigInteger(), nullable=True),
        sa.Column("annual_revenue", finite.kit.scaled_decimal.ScaledDecimal(18, 2), nullable=True),
        sa.Column("source", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=100), nullable=True),
        sa.Column("rating", sa.String(length=100), nullable=True),
        sa.Column("street", sa.String(length=255), nullable=True),
        sa.Column("city", sa.String(length=255), nullable=True),
        sa.Column("state", sa.String(length=255), nullable=True),
        sa.Column("postal_code", sa.String(length=20), nullable=True),
        sa.Column("country", sa.String(length=255), nullable=True),
        sa.Column("value", finite.kit.scaled_decimal.ScaledDecimal(18, 2), nullable=True),
        sa.Column("email_opt_out", sa.Boolean(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_crm_leads_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", "id", name=op.f("pk_crm_leads")),
    )
    with op.batch_alter_table("crm_leads", schema=None) as batch_op:
        batch_op.create_index("ix_crm_leads_org_updated", ["org_id", "updated_at"], unique=False)

    op.create_table(
        "crm_price_books",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=True),
        sa.Column("owner", sa.String(length=40), nullable=True),
        sa.Column("custom", sa.JSON(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=True),
        sa.Column("pricing_model", sa.String(length=100), nullable=True),
        sa.Column("currency", sa.String(length=100), nullable=True),
        sa.Column("discount", finite.kit.scaled_decimal.ScaledDecimal(9, 4), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_crm_price_books_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", "id", name=op.f("pk_crm_price_books")),
    )
    with op.batch_alter_table("crm_price_books", schema=None) as batch_op:
        batch_op.create_index(
            "ix_crm_price_books_org_updated", ["org_id", "updated_at"], unique=False
        )

    op.create_table(
        "crm_vendors",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=True),
        sa.Column("owner", sa.String(length=40), nullable=True),
        sa.Column("custom", sa.JSON(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("website", sa.String(length=2048), nullable=True),
        sa.Column("category", sa.String(length=255), nullable=True),
        sa.Column("street", sa.String(length=255), nullable=True),
        sa.Column("city", sa.String(length=255), nullable=True),
        sa.Column("state", sa.String(length=255), nullable=True),
        sa.Column("postal_code", sa.String(length=20), nullable=True),
        sa.Column("country", sa.String(length=255), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_crm_vendors_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", "id", name=op.f("pk_crm_vendors")),
    )
    with op.batch_alter_table("crm_vendors", schema=None) as batch_op:
        batch_op.create_index("ix_crm_vendors_org_updated", ["org_id", "updated_at"], unique=False)

    op.create_table(
        "crm_contacts",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=True),
        sa.Column("owner", sa.String(length=40), nullable=True),
        sa.Column("custom", sa.JSON(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("salutation", sa.String(length=100), nullable=True),
        sa.Column("first_name", sa.String(length=255), nullable=True),
        sa.Column("last_name", sa.String(length=255), nullable=True),
        sa.Column("account_id", sa.BigInteger(), nullable=True),
        sa.Column("title", sa.String(length=255), nullable=True),
        sa.Column("department", sa.String(length=255), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("secondary_email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("mobile", sa.String(length=40), nullable=True),
        sa.Column("home_phone", sa.String(length=40), nullable=True),
        sa.Column("mailing_street", sa.String(length=255), nullable=True),
        sa.Column("mailing_city", sa.String(length=255), nullable=True),
        sa.Column("mailing_state", sa.String(length=255), nullable=True),
        sa.Column("mailing_postal_code", sa.String(length=20), nullable=True),
        sa.Column("mailing_country", sa.String(length=255), nullable=True),
        sa.Column("lead_source", sa.String(length=100), nullable=True),
        sa.Column("birthday", sa.Date(), nullable=True),
        sa.Column("email_opt_out", sa.Boolean(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id", "account_id"],
            ["crm_accounts.org_id", "crm_accounts.id"],
            name="fk_crm_contacts_account_id",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_crm_contacts_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", "id", name=op.f("pk_crm_contacts")),
    )
    with op.batch_alter_table("crm_contacts", schema=None) as batch_op:
        batch_op.create_index("ix_crm_contacts_account_id", ["org_id", "account_id"], unique=False)
        batch_op.create_index("ix_crm_contacts_org_updated", ["org_id", "updated_at"], unique=False)

    op.create_table(
        "crm_products",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=True),
        sa.Column("owner", sa.String(length=40), nullable=True),
        sa.Column("custom", sa.JSON(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("code", sa.String(length=255), nullable=True),
        sa.Column("category", sa.String(length=100), nullable=True),
        sa.Column("vendor_id", sa.BigInteger(), nullable=True),
        sa.Column("manufacturer", sa.String(length=255), nullable=True),
        sa.Column("unit_price", finite.kit.scaled_decimal.ScaledDecimal(18, 2), nullable=True),
        sa.Column("taxable", sa.Boolean(), nullable=True),
        sa.Column("tax_rate", finite.kit.scaled_decimal.ScaledDecimal(9, 4), nullable=True),
        sa.Column("usage_unit", sa.String(length=255), nullable=True),
        sa.Column("qty_in_stock", finite.kit.scaled_decimal.ScaledDecimal(18, 4), nullable=True),
        sa.Column("reorder_level", finite.kit.scaled_decimal.ScaledDecimal(18, 4), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id", "vendor_id"],
            ["crm_vendors.org_id", "crm_vendors.id"],
            name="fk_crm_products_vendor_id",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_crm_products_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", "id", name=op.f("pk_crm_products")),
    )
    with op.batch_alter_table("crm_products", schema=None) as batch_op:
        batch_op.create_index("ix_crm_products_org_updated", ["org_id", "updated_at"], unique=False)
        batch_op.create_index("ix_crm_products_vendor_id", ["org_id", "vendor_id"], unique=False)

    op.create_table(
        "crm_deals",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=True),
        sa.Column("owner", sa.String(length=40), nullable=True),
        sa.Column("custom", sa.JSON(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("account_id", sa.BigInteger(), nullable=True),
        sa.Column("contact_id", sa.BigInteger(), nullable=True),
        sa.Column("campaign_id", sa.BigInteger(), nullable=True),
        sa.Column("amount", finite.kit.scaled_decimal.ScaledDecimal(18, 2), nullable=True),
        sa.Column("currency", sa.String(length=100), nullable=True),
        sa.Column("probability", finite.kit.scaled_decimal.ScaledDecimal(9, 4), nullable=True),
        sa.Column("close_date", sa.Date(), nullable=True),
        sa.Column("stage", sa.String(length=100), nullable=True),
        sa.Column("type", sa.String(length=100), nullable=True),
        sa.Column("lead_source", sa.String(length=100), nullable=True),
        sa.Column("next_step", sa.String(length=255), nullable=True),
        sa.Column("lost_reason", sa.String(length=255), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id", "account_id"],
            ["crm_accounts.org_id", "crm_accounts.id"],
            name="fk_crm_deals_account_id",
        ),
        sa.ForeignKeyConstraint(
            ["org_id", "campaign_id"],
            ["crm_campaigns.org_id", "crm_campaigns.id"],
            name="fk_crm_deals_campaign_id",
        ),
        sa.ForeignKeyConstraint(
            ["org_id", "contact_id"],
            ["crm_contacts.org_id", "crm_contacts.id"],
            name="fk_crm_deals_contact_id",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_crm_deals_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", "id", name=op.f("pk_crm_deals")),
    )
    with op.batch_alter_table("crm_deals", schema=None) as batch_op:
        batch_op.create_index("ix_crm_deals_account_id", ["org_id", "account_id"], unique=False)
        batch_op.create_index("ix_crm_deals_campaign_id", ["org_id", "campaign_id"], unique=False)
        batch_op.create_index("ix_crm_deals_contact_id", ["org_id", "contact_id"], unique=False)
        batch_op.create_index("ix_crm_deals_org_updated", ["org_id", "updated_at"], unique=False)

    op.create_table(
        "crm_line_items",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("module", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("product_id", sa.BigInteger(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("quantity", finite.kit.scaled_decimal.ScaledDecimal(18, 4), nullable=False),
        sa.Column("list_price", finite.kit.scaled_decimal.ScaledDecimal(18, 2), nullable=False),
        sa.Column("discount", finite.kit.scaled_decimal.ScaledDecimal(18, 2), nullable=False),
        sa.Column("tax_rate", finite.kit.scaled_decimal.ScaledDecimal(9, 4), nullable=False),
        sa.Column("amount", finite.kit.scaled_decimal.ScaledDecimal(18, 2), nullable=False),
        sa.Column("tax", finite.kit.scaled_decimal.ScaledDecimal(18, 2), nullable=False),
        sa.Column("total", finite.kit.scaled_decimal.ScaledDecimal(18, 2), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id", "product_id"],
            ["crm_products.org_id", "crm_products.id"],
            name="fk_crm_line_items_product",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_crm_line_items_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "org_id", "module", "record_id", "position", name=op.f("pk_crm_line_items")
        ),
    )
    op.create_table(
        "crm_pipeline",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=True),
        sa.Column("owner", sa.String(length=40), nullable=True),
        sa.Column("custom", sa.JSON(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("account_id", sa.BigInteger(), nullable=True),
        sa.Column("contact_id", sa.BigInteger(), nullable=True),
        sa.Column("campaign_id", sa.BigInteger(), nullable=True),
        sa.Column("amount", finite.kit.scaled_decimal.ScaledDecimal(18, 2), nullable=True),
        sa.Column("currency", sa.String(length=100), nullable=True),
        sa.Column("probability", finite.kit.scaled_decimal.ScaledDecimal(9, 4), nullable=True),
        sa.Column("close_date", sa.Date(), nullable=True),
        sa.Column("stage", sa.String(length=100), nullable=True),
        sa.Column("type", sa.String(length=100), nullable=True),
        sa.Column("lead_source", sa.String(length=100), nullable=True),
        sa.Column("next_step", sa.String(length=255), nullable=True),
        sa.Column("lost_reason", sa.String(length=255), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id", "account_id"],
            ["crm_accounts.org_id", "crm_accounts.id"],
            name="fk_crm_pipeline_account_id",
        ),
        sa.ForeignKeyConstraint(
            ["org_id", "campaign_id"],
            ["crm_campaigns.org_id", "crm_campaigns.id"],
            name="fk_crm_pipeline_campaign_id",
        ),
        sa.ForeignKeyConstraint(
            ["org_id", "contact_id"],
            ["crm_contacts.org_id", "crm_contacts.id"],
            name="fk_crm_pipeline_contact_id",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_crm_pipeline_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", "id", name=op.f("pk_crm_pipeline")),
    )
    with op.batch_alter_table("crm_pipeline", schema=None) as batch_op:
        batch_op.create_index("ix_crm_pipeline_account_id", ["org_id", "account_id"], unique=False)
        batch_op.create_index(
            "ix_crm_pipeline_campaign_id", ["org_id", "campaign_id"], unique=False
        )
        batch_op.create_index("ix_crm_pipeline_contact_id", ["org_id", "contact_id"], unique=False)
        batch_op.create_index("ix_crm_pipeline_org_updated", ["org_id", "updated_at"], unique=False)

    op.create_table(
        "crm_purchase_orders",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=True),
        sa.Column("owner", sa.String(length=40), nullable=True),
        sa.Column("custom", sa.JSON(), nullable=False),
        sa.Column("purchase_order_number", sa.String(length=255), nullable=True),
        sa.Column("subject", sa.String(length=255), nullable=True),
        sa.Column("vendor_id", sa.BigInteger(), nullable=True),
        sa.Column("contact_id", sa.BigInteger(), nullable=True),
        sa.Column("tracking_number", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=100), nullable=True),
        sa.Column("order_date", sa.Date(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("currency", sa.String(length=100), nullable=True),
        sa.Column("billing_street", sa.String(length=255), nullable=True),
        sa.Column("billing_city", sa.String(length=255), nullable=True),
        sa.Column("billing_state", sa.String(length=255), nullable=True),
        sa.Column("billing_postal_code", sa.String(length=20), nullable=True),
        sa.Column("billing_country", sa.String(length=255), nullable=True),
        sa.Column("shipping_street", sa.String(length=255), nullable=True),
        sa.Column("shipping_city", sa.String(length=255), nullable=True),
        sa.Column("shipping_state", sa.String(length=255), nullable=True),
        sa.Column("shipping_postal_code", sa.String(length=20), nullable=True),
        sa.Column("shipping_country", sa.String(length=255), nullable=True),
        sa.Column("sub_total", finite.kit.scaled_decimal.ScaledDecimal(18, 2), nullable=True),
        sa.Column("discount_total", finite.kit.scaled_decimal.ScaledDecimal(18, 2), nullable=True),
        sa.Column("tax_total", finite.kit.scaled_decimal.ScaledDecimal(18, 2), nullable=True),
        sa.Column("adjustment", finite.kit.scaled_decimal.ScaledDecimal(18, 2), nullable=True),
        sa.Column("grand_total", finite.kit.scaled_decimal.ScaledDecimal(18, 2), nullable=True),
        sa.Column("terms", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id", "contact_id"],
            ["crm_contacts.org_id", "crm_contacts.id"],
            name="fk_crm_purchase_orders_contact_id",
        ),
        sa.ForeignKeyConstraint(
            ["org_id", "vendor_id"],
            ["crm_vendors.org_id", "crm_vendors.id"],
            name="fk_crm_purchase_orders_vendor_id",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_crm_purchase_orders_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", "id", name=op.f("pk_crm_purchase_orders")),
    )
    with op.batch_alter_table("crm_purchase_orders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_crm_purchase_orders_contact_id", ["org_id", "contact_id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_purchase_orders_org_updated", ["org_id", "updated_at"], unique=False
        )
        batch_op.create_index(
            "ix_crm_purchase_orders_vendor_id", ["org_id", "vendor_id"], unique=False
        )

    op.create_table(
        "crm_social",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=True),
        sa.Column("owner", sa.String(length=40), nullable=True),
        sa.Column("custom", sa.JSON(), nullable=False),
        sa.Column("handle", sa.String(length=255), nullable=True),
        sa.Column("network", sa.String(length=100), nullable=True),
        sa.Column("post_type", sa.String(length=100), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("url", sa.String(length=2048), nullable=True),
        sa.Column("posted_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lead_id", sa.BigInteger(), nullable=True),
        sa.Column("contact_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id", "contact_id"],
            ["crm_contacts.org_id", "crm_contacts.id"],
            name="fk_crm_social_contact_id",
        ),
        sa.ForeignKeyConstraint(
            ["org_id", "lead_id"],
            ["crm_leads.org_id", "crm_leads.id"],
            name="fk_crm_social_lead_id",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_crm_social_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", "id", name=op.f("pk_crm_social")),
    )
    with op.batch_alter_table("crm_social", schema=None) as batch_op:
        batch_op.create_index("ix_crm_social_contact_id", ["org_id", "contact_id"], unique=False)
        batch_op.create_index("ix_crm_social_lead_id", ["org_id", "lead_id"], unique=False)
        batch_op.create_index("ix_crm_social_org_updated", ["org_id", "updated_at"], unique=False)

    op.create_table(
        "crm_solutions",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=True),
        sa.Column("owner", sa.String(length=40), nullable=True),
        sa.Column("custom", sa.JSON(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=True),
        sa.Column("solution_number", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=100), nullable=True),
        sa.Column("product_id", sa.BigInteger(), nullable=True),
        sa.Column("question", sa.Text(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id", "product_id"],
            ["crm_products.org_id", "crm_products.id"],
            name="fk_crm_solutions_product_id",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_crm_solutions_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", "id", name=op.f("pk_crm_solutions")),
    )
    with op.batch_alter_table("crm_solutions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_crm_solutions_org_updated", ["org_id", "updated_at"], unique=False
        )
        batch_op.create_index("ix_crm_solutions_product_id", ["org_id", "product_id"], unique=False)

    op.create_table(
        "crm_tickets",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=True),
        sa.Column("owner", sa.String(length=40), nullable=True),
        sa.Column("custom", sa.JSON(), nullable=False),
        sa.Column("ticket_number", sa.String(length=255), nullable=True),
        sa.Column("subject", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=100), nullable=True),
        sa.Column("priority", sa.String(length=100), nullable=True),
        sa.Column("type", sa.String(length=100), nullable=True),
        sa.Column("origin", sa.String(length=100), nullable=True),
        sa.Column("account_id", sa.BigInteger(), nullable=True),
        sa.Column("contact_id", sa.BigInteger(), nullable=True),
        sa.Column("product_id", sa.BigInteger(), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id", "account_id"],
            ["crm_accounts.org_id", "crm_accounts.id"],
            name="fk_crm_tickets_account_id",
        ),
        sa.ForeignKeyConstraint(
            ["org_id", "contact_id"],
            ["crm_contacts.org_id", "crm_contacts.id"],
            name="fk_crm_tickets_contact_id",
        ),
        sa.ForeignKeyConstraint(
            ["org_id", "product_id"],
            ["crm_products.org_id", "crm_products.id"],
            name="fk_crm_tickets_product_id",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_crm_tickets_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", "id", name=op.f("pk_crm_tickets")),
    )
    with op.batch_alter_table("crm_tickets", schema=None) as batch_op:
        batch_op.create_index("ix_crm_tickets_account_id", ["org_id", "account_id"], unique=False)
        batch_op.create_index("ix_crm_tickets_contact_id", ["org_id", "contact_id"], unique=False)
        batch_op.create_index("ix_crm_tickets_org_updated", ["org_id", "updated_at"], unique=False)
        batch_op.create_index("ix_crm_tickets_product_id", ["org_id", "product_id"], unique=False)

    op.create_table(
        "crm_visits",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=True),
        sa.Column("owner", sa.String(length=40), nullable=True),
        sa.Column("custom", sa.JSON(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=True),
        sa.Column("visitor", sa.String(length=255), nullable=True),
        sa.Column("page_title", sa.String(length=255), nullable=True),
        sa.Column("referrer", sa.String(length=2048), nullable=True),
        sa.Column("duration_seconds", sa.BigInteger(), nullable=True),
        sa.Column("visited_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lead_id", sa.BigInteger(), nullable=True),
        sa.Column("contact_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id", "contact_id"],
            ["crm_contacts.org_id", "crm_contacts.id"],
            name="fk_crm_visits_contact_id",
        ),
        sa.ForeignKeyConstraint(
            ["org_id", "lead_id"],
            ["crm_leads.org_id", "crm_leads.id"],
            name="fk_crm_visits_lead_id",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_crm_visits_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", "id", name=op.f("pk_crm_visits")),
    )
    with op.batch_alter_table("crm_visits", schema=None) as batch_op:
        batch_op.create_index("ix_crm_visits_contact_id", ["org_id", "contact_id"], unique=False)
        batch_op.create_index("ix_crm_visits_lead_id", ["org_id", "lead_id"], unique=False)
        batch_op.create_index("ix_crm_visits_org_updated", ["org_id", "updated_at"], unique=False)

    op.create_table(
        "crm_activities",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=True),
        sa.Column("owner", sa.String(length=40), nullable=True),
        sa.Column("custom", sa.JSON(), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=True),
        sa.Column("type", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=100), nullable=True),
        sa.Column("priority", sa.String(length=100), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("start_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("end_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("duration_minutes", sa.BigInteger(), nullable=True),
        sa.Column("location", sa.String(length=255), nullable=True),
        sa.Column("related_lead_id", sa.BigInteger(), nullable=True),
        sa.Column("related_contact_id", sa.BigInteger(), nullable=True),
        sa.Column("related_account_id", sa.BigInteger(), nullable=True),
        sa.Column("related_deal_id", sa.BigInteger(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id", "related_account_id"],
            ["crm_accounts.org_id", "crm_accounts.id"],
            name="fk_crm_activities_related_account_id",
        ),
        sa.ForeignKeyConstraint(
            ["org_id", "related_contact_id"],
            ["crm_contacts.org_id", "crm_contacts.id"],
            name="fk_crm_activities_related_contact_id",
        ),
        sa.ForeignKeyConstraint(
            ["org_id", "related_deal_id"],
            ["crm_deals.org_id", "crm_deals.id"],
            name="fk_crm_activities_related_deal_id",
        ),
        sa.ForeignKeyConstraint(
            ["org_id", "related_lead_id"],
            ["crm_leads.org_id", "crm_leads.id"],
            name="fk_crm_activities_related_lead_id",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_crm_activities_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", "id", name=op.f("pk_crm_activities")),
    )
    with op.batch_alter_table("crm_activities", schema=None) as batch_op:
        batch_op.create_index(
            "ix_crm_activities_org_updated", ["org_id", "updated_at"], unique=False
        )
        batch_op.create_index(
            "ix_crm_activities_related_account_id", ["org_id", "related_account_id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_activities_related_contact_id", ["org_id", "related_contact_id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_activities_related_deal_id", ["org_id", "related_deal_id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_activities_related_lead_id", ["org_id", "related_lead_id"], unique=False
        )

    op.create_table(
        "crm_cases",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=True),
        sa.Column("owner", sa.String(length=40), nullable=True),
        sa.Column("custom", sa.JSON(), nullable=False),
        sa.Column("case_number", sa.String(length=255), nullable=True),
        sa.Column("subject", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=100), nullable=True),
        sa.Column("priority", sa.String(length=100), nullable=True),
        sa.Column("type", sa.String(length=100), nullable=True),
        sa.Column("origin", sa.String(length=100), nullable=True),
        sa.Column("account_id", sa.BigInteger(), nullable=True),
        sa.Column("contact_id", sa.BigInteger(), nullable=True),
        sa.Column("product_id", sa.BigInteger(), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("solution_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id", "account_id"],
            ["crm_accounts.org_id", "crm_accounts.id"],
            name="fk_crm_cases_account_id",
        ),
        sa.ForeignKeyConstraint(
            ["org_id", "contact_id"],
            ["crm_contacts.org_id", "crm_contacts.id"],
            name="fk_crm_cases_contact_id",
        ),
        sa.ForeignKeyConstraint(
            ["org_id", "product_id"],
            ["crm_products.org_id", "crm_products.id"],
            name="fk_crm_cases_product_id",
        ),
        sa.ForeignKeyConstraint(
            ["org_id", "solution_id"],
            ["crm_solutions.org_id", "crm_solutions.id"],
            name="fk_crm_cases_solution_id",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_crm_cases_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", "id", name=op.f("pk_crm_cases")),
    )
    with op.batch_alter_table("crm_cases", schema=None) as batch_op:
        batch_op.create_index("ix_crm_cases_account_id", ["org_id", "account_id"], unique=False)
        batch_op.create_index("ix_crm_cases_contact_id", ["org_id", "contact_id"], unique=False)
        batch_op.create_index("ix_crm_cases_org_updated", ["org_id", "updated_at"], unique=False)
        batch_op.create_index("ix_crm_cases_product_id", ["org_id", "product_id"], unique=False)
        batch_op.create_index("ix_crm_cases_solution_id", ["org_id", "solution_id"], unique=False)

    op.create_table(
        "crm_quotes",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=True),
        sa.Column("owner", sa.String(length=40), nullable=True),
        sa.Column("custom", sa.JSON(), nullable=False),
        sa.Column("quote_number", sa.String(length=255), nullable=True),
        sa.Column("subject", sa.String(length=255), nullable=True),
        sa.Column("deal_id", sa.BigInteger(), nullable=True),
        sa.Column("account_id", sa.BigInteger(), nullable=True),
        sa.Column("contact_id", sa.BigInteger(), nullable=True),
        sa.Column("stage", sa.String(length=100), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("currency", sa.String(length=100), nullable=True),
        sa.Column("billing_street", sa.String(length=255), nullable=True),
        sa.Column("billing_city", sa.String(length=255), nullable=True),
        sa.Column("billing_state", sa.String(length=255), nullable=True),
        sa.Column("billing_postal_code", sa.String(length=20), nullable=True),
        sa.Column("billing_country", sa.String(length=255), nullable=True),
        sa.Column("shipping_street", sa.String(length=255), nullable=True),
        sa.Column("shipping_city", sa.String(length=255), nullable=True),
        sa.Column("shipping_state", sa.String(length=255), nullable=True),
        sa.Column("shipping_postal_code", sa.String(length=20), nullable=True),
        sa.Column("shipping_country", sa.String(length=255), nullable=True),
        sa.Column("sub_total", finite.kit.scaled_decimal.ScaledDecimal(18, 2), nullable=True),
        sa.Column("discount_total", finite.kit.scaled_decimal.ScaledDecimal(18, 2), nullable=True),
        sa.Column("tax_total", finite.kit.scaled_decimal.ScaledDecimal(18, 2), nullable=True),
        sa.Column("adjustment", finite.kit.scaled_decimal.ScaledDecimal(18, 2), nullable=True),
        sa.Column("grand_total", finite.kit.scaled_decimal.ScaledDecimal(18, 2), nullable=True),
        sa.Column("terms", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id", "account_id"],
            ["crm_accounts.org_id", "crm_accounts.id"],
            name="fk_crm_quotes_account_id",
        ),
        sa.ForeignKeyConstraint(
            ["org_id", "contact_id"],
            ["crm_contacts.org_id", "crm_contacts.id"],
            name="fk_crm_quotes_contact_id",
        ),
        sa.ForeignKeyConstraint(
            ["org_id", "deal_id"],
            ["crm_deals.org_id", "crm_deals.id"],
            name="fk_crm_quotes_deal_id",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_crm_quotes_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", "id", name=op.f("pk_crm_quotes")),
    )
    with op.batch_alter_table("crm_quotes", schema=None) as batch_op:
        batch_op.create_index("ix_crm_quotes_account_id", ["org_id", "account_id"], unique=False)
        batch_op.create_index("ix_crm_quotes_contact_id", ["org_id", "contact_id"], unique=False)
        batch_op.create_index("ix_crm_quotes_deal_id", ["org_id", "deal_id"], unique=False)
        batch_op.create_index("ix_crm_quotes_org_updated", ["org_id", "updated_at"], unique=False)

    op.create_table(
        "crm_salesinbox",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=True),
        sa.Column("owner", sa.String(length=40), nullable=True),
        sa.Column("custom", sa.JSON(), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=True),
        sa.Column("from_address", sa.String(length=320), nullable=True),
        sa.Column("to_address", sa.String(length=2000), nullable=True),
        sa.Column("cc_address", sa.String(length=2000), nullable=True),
        sa.Column("direction", sa.String(length=100), nullable=True),
        sa.Column("sent_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("lead_id", sa.BigInteger(), nullable=True),
        sa.Column("contact_id", sa.BigInteger(), nullable=True),
        sa.Column("account_id", sa.BigInteger(), nullable=True),
        sa.Column("deal_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id", "account_id"],
            ["crm_accounts.org_id", "crm_accounts.id"],
            name="fk_crm_salesinbox_account_id",
        ),
        sa.ForeignKeyConstraint(
            ["org_id", "contact_id"],
            ["crm_contacts.org_id", "crm_contacts.id"],
            name="fk_crm_salesinbox_contact_id",
        ),
        sa.ForeignKeyConstraint(
            ["org_id", "deal_id"],
            ["crm_deals.org_id", "crm_deals.id"],
            name="fk_crm_salesinbox_deal_id",
        ),
        sa.ForeignKeyConstraint(
            ["org_id", "lead_id"],
            ["crm_leads.org_id", "crm_leads.id"],
            name="fk_crm_salesinbox_lead_id",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_crm_salesinbox_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", "id", name=op.f("pk_crm_salesinbox")),
    )
    with op.batch_alter_table("crm_salesinbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_crm_salesinbox_account_id", ["org_id", "account_id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_salesinbox_contact_id", ["org_id", "contact_id"], unique=False
        )
        batch_op.create_index("ix_crm_salesinbox_deal_id", ["org_id", "deal_id"], unique=False)
        batch_op.create_index("ix_crm_salesinbox_lead_id", ["org_id", "lead_id"], unique=False)
        batch_op.create_index(
            "ix_crm_salesinbox_org_updated", ["org_id", "updated_at"], unique=False
        )

    op.create_table(
        "crm_sales_orders",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=True),
        sa.Column("owner", sa.String(length=40), nullable=True),
        sa.Column("custom", sa.JSON(), nullable=False),
        sa.Column("sales_order_number", sa.String(length=255), nullable=True),
        sa.Column("subject", sa.String(length=255), nullable=True),
        sa.Column("quote_id", sa.BigInteger(), nullable=True),
        sa.Column("account_id", sa.BigInteger(), nullable=True),
        sa.Column("contact_id", sa.BigInteger(), nullable=True),
        sa.Column("deal_id", sa.BigInteger(), nullable=True),
        sa.Column("customer_po", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=100), nullable=True),
        sa.Column("order_date", sa.Date(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("currency", sa.String(length=100), nullable=True),
        sa.Column("billing_street", sa.String(length=255), nullable=True),
        sa.Column("billing_city", sa.String(length=255), nullable=True),
        sa.Column("billing_state", sa.String(length=255), nullable=True),
        sa.Column("billing_postal_code", sa.String(length=20), nullable=True),
        sa.Column("billing_country", sa.String(length=255), nullable=True),
        sa.Column("shipping_street", sa.String(length=255), nullable=True),
        sa.Column("shipping_city", sa.String(length=255), nullable=True),
        sa.Column("shipping_state", sa.String(length=255), nullable=True),
        sa.Column("shipping_postal_code", sa.String(length=20), nullable=True),
        sa.Column("shipping_country", sa.String(length=255), nullable=True),
        sa.Column("sub_total", finite.kit.scaled_decimal.ScaledDecimal(18, 2), nullable=True),
        sa.Column("discount_total", finite.kit.scaled_decimal.ScaledDecimal(18, 2), nullable=True),
        sa.Column("tax_total", finite.kit.scaled_decimal.ScaledDecimal(18, 2), nullable=True),
        sa.Column("adjustment", finite.kit.scaled_decimal.ScaledDecimal(18, 2), nullable=True),
        sa.Column("grand_total", finite.kit.scaled_decimal.ScaledDecimal(18, 2), nullable=True),
        sa.Column("terms", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id", "account_id"],
            ["crm_accounts.org_id", "crm_accounts.id"],
            name="fk_crm_sales_orders_account_id",
        ),
        sa.ForeignKeyConstraint(
            ["org_id", "contact_id"],
            ["crm_contacts.org_id", "crm_contacts.id"],
            name="fk_crm_sales_orders_contact_id",
        ),
        sa.ForeignKeyConstraint(
            ["org_id", "deal_id"],
            ["crm_deals.org_id", "crm_deals.id"],
            name="fk_crm_sales_orders_deal_id",
        ),
        sa.ForeignKeyConstraint(
            ["org_id", "quote_id"],
            ["crm_quotes.org_id", "crm_quotes.id"],
            name="fk_crm_sales_orders_quote_id",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_crm_sales_orders_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", "id", name=op.f("pk_crm_sales_orders")),
    )
    with op.batch_alter_table("crm_sales_orders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_crm_sales_orders_account_id", ["org_id", "account_id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_sales_orders_contact_id", ["org_id", "contact_id"], unique=False
        )
        batch_op.create_index("ix_crm_sales_orders_deal_id", ["org_id", "deal_id"], unique=False)
        batch_op.create_index(
            "ix_crm_sales_orders_org_updated", ["org_id", "updated_at"], unique=False
        )
        batch_op.create_index("ix_crm_sales_orders_quote_id", ["org_id", "quote_id"], unique=False)

    op.create_table(
        "crm_invoices",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", finite.kit.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=True),
        sa.Column("owner", sa.String(length=40), nullable=True),
        sa.Column("custom", sa.JSON(), nullable=False),
        sa.Column("invoice_number", sa.String(length=255), nullable=True),
        sa.Column("subject", sa.String(length=255), nullable=True),
        sa.Column("sales_order_id", sa.BigInteger(), nullable=True),
        sa.Column("account_id", sa.BigInteger(), nullable=True),
        sa.Column("contact_id", sa.BigInteger(), nullable=True),
        sa.Column("deal_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=100), nullable=True),
        sa.Column("invoice_date", sa.Date(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("currency", sa.String(length=100), nullable=True),
        sa.Column("billing_street", sa.String(length=255), nullable=True),
        sa.Column("billing_city", sa.String(length=255), nullable=True),
        sa.Column("billing_state", sa.String(length=255), nullable=True),
        sa.Column("billing_postal_code", sa.String(length=20), nullable=True),
        sa.Column("billing_country", sa.String(length=255), nullable=True),
        sa.Column("shipping_street", sa.String(length=255), nullable=True),
        sa.Column("shipping_city", sa.String(length=255), nullable=True),
        sa.Column("shipping_state", sa.String(length=255), nullable=True),
        sa.Column("shipping_postal_code", sa.String(length=20), nullable=True),
        sa.Column("shipping_country", sa.String(length=255), nullable=True),
        sa.Column("sub_total", finite.kit.scaled_decimal.ScaledDecimal(18, 2), nullable=True),
        sa.Column("discount_total", finite.kit.scaled_decimal.ScaledDecimal(18, 2), nullable=True),
        sa.Column("tax_total", finite.kit.scaled_decimal.ScaledDecimal(18, 2), nullable=True),
        sa.Column("adjustment", finite.kit.scaled_decimal.ScaledDecimal(18, 2), nullable=True),
        sa.Column("grand_total", finite.kit.scaled_decimal.ScaledDecimal(18, 2), nullable=True),
        sa.Column("terms", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id", "account_id"],
            ["crm_accounts.org_id", "crm_accounts.id"],
            name="fk_crm_invoices_account_id",
        ),
        sa.ForeignKeyConstraint(
            ["org_id", "contact_id"],
            ["crm_contacts.org_id", "crm_contacts.id"],
            name="fk_crm_invoices_contact_id",
        ),
        sa.ForeignKeyConstraint(
            ["org_id", "deal_id"],
            ["crm_deals.org_id", "crm_deals.id"],
            name="fk_crm_invoices_deal_id",
        ),
        sa.ForeignKeyConstraint(
            ["org_id", "sales_order_id"],
            ["crm_sales_orders.org_id", "crm_sales_orders.id"],
            name="fk_crm_invoices_sales_order_id",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_crm_invoices_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", "id", name=op.f("pk_crm_invoices")),
    )
    with op.batch_alter_table("crm_invoices", schema=None) as batch_op:
        batch_op.create_index("ix_crm_invoices_account_id", ["org_id", "account_id"], unique=False)
        batch_op.create_index("ix_crm_invoices_contact_id", ["org_id", "contact_id"], unique=False)
        batch_op.create_index("ix_crm_invoices_deal_id", ["org_id", "deal_id"], unique=False)
        batch_op.create_index("ix_crm_invoices_org_updated", ["org_id", "updated_at"], unique=False)
        batch_op.create_index(
            "ix_crm_invoices_sales_order_id", ["org_id", "sales_order_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("crm_invoices", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_invoices_sales_order_id")
        batch_op.drop_index("ix_crm_invoices_org_updated")
        batch_op.drop_index("ix_crm_invoices_deal_id")
        batch_op.drop_index("ix_crm_invoices_contact_id")
        batch_op.drop_index("ix_crm_invoices_account_id")

    op.drop_table("crm_invoices")
    with op.batch_alter_table("crm_sales_orders", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_sales_orders_quote_id")
        batch_op.drop_index("ix_crm_sales_orders_org_updated")
        batch_op.drop_index("ix_crm_sales_orders_deal_id")
        batch_op.drop_index("ix_crm_sales_orders_contact_id")
        batch_op.drop_index("ix_crm_sales_orders_account_id")

    op.drop_table("crm_sales_orders")
    with op.batch_alter_table("crm_salesinbox", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_salesinbox_org_updated")
        batch_op.drop_index("ix_crm_salesinbox_lead_id")
        batch_op.drop_index("ix_crm_salesinbox_deal_id")
        batch_op.drop_index("ix_crm_salesinbox_contact_id")
        batch_op.drop_index("ix_crm_salesinbox_account_id")

    op.drop_table("crm_salesinbox")
    with op.batch_alter_table("crm_quotes", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_quotes_org_updated")
        batch_op.drop_index("ix_crm_quotes_deal_id")
        batch_op.drop_index("ix_crm_quotes_contact_id")
        batch_op.drop_index("ix_crm_quotes_account_id")

    op.drop_table("crm_quotes")
    with op.batch_alter_table("crm_cases", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_cases_solution_id")
        batch_op.drop_index("ix_crm_cases_product_id")
        batch_op.drop_index("ix_crm_cases_org_updated")
        batch_op.drop_index("ix_crm_cases_contact_id")
        batch_op.drop_index("ix_crm_cases_account_id")

    op.drop_table("crm_cases")
    with op.batch_alter_table("crm_activities", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_activities_related_lead_id")
        batch_op.drop_index("ix_crm_activities_related_deal_id")
        batch_op.drop_index("ix_crm_activities_related_contact_id")
        batch_op.drop_index("ix_crm_activities_related_account_id")
        batch_op.drop_index("ix_crm_activities_org_updated")

    op.drop_table("crm_activities")
    with op.batch_alter_table("crm_visits", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_visits_org_updated")
        batch_op.drop_index("ix_crm_visits_lead_id")
        batch_op.drop_index("ix_crm_visits_contact_id")

    op.drop_table("crm_visits")
    with op.batch_alter_table("crm_tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_tickets_product_id")
        batch_op.drop_index("ix_crm_tickets_org_updated")
        batch_op.drop_index("ix_crm_tickets_contact_id")
        batch_op.drop_index("ix_crm_tickets_account_id")

    op.drop_table("crm_tickets")
    with op.batch_alter_table("crm_solutions", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_solutions_product_id")
        batch_op.drop_index("ix_crm_solutions_org_updated")

    op.drop_table("crm_solutions")
    with op.batch_alter_table("crm_social", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_social_org_updated")
        batch_op.drop_index("ix_crm_social_lead_id")
        batch_op.drop_index("ix_crm_social_contact_id")

    op.drop_table("crm_social")
    with op.batch_alter_table("crm_purchase_orders", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_purchase_orders_vendor_id")
        batch_op.drop_index("ix_crm_purchase_orders_org_updated")
        batch_op.drop_index("ix_crm_purchase_orders_contact_id")

    op.drop_table("crm_purchase_orders")
    with op.batch_alter_table("crm_pipeline", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_pipeline_org_updated")
        batch_op.drop_index("ix_crm_pipeline_contact_id")
        batch_op.drop_index("ix_crm_pipeline_campaign_id")
        batch_op.drop_index("ix_crm_pipeline_account_id")

    op.drop_table("crm_pipeline")
    op.drop_table("crm_line_items")
    with op.batch_alter_table("crm_deals", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_deals_org_updated")
        batch_op.drop_index("ix_crm_deals_contact_id")
        batch_op.drop_index("ix_crm_deals_campaign_id")
        batch_op.drop_index("ix_crm_deals_account_id")

    op.drop_table("crm_deals")
    with op.batch_alter_table("crm_products", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_products_vendor_id")
        batch_op.drop_index("ix_crm_products_org_updated")

    op.drop_table("crm_products")
    with op.batch_alter_table("crm_contacts", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_contacts_org_updated")
        batch_op.drop_index("ix_crm_contacts_account_id")

    op.drop_table("crm_contacts")
    with op.batch_alter_table("crm_vendors", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_vendors_org_updated")

    op.drop_table("crm_vendors")
    with op.batch_alter_table("crm_price_books", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_price_books_org_updated")

    op.drop_table("crm_price_books")
    with op.batch_alter_table("crm_leads", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_leads_org_updated")

    op.drop_table("crm_leads")
    with op.batch_alter_table("crm_documents", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_documents_org_updated")

    op.drop_table("crm_documents")
    op.drop_table("crm_custom_fields")
    op.drop_table("crm_counters")
    with op.batch_alter_table("crm_campaigns", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_campaigns_org_updated")

    op.drop_table("crm_campaigns")
    with op.batch_alter_table("crm_accounts", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_accounts_parent_account_id")
        batch_op.drop_index("ix_crm_accounts_org_updated")

    op.drop_table("crm_accounts")
    op.drop_table("idempotency_keys")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_org_occurred")

    op.drop_table("events")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_org_record")
        batch_op.drop_index("ix_audit_log_org_occurred")

    op.drop_table("audit_log")
