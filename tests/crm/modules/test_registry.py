"""Invariants of the CRM module registry, the one source of tables, validation, docs and CSV."""

from __future__ import annotations

import re
from decimal import Decimal

from finite.crm.module_names import CRM_MODULES
from finite.crm.modules.definitions import MODULES
from finite.crm.modules.fields import Field

RESERVED = {
    "id",
    "org_id",
    "version",
    "created_at",
    "updated_at",
    "created_by",
    "owner",
    "custom",
    "items_json",
    "deleted",
    "search",
}
SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
LINE_ITEM_MODULES = ("quotes", "sales_orders", "purchase_orders", "invoices")
COMPUTED_TOTALS = ("sub_total", "discount_total", "tax_total", "grand_total")
SEED_LEAD = {
    "name": "Asha Rao",
    "company": "Acme Pumps",
    "email": "asha@acmepumps.in",
    "value": 50000,
}


def all_fields() -> list[tuple[str, Field]]:
    return [(name, f) for name, module in MODULES.items() for f in module.fields]


def test_modules_are_the_21_of_the_api_in_order() -> None:
    assert tuple(MODULES) == CRM_MODULES
    assert len(MODULES) == 21
    for name, module in MODULES.items():
        assert module.name == name
        assert module.label
        assert module.singular
        assert module.fields


def test_each_module_has_one_required_searchable_title_and_nothing_else_required() -> None:
    for name, module in MODULES.items():
        required = [f for f in module.fields if f.required]
        assert len(required) == 1, (name, [f.key for f in required])
        title = required[0]
        assert title.searchable, name
        assert title.type in {"text", "url"}, name
        assert title.default is None, name


def test_keys_are_unique_snake_case_column_names_and_never_reserved() -> None:
    for name, module in MODULES.items():
        keys = [f.key for f in module.fields]
        assert len(keys) == len(set(keys)), name
        for key in keys:
            assert SNAKE_CASE.match(key), (name, key)
            assert len(key) <= 63, (name, key)  # PostgreSQL identifier limit
            assert key not in RESERVED, (name, key)


def test_labels_are_human() -> None:
    for name, f in all_fields():
        assert f.label.strip() == f.label, (name, f.key)
        assert f.label[0].isupper(), (name, f.key)
        assert "_" not in f.label, (name, f.key)


def test_lookups_point_at_modules_and_end_in_id() -> None:
    for name, f in all_fields():
        if f.type == "lookup":
            assert f.key.endswith("_id"), (name, f.key)
            assert f.target in MODULES, (name, f.key, f.target)
        else:
            assert f.target is None, (name, f.key)
            assert not f.key.endswith("_id"), (name, f.key)


def test_required_lookups_exist() -> None:
    expected = {
        "contacts": {"account_id": "accounts"},
        "accounts": {"parent_account_id": "accounts"},
        "deals": {"account_id": "accounts", "contact_id": "contacts", "campaign_id": "campaigns"},
        "pipeline": {
            "account_id": "accounts",
            "contact_id": "contacts",
            "campaign_id": "campaigns",
        },
        "activities": {
            "related_lead_id": "leads",
            "related_contact_id": "contacts",
            "related_account_id": "accounts",
            "related_deal_id": "deals",
        },
        "tickets": {"account_id": "accounts", "contact_id": "contacts", "product_id": "products"},
        "cases": {"account_id": "accounts", "contact_id": "contacts", "product_id": "products"},
        "products": {"vendor_id": "vendors"},
        "quotes": {"deal_id": "deals", "account_id": "accounts", "contact_id": "contacts"},
        "sales_orders": {
            "quote_id": "quotes",
            "account_id": "accounts",
            "contact_id": "contacts",
            "deal_id": "deals",
        },
        "purchase_orders": {"vendor_id": "vendors", "contact_id": "contacts"},
        "invoices": {
            "sales_order_id": "sales_orders",
            "account_id": "accounts",
            "contact_id": "contacts",
            "deal_id": "deals",
        },
        "solutions": {"product_id": "products"},
        "salesinbox": {
            "lead_id": "leads",
            "contact_id": "contacts",
            "account_id": "accounts",
            "deal_id": "deals",
        },
    }
    for name, lookups in expected.items():
        for key, target in lookups.items():
            f = MODULES[name].field(key)
            assert f is not None, (name, key)
            assert f.type == "lookup", (name, key)
            assert f.target == target, (name, key)


