"""The registry of the 21 CRM record modules: every table, validator, API description, CSV
column and search index derives from `MODULES`.

Standard fields follow Zoho CRM, EspoCRM, SuiteCRM and Frappe CRM (see REFERENCE.md, "CRM
records"). Each module has exactly one required field, its searchable title, so the smallest
valid record is just that title. Lookup keys end in `_id` and name their target module.
"""

from __future__ import annotations

from decimal import Decimal

from finite.crm.module_names import CRM_MODULES
from finite.crm.modules.fields import (
    Field,
    Module,
    boolean,
    date,
    datetime_,
    decimal,
    email,
    integer,
    long_text,
    lookup,
    money,
    percent,
    phone,
    picklist,
    text,
    url,
)

# --- Shared option lists ---------------------------------------------------------------------

CURRENCIES = ("USD", "EUR", "GBP", "INR", "JPY", "CNY", "CAD", "AUD", "CHF", "SGD", "AED", "ZAR")

INDUSTRIES = (
    "Agriculture",
    "Automotive",
    "Banking",
    "Construction",
    "Consulting",
    "Education",
    "Energy",
    "Engineering",
    "Finance",
    "Government",
    "Healthcare",
    "Hospitality",
    "Insurance",
    "Manufacturing",
    "Media",
    "Non-Profit",
    "Real Estate",
    "Retail",
    "Technology",
    "Telecommunications",
    "Transportation",
    "Other",
)

LEAD_SOURCES = ("Web", "Referral", "Advertisement", "Cold Call", "Partner", "Event", "Other")

PRIORITIES = ("Low", "Medium", "High", "Urgent")

SUPPORT_ORIGINS = ("Email", "Phone", "Web", "Chat", "Social")

DEAL_STAGES = (
    "Qualification",
    "Needs Analysis",
    "Value Proposition",
    "Proposal",
    "Negotiation",
    "Closed Won",
    "Closed Lost",
)


# --- Shared field groups ---------------------------------------------------------------------


def _address(prefix: str = "", label: str = "") -> tuple[Field, ...]:
    """Street, city, state, postal code and country, e.g. `billing_city` / "Billing City"."""
    start = f"{label} " if label else ""
    return (
        text(f"{prefix}street", f"{start}Street"),
        text(f"{prefix}city", f"{start}City"),
        text(f"{prefix}state", f"{start}State"),
        text(f"{prefix}postal_code", f"{start}Postal Code", max_length=20),
        text(f"{prefix}country", f"{start}Country"),
    )


def _currency() -> Field:
    return picklist("currency", "Currency", CURRENCIES, default="USD")


_BILLING_SHIPPING = _address("billing_", "Billing") + _address("shipping_", "Shipping")

# `items` plus the totals the server computes from it; `adjustment` is the one input amount.
# grand_total = sub_total - discount_total + tax_total + adjustment
_LINE_ITEMS = (
    Field("items", "Line Items", "line_items"),
    money("sub_total", "Sub Total", computed=True),
    money("discount_total", "Discount", computed=True),
    money("tax_total", "Tax", computed=True),
    money("adjustment", "Adjustment", default=Decimal("0")),
    money("grand_total", "Grand Total", computed=True),
)

# Deals and the pipeline view share one shape.
_DEAL_FIELDS = (
    text("name", "Deal Name", required=True, searchable=True),
    lookup("account_id", "Account", "accounts"),
    lookup("contact_id", "Contact", "contacts"),
    lookup("campaign_id", "Campaign", "campaigns"),
    money("amount", "Amount"),
    _currency(),
    percent("probability", "Probability"),
    date("close_date", "Closing Date"),
    picklist("stage", "Stage", DEAL_STAGES, default="Qualification"),
    picklist("type", "Type", ("New Business", "Existing Business")),
    picklist("lead_source", "Lead Source", LEAD_SOURCES),
    text("next_step", "Next Step"),
    text("lost_reason", "Lost Reason"),
    long_text("description", "Description"),
)

# Tickets and cases share one shape apart from the number field.
_SUPPORT_FIELDS = (
    text("subject", "Subject", required=True, searchable=True),
    picklist(
        "status",
        "Status",
        ("New", "Open", "On Hold", "Escalated", "Resolved", "Closed"),
        default="New",
    ),
    picklist("priority", "Priority", PRIORITIES, default="Medium"),
    picklist("type", "Type", ("Question", "Problem", "Incident", "Feature Request")),
    picklist("origin", "Origin", SUPPORT_ORIGINS),
    lookup("account_id", "Account", "accounts"),
    lookup("contact_id", "Contact", "contacts"),
    lookup("product_id", "Product", "products"),
    email("email", "Email", searchable=True),
    phone("phone", "Phone"),
    date("due_date", "Due Date"),
    long_text("description", "Description"),
    long_text("resolution", "Resolution"),
)


