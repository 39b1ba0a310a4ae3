"""list indexes and record counts

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


MODULES_AT_THIS_REVISION = (
    "leads",
    "contacts",
    "accounts",
    "deals",
    "pipeline",
    "activities",
    "tickets",
    "campaigns",
    "documents",
    "products",
    "price_books",
    "quotes",
    "sales_orders",
    "purchase_orders",
    "invoices",
    "vendors",
    "cases",
    "solutions",
    "salesinbox",
    "social",
    "visits",
)


def upgrade() -> None:
    with op.batch_alter_table("crm_accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crm_accounts_org_updated"))
        batch_op.create_index(
            "ix_crm_accounts_org_updated", ["org_id", "updated_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_accounts_org_created", ["org_id", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_crm_accounts_org_email", ["org_id", "email"], unique=False)
        batch_op.create_index("ix_crm_accounts_org_name", ["org_id", "name", "id"], unique=False)
        batch_op.create_index(
            "ix_crm_accounts_org_owner", ["org_id", "owner", "updated_at", "id"], unique=False
        )

    with op.batch_alter_table("crm_activities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crm_activities_org_updated"))
        batch_op.create_index(
            "ix_crm_activities_org_updated", ["org_id", "updated_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_activities_org_created", ["org_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_activities_org_owner", ["org_id", "owner", "updated_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_activities_org_status", ["org_id", "status", "updated_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_activities_org_subject", ["org_id", "subject", "id"], unique=False
        )

    with op.batch_alter_table("crm_campaigns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crm_campaigns_org_updated"))
        batch_op.create_index(
            "ix_crm_campaigns_org_updated", ["org_id", "updated_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_campaigns_org_created", ["org_id", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_crm_campaigns_org_name", ["org_id", "name", "id"], unique=False)
        batch_op.create_index(
            "ix_crm_campaigns_org_owner", ["org_id", "owner", "updated_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_campaigns_org_status", ["org_id", "status", "updated_at", "id"], unique=False
        )

    with op.batch_alter_table("crm_cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crm_cases_org_updated"))
        batch_op.create_index(
            "ix_crm_cases_org_updated", ["org_id", "updated_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_cases_org_created", ["org_id", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_crm_cases_org_email", ["org_id", "email"], unique=False)
        batch_op.create_index(
            "ix_crm_cases_org_owner", ["org_id", "owner", "updated_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_cases_org_status", ["org_id", "status", "updated_at", "id"], unique=False
        )
        batch_op.create_index("ix_crm_cases_org_subject", ["org_id", "subject", "id"], unique=False)

    with op.batch_alter_table("crm_contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crm_contacts_org_updated"))
        batch_op.create_index(
            "ix_crm_contacts_org_updated", ["org_id", "updated_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_contacts_org_created", ["org_id", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_crm_contacts_org_email", ["org_id", "email"], unique=False)
        batch_op.create_index("ix_crm_contacts_org_name", ["org_id", "name", "id"], unique=False)
        batch_op.create_index(
            "ix_crm_contacts_org_owner", ["org_id", "owner", "updated_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_contacts_org_secondary_email", ["org_id", "secondary_email"], unique=False
        )

    with op.batch_alter_table("crm_counters", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("record_count", sa.BigInteger(), server_default="0", nullable=False)
        )
    for module in MODULES_AT_THIS_REVISION:  # fixed names, no input
        counted = f"SELECT count(*) FROM crm_{module} t WHERE t.org_id = crm_counters.org_id"  # noqa: S608
        op.execute(f"UPDATE crm_counters SET record_count = ({counted}) WHERE module = '{module}'")  # noqa: S608

    with op.batch_alter_table("crm_deals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crm_deals_org_updated"))
        batch_op.create_index(
            "ix_crm_deals_org_updated", ["org_id", "updated_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_deals_org_created", ["org_id", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_crm_deals_org_name", ["org_id", "name", "id"], unique=False)
        batch_op.create_index(
            "ix_crm_deals_org_owner", ["org_id", "owner", "updated_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_deals_org_stage", ["org_id", "stage", "updated_at", "id"], unique=False
        )

    with op.batch_alter_table("crm_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crm_documents_org_updated"))
        batch_op.create_index(
            "ix_crm_documents_org_updated", ["org_id", "updated_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_documents_org_created", ["org_id", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_crm_documents_org_name", ["org_id", "name", "id"], unique=False)
        batch_op.create_index(
            "ix_crm_documents_org_owner", ["org_id", "owner", "updated_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_documents_org_status", ["org_id", "status", "updated_at", "id"], unique=False
        )

    with op.batch_alter_table("crm_invoices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crm_invoices_org_updated"))
        batch_op.create_index(
            "ix_crm_invoices_org_updated", ["org_id", "updated_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_invoices_org_created", ["org_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_invoices_org_owner", ["org_id", "owner", "updated_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_invoices_org_status", ["org_id", "status", "updated_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_invoices_org_subject", ["org_id", "subject", "id"], unique=False
        )

    with op.batch_alter_table("crm_leads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crm_leads_org_updated"))
        batch_op.create_index(
            "ix_crm_leads_org_updated", ["org_id", "updated_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_leads_org_created", ["org_id", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_crm_leads_org_email", ["org_id", "email"], unique=False)
        batch_op.create_index("ix_crm_leads_org_name", ["org_id", "name", "id"], unique=False)
        batch_op.create_index(
            "ix_crm_leads_org_owner", ["org_id", "owner", "updated_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_leads_org_status", ["org_id", "status", "updated_at", "id"], unique=False
        )

    with op.batch_alter_table("crm_pipeline", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crm_pipeline_org_updated"))
        batch_op.create_index(
            "ix_crm_pipeline_org_updated", ["org_id", "updated_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_pipeline_org_created", ["org_id", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_crm_pipeline_org_name", ["org_id", "name", "id"], unique=False)
        batch_op.create_index(
            "ix_crm_pipeline_org_owner", ["org_id", "owner", "updated_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_pipeline_org_stage", ["org_id", "stage", "updated_at", "id"], unique=False
        )

    with op.batch_alter_table("crm_price_books", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crm_price_books_org_updated"))
        batch_op.create_index(
            "ix_crm_price_books_org_updated", ["org_id", "updated_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_price_books_org_created", ["org_id", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_crm_price_books_org_name", ["org_id", "name", "id"], unique=False)
        batch_op.create_index(
            "ix_crm_price_books_org_owner", ["org_id", "owner", "updated_at", "id"], unique=False
        )

    with op.batch_alter_table("crm_products", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crm_products_org_updated"))
        batch_op.create_index(
            "ix_crm_products_org_updated", ["org_id", "updated_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_products_org_created", ["org_id", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_crm_products_org_name", ["org_id", "name", "id"], unique=False)
        batch_op.create_index(
            "ix_crm_products_org_owner", ["org_id", "owner", "updated_at", "id"], unique=False
        )

    with op.batch_alter_table("crm_purchase_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crm_purchase_orders_org_updated"))
        batch_op.create_index(
            "ix_crm_purchase_orders_org_updated", ["org_id", "updated_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_purchase_orders_org_created", ["org_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_purchase_orders_org_owner",
            ["org_id", "owner", "updated_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_crm_purchase_orders_org_status",
            ["org_id", "status", "updated_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_crm_purchase_orders_org_subject", ["org_id", "subject", "id"], unique=False
        )

    with op.batch_alter_table("crm_quotes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crm_quotes_org_updated"))
        batch_op.create_index(
            "ix_crm_quotes_org_updated", ["org_id", "updated_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_quotes_org_created", ["org_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_quotes_org_owner", ["org_id", "owner", "updated_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_quotes_org_stage", ["org_id", "stage", "updated_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_quotes_org_subject", ["org_id", "subject", "id"], unique=False
        )

    with op.batch_alter_table("crm_sales_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crm_sales_orders_org_updated"))
        batch_op.create_index(
            "ix_crm_sales_orders_org_updated", ["org_id", "updated_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_sales_orders_org_created", ["org_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_sales_orders_org_owner", ["org_id", "owner", "updated_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_sales_orders_org_status", ["org_id", "status", "updated_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_sales_orders_org_subject", ["org_id", "subject", "id"], unique=False
        )

    with op.batch_alter_table("crm_salesinbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crm_salesinbox_org_updated"))
        batch_op.create_index(
            "ix_crm_salesinbox_org_updated", ["org_id", "updated_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_salesinbox_org_created", ["org_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_salesinbox_org_from_address", ["org_id", "from_address"], unique=False
        )
        batch_op.create_index(
            "ix_crm_salesinbox_org_owner", ["org_id", "owner", "updated_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_salesinbox_org_subject", ["org_id", "subject", "id"], unique=False
        )

    with op.batch_alter_table("crm_social", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crm_social_org_updated"))
        batch_op.create_index(
            "ix_crm_social_org_updated", ["org_id", "updated_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_social_org_created", ["org_id", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_crm_social_org_handle", ["org_id", "handle", "id"], unique=False)
        batch_op.create_index(
            "ix_crm_social_org_owner", ["org_id", "owner", "updated_at", "id"], unique=False
        )

    with op.batch_alter_table("crm_solutions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crm_solutions_org_updated"))
        batch_op.create_index(
            "ix_crm_solutions_org_updated", ["org_id", "updated_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_solutions_org_created", ["org_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_solutions_org_owner", ["org_id", "owner", "updated_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_solutions_org_status", ["org_id", "status", "updated_at", "id"], unique=False
        )
        batch_op.create_index("ix_crm_solutions_org_title", ["org_id", "title", "id"], unique=False)

    with op.batch_alter_table("crm_tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crm_tickets_org_updated"))
        batch_op.create_index(
            "ix_crm_tickets_org_updated", ["org_id", "updated_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_tickets_org_created", ["org_id", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_crm_tickets_org_email", ["org_id", "email"], unique=False)
        batch_op.create_index(
            "ix_crm_tickets_org_owner", ["org_id", "owner", "updated_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_tickets_org_status", ["org_id", "status", "updated_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_tickets_org_subject", ["org_id", "subject", "id"], unique=False
        )

    with op.batch_alter_table("crm_vendors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crm_vendors_org_updated"))
        batch_op.create_index(
            "ix_crm_vendors_org_updated", ["org_id", "updated_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_vendors_org_created", ["org_id", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_crm_vendors_org_email", ["org_id", "email"], unique=False)
        batch_op.create_index("ix_crm_vendors_org_name", ["org_id", "name", "id"], unique=False)
        batch_op.create_index(
            "ix_crm_vendors_org_owner", ["org_id", "owner", "updated_at", "id"], unique=False
        )

    with op.batch_alter_table("crm_visits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crm_visits_org_updated"))
        batch_op.create_index(
            "ix_crm_visits_org_updated", ["org_id", "updated_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_visits_org_created", ["org_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_visits_org_owner", ["org_id", "owner", "updated_at", "id"], unique=False
        )
        batch_op.create_index("ix_crm_visits_org_url", ["org_id", "url", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("crm_visits", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_visits_org_url")
        batch_op.drop_index("ix_crm_visits_org_owner")
        batch_op.drop_index("ix_crm_visits_org_created")
        batch_op.drop_index("ix_crm_visits_org_updated")
        batch_op.create_index(
            batch_op.f("ix_crm_visits_org_updated"), ["org_id", "updated_at"], unique=False
        )

    with op.batch_alter_table("crm_vendors", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_vendors_org_owner")
        batch_op.drop_index("ix_crm_vendors_org_name")
        batch_op.drop_index("ix_crm_vendors_org_email")
        batch_op.drop_index("ix_crm_vendors_org_created")
        batch_op.drop_index("ix_crm_vendors_org_updated")
        batch_op.create_index(
            batch_op.f("ix_crm_vendors_org_updated"), ["org_id", "updated_at"], unique=False
        )

    with op.batch_alter_table("crm_tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_tickets_org_subject")
        batch_op.drop_index("ix_crm_tickets_org_status")
        batch_op.drop_index("ix_crm_tickets_org_owner")
        batch_op.drop_index("ix_crm_tickets_org_email")
        batch_op.drop_index("ix_crm_tickets_org_created")
        batch_op.drop_index("ix_crm_tickets_org_updated")
        batch_op.create_index(
            batch_op.f("ix_crm_tickets_org_updated"), ["org_id", "updated_at"], unique=False
        )

    with op.batch_alter_table("crm_solutions", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_solutions_org_title")
        batch_op.drop_index("ix_crm_solutions_org_status")
        batch_op.drop_index("ix_crm_solutions_org_owner")
        batch_op.drop_index("ix_crm_solutions_org_created")
        batch_op.drop_index("ix_crm_solutions_org_updated")
        batch_op.create_index(
            batch_op.f("ix_crm_solutions_org_updated"), ["org_id", "updated_at"], unique=False
        )

    with op.batch_alter_table("crm_social", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_social_org_owner")
        batch_op.drop_index("ix_crm_social_org_handle")
        batch_op.drop_index("ix_crm_social_org_created")
        batch_op.drop_index("ix_crm_social_org_updated")
        batch_op.create_index(
            batch_op.f("ix_crm_social_org_updated"), ["org_id", "updated_at"], unique=False
        )

    with op.batch_alter_table("crm_salesinbox", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_salesinbox_org_subject")
        batch_op.drop_index("ix_crm_salesinbox_org_owner")
        batch_op.drop_index("ix_crm_salesinbox_org_from_address")
        batch_op.drop_index("ix_crm_salesinbox_org_created")
        batch_op.drop_index("ix_crm_salesinbox_org_updated")
        batch_op.create_index(
            batch_op.f("ix_crm_salesinbox_org_updated"), ["org_id", "updated_at"], unique=False
        )

    with op.batch_alter_table("crm_sales_orders", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_sales_orders_org_subject")
        batch_op.drop_index("ix_crm_sales_orders_org_status")
        batch_op.drop_index("ix_crm_sales_orders_org_owner")
        batch_op.drop_index("ix_crm_sales_orders_org_created")
        batch_op.drop_index("ix_crm_sales_orders_org_updated")
        batch_op.create_index(
            batch_op.f("ix_crm_sales_orders_org_updated"), ["org_id", "updated_at"], unique=False
        )

    with op.batch_alter_table("crm_quotes", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_quotes_org_subject")
        batch_op.drop_index("ix_crm_quotes_org_stage")
        batch_op.drop_index("ix_crm_quotes_org_owner")
        batch_op.drop_index("ix_crm_quotes_org_created")
        batch_op.drop_index("ix_crm_quotes_org_updated")
        batch_op.create_index(
            batch_op.f("ix_crm_quotes_org_updated"), ["org_id", "updated_at"], unique=False
        )

    with op.batch_alter_table("crm_purchase_orders", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_purchase_orders_org_subject")
        batch_op.drop_index("ix_crm_purchase_orders_org_status")
        batch_op.drop_index("ix_crm_purchase_orders_org_owner")
        batch_op.drop_index("ix_crm_purchase_orders_org_created")
        batch_op.drop_index("ix_crm_purchase_orders_org_updated")
        batch_op.create_index(
            batch_op.f("ix_crm_purchase_orders_org_updated"), ["org_id", "updated_at"], unique=False
        )

    with op.batch_alter_table("crm_products", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_products_org_owner")
        batch_op.drop_index("ix_crm_products_org_name")
        batch_op.drop_index("ix_crm_products_org_created")
        batch_op.drop_index("ix_crm_products_org_updated")
        batch_op.create_index(
            batch_op.f("ix_crm_products_org_updated"), ["org_id", "updated_at"], unique=False
        )

    with op.batch_alter_table("crm_price_books", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_price_books_org_owner")
        batch_op.drop_index("ix_crm_price_books_org_name")
        batch_op.drop_index("ix_crm_price_books_org_created")
        batch_op.drop_index("ix_crm_price_books_org_updated")
        batch_op.create_index(
            batch_op.f("ix_crm_price_books_org_updated"), ["org_id", "updated_at"], unique=False
        )

    with op.batch_alter_table("crm_pipeline", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_pipeline_org_stage")
        batch_op.drop_index("ix_crm_pipeline_org_owner")
        batch_op.drop_index("ix_crm_pipeline_org_name")
        batch_op.drop_index("ix_crm_pipeline_org_created")
        batch_op.drop_index("ix_crm_pipeline_org_updated")
        batch_op.create_index(
            batch_op.f("ix_crm_pipeline_org_updated"), ["org_id", "updated_at"], unique=False
        )

    with op.batch_alter_table("crm_leads", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_leads_org_status")
        batch_op.drop_index("ix_crm_leads_org_owner")
        batch_op.drop_index("ix_crm_leads_org_name")
        batch_op.drop_index("ix_crm_leads_org_email")
        batch_op.drop_index("ix_crm_leads_org_created")
        batch_op.drop_index("ix_crm_leads_org_updated")
        batch_op.create_index(
            batch_op.f("ix_crm_leads_org_updated"), ["org_id", "updated_at"], unique=False
        )

    with op.batch_alter_table("crm_invoices", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_invoices_org_subject")
        batch_op.drop_index("ix_crm_invoices_org_status")
        batch_op.drop_index("ix_crm_invoices_org_owner")
        batch_op.drop_index("ix_crm_invoices_org_created")
        batch_op.drop_index("ix_crm_invoices_org_updated")
        batch_op.create_index(
            batch_op.f("ix_crm_invoices_org_updated"), ["org_id", "updated_at"], unique=False
        )

    with op.batch_alter_table("crm_documents", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_documents_org_status")
        batch_op.drop_index("ix_crm_documents_org_owner")
        batch_op.drop_index("ix_crm_documents_org_name")
        batch_op.drop_index("ix_crm_documents_org_created")
        batch_op.drop_index("ix_crm_documents_org_updated")
        batch_op.create_index(
            batch_op.f("ix_crm_documents_org_updated"), ["org_id", "updated_at"], unique=False
        )

    with op.batch_alter_table("crm_deals", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_deals_org_stage")
        batch_op.drop_index("ix_crm_deals_org_owner")
        batch_op.drop_index("ix_crm_deals_org_name")
        batch_op.drop_index("ix_crm_deals_org_created")
        batch_op.drop_index("ix_crm_deals_org_updated")
        batch_op.create_index(
            batch_op.f("ix_crm_deals_org_updated"), ["org_id", "updated_at"], unique=False
        )

    with op.batch_alter_table("crm_counters", schema=None) as batch_op:
        batch_op.drop_column("record_count")

    with op.batch_alter_table("crm_contacts", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_contacts_org_secondary_email")
        batch_op.drop_index("ix_crm_contacts_org_owner")
        batch_op.drop_index("ix_crm_contacts_org_name")
        batch_op.drop_index("ix_crm_contacts_org_email")
        batch_op.drop_index("ix_crm_contacts_org_created")
        batch_op.drop_index("ix_crm_contacts_org_updated")
        batch_op.create_index(
            batch_op.f("ix_crm_contacts_org_updated"), ["org_id", "updated_at"], unique=False
        )

    with op.batch_alter_table("crm_cases", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_cases_org_subject")
        batch_op.drop_index("ix_crm_cases_org_status")
        batch_op.drop_index("ix_crm_cases_org_owner")
        batch_op.drop_index("ix_crm_cases_org_email")
        batch_op.drop_index("ix_crm_cases_org_created")
        batch_op.drop_index("ix_crm_cases_org_updated")
        batch_op.create_index(
            batch_op.f("ix_crm_cases_org_updated"), ["org_id", "updated_at"], unique=False
        )

    with op.batch_alter_table("crm_campaigns", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_campaigns_org_status")
        batch_op.drop_index("ix_crm_campaigns_org_owner")
        batch_op.drop_index("ix_crm_campaigns_org_name")
        batch_op.drop_index("ix_crm_campaigns_org_created")
        batch_op.drop_index("ix_crm_campaigns_org_updated")
        batch_op.create_index(
            batch_op.f("ix_crm_campaigns_org_updated"), ["org_id", "updated_at"], unique=False
        )

    with op.batch_alter_table("crm_activities", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_activities_org_subject")
        batch_op.drop_index("ix_crm_activities_org_status")
        batch_op.drop_index("ix_crm_activities_org_owner")
        batch_op.drop_index("ix_crm_activities_org_created")
        batch_op.drop_index("ix_crm_activities_org_updated")
        batch_op.create_index(
            batch_op.f("ix_crm_activities_org_updated"), ["org_id", "updated_at"], unique=False
        )

    with op.batch_alter_table("crm_accounts", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_accounts_org_owner")
        batch_op.drop_index("ix_crm_accounts_org_name")
        batch_op.drop_index("ix_crm_accounts_org_email")
        batch_op.drop_index("ix_crm_accounts_org_created")
        batch_op.drop_index("ix_crm_accounts_org_updated")
        batch_op.create_index(
            batch_op.f("ix_crm_accounts_org_updated"), ["org_id", "updated_at"], unique=False
        )