def test_picklists_have_distinct_options_and_defaults_among_them() -> None:
    for name, f in all_fields():
        if f.type in {"picklist", "multi_picklist"}:
            assert f.options, (name, f.key)
            assert len(f.options) == len(set(f.options)), (name, f.key)
            assert all(o.strip() == o and o for o in f.options), (name, f.key)
            if f.default is not None:
                if f.type == "picklist":
                    assert f.default in f.options, (name, f.key)
                else:
                    assert set(f.default) <= set(f.options), (name, f.key)
        else:
            assert not f.options, (name, f.key)


def test_defaults_have_their_fields_type() -> None:
    for name, f in all_fields():
        if f.default is None:
            continue
        if f.type in {"money", "decimal", "percent"}:
            assert isinstance(f.default, Decimal), (name, f.key)
        elif f.type == "boolean":
            assert isinstance(f.default, bool), (name, f.key)
        elif f.type == "integer":
            assert isinstance(f.default, int), (name, f.key)
            assert not isinstance(f.default, bool), (name, f.key)
        elif f.type == "picklist":
            assert isinstance(f.default, str), (name, f.key)
        else:
            raise AssertionError(f"unexpected default on {name}.{f.key}: {f.default!r}")


def test_line_item_modules_are_the_four_with_items_totals_and_adjustment() -> None:
    assert tuple(n for n, m in MODULES.items() if m.line_items) == LINE_ITEM_MODULES
    for name, module in MODULES.items():
        items = module.field("items")
        if not module.line_items:
            assert items is None, name
            continue
        assert items is not None, name
        assert items.type == "line_items", name
        for key in COMPUTED_TOTALS:
            total = module.field(key)
            assert total is not None, (name, key)
            assert total.type == "money", (name, key)
            assert total.computed, (name, key)
            assert not total.required, (name, key)
        adjustment = module.field("adjustment")
        assert adjustment is not None, name
        assert adjustment.type == "money", name
        assert not adjustment.computed, name
        assert adjustment.default == Decimal("0"), name


def test_line_items_field_type_only_in_line_item_modules() -> None:
    for name, f in all_fields():
        if f.type == "line_items":
            assert MODULES[name].line_items, (name, f.key)
            assert f.key == "items", (name, f.key)


def test_computed_fields_are_money_in_line_item_modules() -> None:
    for name, f in all_fields():
        if f.computed:
            assert f.type == "money", (name, f.key)
            assert MODULES[name].line_items, (name, f.key)
            assert f.default is None, (name, f.key)


def test_seed_lead_example_fits_leads() -> None:
    leads = MODULES["leads"]
    for key in SEED_LEAD:
        assert leads.field(key) is not None, key
    status = leads.field("status")
    assert status is not None
    assert status.default == "New"
    assert status.options == ("New", "Contacted", "Qualified", "Unqualified", "Converted", "Lost")
    value = leads.field("value")
    assert value is not None
    assert value.type == "money"
    email = leads.field("email")
    assert email is not None
    assert email.type == "email"
    assert set(leads.searchable) >= {"name", "company", "email"}
    assert {f.key for f in leads.fields if f.required} <= set(SEED_LEAD)


def test_deal_stage_defaults() -> None:
    for name in ("deals", "pipeline"):
        stage = MODULES[name].field("stage")
        assert stage is not None
        assert stage.default == "Qualification"
        assert stage.options[-2:] == ("Closed Won", "Closed Lost")