# --- The modules -----------------------------------------------------------------------------

_ALL: tuple[Module, ...] = (
    Module(
        "leads",
        "Leads",
        "Lead",
        (
            text("name", "Name", required=True, searchable=True),
            text("first_name", "First Name"),
            text("last_name", "Last Name"),
            text("company", "Company", searchable=True),
            text("title", "Title"),
            email("email", "Email", searchable=True, upsert_key=True),
            phone("phone", "Phone"),
            phone("mobile", "Mobile"),
            url("website", "Website"),
            picklist("industry", "Industry", INDUSTRIES),
            integer("employees", "Employees"),
            money("annual_revenue", "Annual Revenue"),
            picklist("source", "Lead Source", LEAD_SOURCES),
            picklist(
                "status",
                "Status",
                ("New", "Contacted", "Qualified", "Unqualified", "Converted", "Lost"),
                default="New",
            ),
            picklist("rating", "Rating", ("Hot", "Warm", "Cold")),
            *_address(),
            money("value", "Value"),
            boolean("email_opt_out", "Email Opt Out", default=False),
            long_text("description", "Description"),
        ),
    ),
    Module(
        "contacts",
        "Contacts",
        "Contact",
        (
            text("name", "Name", required=True, searchable=True),
            picklist("salutation", "Salutation", ("Mr.", "Ms.", "Mrs.", "Dr.", "Prof.")),
            text("first_name", "First Name"),
            text("last_name", "Last Name"),
            lookup("account_id", "Account", "accounts"),
            text("title", "Title"),
            text("department", "Department"),
            email("email", "Email", searchable=True, upsert_key=True),
            email("secondary_email", "Secondary Email"),
            phone("phone", "Phone"),
            phone("mobile", "Mobile"),
            phone("home_phone", "Home Phone"),
            *_address("mailing_", "Mailing"),
            picklist("lead_source", "Lead Source", LEAD_SOURCES),
            date("birthday", "Date of Birth"),
            boolean("email_opt_out", "Email Opt Out", default=False),
            long_text("description", "Description"),
        ),
    ),
    Module(
        "accounts",
        "Accounts",
        "Account",
        (
            text("name", "Account Name", required=True, searchable=True),
            text("account_number", "Account Number"),
            picklist("type", "Type", ("Customer", "Investor", "Partner", "Reseller", "Prospect")),
            picklist("industry", "Industry", INDUSTRIES),
            url("website", "Website"),
            email("email", "Email", searchable=True, upsert_key=True),
            phone("phone", "Phone"),
            lookup("parent_account_id", "Parent Account", "accounts"),
            integer("employees", "Employees"),
            money("annual_revenue", "Annual Revenue"),
            *_BILLING_SHIPPING,
            long_text("description", "Description"),
        ),
    ),
    Module("deals", "Deals", "Deal", _DEAL_FIELDS),
    Module("pipeline", "Pipeline", "Pipeline Deal", _DEAL_FIELDS),
    Module(
        "activities",
        "Activities",
        "Activity",
        (
            text("subject", "Subject", required=True, searchable=True),
            picklist("type", "Type", ("task", "call", "meeting"), default="task"),
            picklist(
                "status",
                "Status",
                ("Not Started", "In Progress", "Completed", "Deferred", "Cancelled"),
                default="Not Started",
            ),
            picklist("priority", "Priority", PRIORITIES, default="Medium"),
            date("due_date", "Due Date"),
            datetime_("start_at", "Start"),
            datetime_("end_at", "End"),
            integer("duration_minutes", "Duration (minutes)"),
            text("location", "Location"),
            lookup("related_lead_id", "Related Lead", "leads"),
            lookup("related_contact_id", "Related Contact", "contacts"),
            lookup("related_account_id", "Related Account", "accounts"),
            lookup("related_deal_id", "Related Deal", "deals"),
            long_text("description", "Description"),
        ),
    ),
    Module(
        "tickets",
        "Tickets",
        "Ticket",
        (text("ticket_number", "Ticket Number", searchable=True), *_SUPPORT_FIELDS),
    ),
    Module(
        "campaigns",
        "Campaigns",
        "Campaign",
        (
            text("name", "Campaign Name", required=True, searchable=True),
            picklist(
                "type",
                "Type",
                (
                    "Email",
                    "Webinar",
                    "Conference",
                    "Trade Show",
                    "Advertisement",
                    "Social Media",
                    "Direct Mail",
                    "Telemarketing",
                    "Partner",
                    "Other",
                ),
            ),
            picklist(
                "status",
                "Status",
                ("Planning", "Active", "Inactive", "Completed", "Cancelled"),
                default="Planning",
            ),
            date("start_date", "Start Date"),
            date("end_date", "End Date"),
            _currency(),
            money("budget", "Budget"),
            money("actual_cost", "Actual Cost"),
            money("expected_revenue", "Expected Revenue"),
            integer("expected_response", "Expected Response"),
            integer("num_sent", "Number Sent"),
            long_text("description", "Description"),
        ),
    ),
    Module(
        "documents",
        "Documents",
        "Document",
        (
            text("name", "Document Name", required=True, searchable=True),
            picklist(
                "status", "Status", ("Draft", "Active", "Expired", "Cancelled"), default="Draft"
            ),
            picklist(
                "type",
                "Type",
                ("Contract", "Proposal", "License", "Presentation", "Brochure", "Manual", "Other"),
            ),
            url("url", "URL"),
            date("publish_date", "Publish Date"),
            date("expiry_date", "Expiry Date"),
            long_text("description", "Description"),
        ),
    ),
    Module(
        "products",
        "Products",
        "Product",
        (
            text("name", "Product Name", required=True, searchable=True),
            text("code", "Product Code", searchable=True),
            picklist(
                "category",
                "Category",
                ("Hardware", "Software", "Service", "Subscription", "Other"),
            ),
            lookup("vendor_id", "Vendor", "vendors"),
            text("manufacturer", "Manufacturer"),
            money("unit_price", "Unit Price"),
            boolean("taxable", "Taxable", default=True),
            percent("tax_rate", "Tax Rate"),
            text("usage_unit", "Usage Unit"),
            decimal("qty_in_stock", "Quantity in Stock"),
            decimal("reorder_level", "Reorder Level"),
            boolean("active", "Active", default=True),
            long_text("description", "Description"),
        ),
    ),
    Module(
        "price_books",
        "Price Books",
        "Price Book",
        (
            text("name", "Price Book Name", required=True, searchable=True),
            boolean("active", "Active", default=True),
            picklist("pricing_model", "Pricing Model", ("Flat", "Differential"), default="Flat"),
            _currency(),
            percent("discount", "Discount"),
            long_text("description", "Description"),
        ),
    ),
    Module(
        "quotes",
        "Quotes",
        "Quote",
        (
            text("quote_number", "Quote Number", searchable=True),
            text("subject", "Subject", required=True, searchable=True),
            lookup("deal_id", "Deal", "deals"),
            lookup("account_id", "Account", "accounts"),
            lookup("contact_id", "Contact", "contacts"),
            picklist(
                "stage",
                "Quote Stage",
                (
                    "Draft",
                    "Negotiation",
                    "Delivered",
                    "On Hold",
                    "Confirmed",
                    "Closed Won",
                    "Closed Lost",
                ),
                default="Draft",
            ),
            date("valid_until", "Valid Until"),
            _currency(),
            *_BILLING_SHIPPING,
            *_LINE_ITEMS,
            long_text("terms", "Terms and Conditions"),
            long_text("description", "Description"),
        ),
        line_items=True,
    ),
    Module(
        "sales_orders",
        "Sales Orders",
        "Sales Order",
        (
            text("sales_order_number", "Sales Order Number", searchable=True),
            text("subject", "Subject", required=True, searchable=True),
            lookup("quote_id", "Quote", "quotes"),
            lookup("account_id", "Account", "accounts"),
            lookup("contact_id", "Contact", "contacts"),
            lookup("deal_id", "Deal", "deals"),
            text("customer_po", "Customer PO"),
            picklist(
                "status",
                "Status",
                ("Created", "Approved", "Delivered", "Cancelled"),
                default="Created",
            ),
            date("order_date", "Order Date"),
            date("due_date", "Due Date"),
            _currency(),
            *_BILLING_SHIPPING,
            *_LINE_ITEMS,
            long_text("terms", "Terms and Conditions"),
            long_text("description", "Description"),
        ),
        line_items=True,
    ),
    Module(
        "purchase_orders",
        "Purchase Orders",
        "Purchase Order",
        (
            text("purchase_order_number", "Purchase Order Number", searchable=True),
            text("subject", "Subject", required=True, searchable=True),
            lookup("vendor_id", "Vendor", "vendors"),
            lookup("contact_id", "Contact", "contacts"),
            text("tracking_number", "Tracking Number"),
            picklist(
                "status",
                "Status",
                ("Created", "Approved", "Delivered", "Received", "Cancelled"),
                default="Created",
            ),
            date("order_date", "Order Date"),
            date("due_date", "Due Date"),
            _currency(),
            *_BILLING_SHIPPING,
            *_LINE_ITEMS,
            long_text("terms", "Terms and Conditions"),
            long_text("description", "Description"),
        ),
        line_items=True,
    ),
    Module(
        "invoices",
        "Invoices",
        "Invoice",
        (
            text("invoice_number", "Invoice Number", searchable=True),
            text("subject", "Subject", required=True, searchable=True),
            lookup("sales_order_id", "Sales Order", "sales_orders"),
            lookup("account_id", "Account", "accounts"),
            lookup("contact_id", "Contact", "contacts"),
            lookup("deal_id", "Deal", "deals"),
            picklist(
                "status",
                "Status",
                ("Draft", "Sent", "Partially Paid", "Paid", "Overdue", "Cancelled"),
                default="Draft",
            ),
            date("invoice_date", "Invoice Date"),
            date("due_date", "Due Date"),
            _currency(),
            *_BILLING_SHIPPING,
            *_LINE_ITEMS,
            long_text("terms", "Terms and Conditions"),
            long_text("description", "Description"),
        ),
        line_items=True,
    ),
    Module(
        "vendors",
        "Vendors",
        "Vendor",
        (
            text("name", "Vendor Name", required=True, searchable=True),
            email("email", "Email", searchable=True, upsert_key=True),
            phone("phone", "Phone"),
            url("website", "Website"),
            text("category", "Category"),
            *_address(),
            long_text("description", "Description"),
        ),
    ),
    Module(
        "cases",
        "Cases",
        "Case",
        (
            text("case_number", "Case Number", searchable=True),
            *_SUPPORT_FIELDS,
            lookup("solution_id", "Solution", "solutions"),
        ),
    ),
    Module(
        "solutions",
        "Solutions",
        "Solution",
        (
            text("title", "Title", required=True, searchable=True),
            text("solution_number", "Solution Number", searchable=True),
            picklist(
                "status", "Status", ("Draft", "Reviewed", "Published", "Archived"), default="Draft"
            ),
            lookup("product_id", "Product", "products"),
            long_text("question", "Question"),
            long_text("answer", "Answer"),
        ),
    ),
    Module(
        "salesinbox",
        "SalesInbox",
        "Email",
        (
            text("subject", "Subject", required=True, searchable=True),
            email("from_address", "From", searchable=True),
            text("to_address", "To", max_length=2000, searchable=True),
            text("cc_address", "Cc", max_length=2000),
            picklist("direction", "Direction", ("Inbound", "Outbound"), default="Inbound"),
            datetime_("sent_at", "Sent At"),
            long_text("body", "Body"),
            lookup("lead_id", "Lead", "leads"),
            lookup("contact_id", "Contact", "contacts"),
            lookup("account_id", "Account", "accounts"),
            lookup("deal_id", "Deal", "deals"),
        ),
    ),
    Module(
        "social",
        "Social",
        "Social Post",
        (
            text("handle", "Handle", required=True, searchable=True),
            picklist(
                "network",
                "Network",
                ("X", "LinkedIn", "Facebook", "Instagram", "YouTube", "Other"),
            ),
            picklist(
                "post_type", "Post Type", ("Post", "Mention", "Comment", "Message"), default="Post"
            ),
            long_text("text", "Text"),
            url("url", "URL"),
            datetime_("posted_at", "Posted At"),
            lookup("lead_id", "Lead", "leads"),
            lookup("contact_id", "Contact", "contacts"),
        ),
    ),
    Module(
        "visits",
        "Visits",
        "Visit",
        (
            url("url", "Page URL", required=True, searchable=True),
            text("visitor", "Visitor", searchable=True),
            text("page_title", "Page Title"),
            url("referrer", "Referrer"),
            integer("duration_seconds", "Duration (seconds)"),
            datetime_("visited_at", "Visited At"),
            lookup("lead_id", "Lead", "leads"),
            lookup("contact_id", "Contact", "contacts"),
        ),
    ),
)

MODULES: dict[str, Module] = {module.name: module for module in _ALL}

assert tuple(MODULES) == CRM_MODULES, "MODULES must list CRM_MODULES, in order"
