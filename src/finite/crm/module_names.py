"""The 21 CRM record modules of the CRM API, in the order the API documentation lists them."""

from __future__ import annotations

CRM_MODULES: tuple[str, ...] = (
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
