"""sort indexes

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-21

An (org_id, field, id) index for every field a list can sort by, so a page sorted by any of
them reads its own rows and a cursor seeks to its place, as crm/modules/tables.py declares.
Before, a sort by most fields read every record of the organization (0.7 s on PostgreSQL, up to
9 s on SQLite at 1M records). The (org_id, email) and (org_id, lookup) indexes give way to their
sort indexes, which serve the same lookups and foreign keys.

Not indexed: text that may be longer than a PostgreSQL b-tree entry can hold (~2,700 bytes;
long texts, URLs, address lists). The visits' URL index goes for that reason: a long URL of
non-Latin characters failed its insert.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table: (keys given a sort index, indexes on (org_id, key) they replace, as (name, key))
SORT_INDEXES: dict[str, tuple[tuple[str, ...], tuple[tuple[str, str], ...]]] = {
    "crm_accounts": (
        (
            "account_number",
            "annual_revenue",
            "billing_city",
            "billing_country",
            "billing_postal_code",
            "billing_state",
            "billing_street",
            "created_by",
            "email",
            "employees",
            "industry",
            "owner",
            "parent_account_id",
            "phone",
            "shipping_city",
            "shipping_country",
            "shipping_postal_code",
            "shipping_state",
            "shipping_street",
            "type",
            "version",
        ),
        (
            ("ix_crm_accounts_org_email", "email"),
            ("ix_crm_accounts_parent_account_id", "parent_account_id"),
        ),
    ),
    "crm_activities": (
        (
            "created_by",
            "due_date",
            "duration_minutes",
            "end_at",
            "location",
            "owner",
            "priority",
            "related_account_id",
            "related_contact_id",
            "related_deal_id",
            "related_lead_id",
            "start_at",
            "status",
            "type",
            "version",
        ),
        (
            ("ix_crm_activities_related_account_id", "related_account_id"),
            ("ix_crm_activities_related_contact_id", "related_contact_id"),
            ("ix_crm_activities_related_deal_id", "related_deal_id"),
            ("ix_crm_activities_related_lead_id", "related_lead_id"),
        ),
    ),
    "crm_campaigns": (
        (
            "actual_cost",
            "budget",
            "created_by",
            "currency",
            "end_date",
            "expected_response",
            "expected_revenue",
            "num_sent",
            "owner",
            "start_date",
            "status",
            "type",
            "version",
        ),
        (),
    ),
    "crm_cases": (
        (
            "account_id",
            "case_number",
            "contact_id",
            "created_by",
            "due_date",
            "email",
            "origin",
            "owner",
            "phone",
            "priority",
            "product_id",
            "solution_id",
            "status",
            "type",
            "version",
        ),
        (
            ("ix_crm_cases_account_id", "account_id"),
            ("ix_crm_cases_contact_id", "contact_id"),
            ("ix_crm_cases_org_email", "email"),
            ("ix_crm_cases_product_id", "product_id"),
            ("ix_crm_cases_solution_id", "solution_id"),
        ),
    ),
    "crm_contacts": (
        (
            "account_id",
            "birthday",
            "created_by",
            "department",
            "email",
            "email_opt_out",
            "first_name",
            "home_phone",
            "last_name",
            "lead_source",
            "mailing_city",
            "mailing_country",
            "mailing_postal_code",
            "mailing_state",
            "mailing_street",
            "mobile",
            "owner",
            "phone",
            "salutation",
            "secondary_email",
            "title",
            "version",
        ),
        (
            ("ix_crm_contacts_account_id", "account_id"),
            ("ix_crm_contacts_org_email", "email"),
            ("ix_crm_contacts_org_secondary_email", "secondary_email"),
        ),
    ),
    "crm_deals": (
        (
            "account_id",
            "amount",
            "campaign_id",
            "close_date",
            "contact_id",
            "created_by",
            "currency",
            "lead_source",
            "lost_reason",
            "next_step",
            "owner",
            "probability",
            "stage",
            "type",
            "version",
        ),
        (
            ("ix_crm_deals_account_id", "account_id"),
            ("ix_crm_deals_campaign_id", "campaign_id"),
            ("ix_crm_deals_contact_id", "contact_id"),
        ),
    ),
    "crm_documents": (
        (
            "created_by",
            "expiry_date",
            "owner",
            "publish_date",
            "status",
            "type",
            "version",
        ),
        (),
    ),
    "crm_invoices": (
        (
            "account_id",
            "adjustment",
            "billing_city",
            "billing_country",
            "billing_postal_code",
            "billing_state",
            "billing_street",
            "contact_id",
            "created_by",
            "currency",
            "deal_id",
            "discount_total",
            "due_date",
            "grand_total",
            "invoice_date",
            "invoice_number",
            "owner",
            "sales_order_id",
            "shipping_city",
            "shipping_country",
            "shipping_postal_code",
            "shipping_state",
            "shipping_street",
            "status",
            "sub_total",
            "tax_total",
            "version",
        ),
        (
            ("ix_crm_invoices_account_id", "account_id"),
            ("ix_crm_invoices_contact_id", "contact_id"),
            ("ix_crm_invoices_deal_id", "deal_id"),
            ("ix_crm_invoices_sales_order_id", "sales_order_id"),
        ),
    ),
    "crm_leads": (
        (
            "annual_revenue",
            "city",
            "company",
            "country",
            "created_by",
            "email",
            "email_opt_out",
            "employees",
            "first_name",
            "industry",
            "last_name",
            "mobile",
            "owner",
            "phone",
            "postal_code",
            "rating",
            "source",
            "state",
            "status",
            "street",
            "title",
            "value",
            "version",
        ),
        (("ix_crm_leads_org_email", "email"),),
    ),
    "crm_pipeline": (
        (
            "account_id",
            "amount",
            "campaign_id",
            "close_date",
            "contact_id",
            "created_by",
            "currency",
            "lead_source",
            "lost_reason",
            "next_step",
            "owner",
            "probability",
            "stage",
            "type",
            "version",
        ),
        (
            ("ix_crm_pipeline_account_id", "account_id"),
            ("ix_crm_pipeline_campaign_id", "campaign_id"),
            ("ix_crm_pipeline_contact_id", "contact_id"),
        ),
    ),
    "crm_price_books": (
        (
            "active",
            "created_by",
            "currency",
            "discount",
            "owner",
            "pricing_model",
            "version",
        ),
        (),
    ),
    "crm_products": (
        (
            "active",
            "category",
            "code",
            "created_by",
            "manufacturer",
            "owner",
            "qty_in_stock",
            "reorder_level",
            "tax_rate",
            "taxable",
            "unit_price",
            "usage_unit",
            "vendor_id",
            "version",
        ),
        (("ix_crm_products_vendor_id", "vendor_id"),),
    ),
    "crm_purchase_orders": (
        (
            "adjustment",
            "billing_city",
            "billing_country",
            "billing_postal_code",
            "billing_state",
            "billing_street",
            "contact_id",
            "created_by",
            "currency",
            "discount_total",
            "due_date",
            "grand_total",
            "order_date",
            "owner",
            "purchase_order_number",
            "shipping_city",
            "shipping_country",
            "shipping_postal_code",
            "shipping_state",
            "shipping_street",
            "status",
            "sub_total",
            "tax_total",
            "tracking_number",
            "vendor_id",
            "version",
        ),
        (
            ("ix_crm_purchase_orders_contact_id", "contact_id"),
            ("ix_crm_purchase_orders_vendor_id", "vendor_id"),
        ),
    ),
    "crm_quotes": (
        (
            "account_id",
            "adjustment",
            "billing_city",
            "billing_country",
            "billing_postal_code",
            "billing_state",
            "billing_street",
            "contact_id",
            "created_by",
            "currency",
            "deal_id",
            "discount_total",
            "grand_total",
            "owner",
            "quote_number",
            "shipping_city",
            "shipping_country",
            "shipping_postal_code",
            "shipping_state",
            "shipping_street",
            "stage",
            "sub_total",
            "tax_total",
            "valid_until",
            "version",
        ),
        (
            ("ix_crm_quotes_account_id", "account_id"),
            ("ix_crm_quotes_contact_id", "contact_id"),
            ("ix_crm_quotes_deal_id", "deal_id"),
        ),
    ),
    "crm_sales_orders": (
        (
            "account_id",
            "adjustment",
            "billing_city",
            "billing_country",
            "billing_postal_code",
            "billing_state",
            "billing_street",
            "contact_id",
            "created_by",
            "currency",
            "customer_po",
            "deal_id",
            "discount_total",
            "due_date",
            "grand_total",
            "order_date",
            "owner",
            "quote_id",
            "sales_order_number",
            "shipping_city",
            "shipping_country",
            "shipping_postal_code",
            "shipping_state",
            "shipping_street",
            "status",
            "sub_total",
            "tax_total",
            "version",
        ),
        (
            ("ix_crm_sales_orders_account_id", "account_id"),
            ("ix_crm_sales_orders_contact_id", "contact_id"),
            ("ix_crm_sales_orders_deal_id", "deal_id"),
            ("ix_crm_sales_orders_quote_id", "quote_id"),
        ),
    ),
    "crm_salesinbox": (
        (
            "account_id",
            "contact_id",
            "created_by",
            "deal_id",
            "direction",
            "from_address",
            "lead_id",
            "owner",
            "sent_at",
            "version",
        ),
        (
            ("ix_crm_salesinbox_account_id", "account_id"),
            ("ix_crm_salesinbox_contact_id", "contact_id"),
            ("ix_crm_salesinbox_deal_id", "deal_id"),
            ("ix_crm_salesinbox_lead_id", "lead_id"),
            ("ix_crm_salesinbox_org_from_address", "from_address"),
        ),
    ),
    "crm_social": (
        (
            "contact_id",
            "created_by",
            "lead_id",
            "network",
            "owner",
            "post_type",
            "posted_at",
            "version",
        ),
        (
            ("ix_crm_social_contact_id", "contact_id"),
            ("ix_crm_social_lead_id", "lead_id"),
        ),
    ),
    "crm_solutions": (
        (
            "created_by",
            "owner",
            "product_id",
            "solution_number",
            "status",
            "version",
        ),
        (("ix_crm_solutions_product_id", "product_id"),),
    ),
    "crm_tickets": (
        (
            "account_id",
            "contact_id",
            "created_by",
            "due_date",
            "email",
            "origin",
            "owner",
            "phone",
            "priority",
            "product_id",
            "status",
            "ticket_number",
            "type",
            "version",
        ),
        (
            ("ix_crm_tickets_account_id", "account_id"),
            ("ix_crm_tickets_contact_id", "contact_id"),
            ("ix_crm_tickets_org_email", "email"),
            ("ix_crm_tickets_product_id", "product_id"),
        ),
    ),
    "crm_vendors": (
        (
            "category",
            "city",
            "country",
            "created_by",
            "email",
            "owner",
            "phone",
            "postal_code",
            "state",
            "street",
            "version",
        ),
        (("ix_crm_vendors_org_email", "email"),),
    ),
    "crm_visits": (
        (
            "contact_id",
            "created_by",
            "duration_seconds",
            "lead_id",
            "owner",
            "page_title",
            "version",
            "visited_at",
            "visitor",
        ),
        (
            ("ix_crm_visits_contact_id", "contact_id"),
            ("ix_crm_visits_lead_id", "lead_id"),
        ),
    ),
}


# Indexes on text that may be too long for a b-tree entry: (table, name, key).
TOO_LONG_TO_INDEX = (("crm_visits", "ix_crm_visits_org_url", "url"),)


def upgrade() -> None:
    for table, name, _key in TOO_LONG_TO_INDEX:
        op.drop_index(name, table_name=table)
    for table, (keys, replaced) in SORT_INDEXES.items():
        for name, _key in replaced:
            op.drop_index(name, table_name=table)
        for key in keys:
            op.create_index(f"ix_{table}_sort_{key}", table, ["org_id", key, "id"])


def downgrade() -> None:
    for table, (keys, replaced) in SORT_INDEXES.items():
        for key in keys:
            op.drop_index(f"ix_{table}_sort_{key}", table_name=table)
        for name, key in replaced:
            op.create_index(name, table, ["org_id", key])
    for table, name, key in TOO_LONG_TO_INDEX:
        op.create_index(name, table, ["org_id", key, "id"])
