"""Line items of quotes, orders and invoices (exact totals, atomic replacement, validation) and
custom fields (Admins add and remove them; records validate them like standard fields)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from httpx import Response
from litestar import Litestar
from litestar.testing import AsyncTestClient

from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from tests.crm.factories import (
    WIDGETS,
    assert_error,
    assert_invalid,
    create,
    error_fields,
    exact,
    put,
    read,
    total,
)
from tests.factories import OrgSetup, bearer, make_member_key, make_org

Client = AsyncTestClient[Litestar]
LINE_ITEM_MODULES = ("quotes", "sales_orders", "purchase_orders", "invoices")
TOTALS = ("sub_total", "discount_total", "tax_total", "grand_total")
LINE_AMOUNTS = ("quantity", "list_price", "discount", "tax_rate", "amount", "tax", "total")
REGION = {
    "key": "cf_region",
    "label": "Region",
    "type": "picklist",
    "options": ["EU", "US"],
    "required": False,
}


# --- Helpers ---------------------------------------------------------------------------------


def number(value: Any) -> Decimal:
    """A money value as the API sent it: a JSON number (never a string), exactly."""
    assert isinstance(value, int | Decimal), f"{value!r} is not a JSON number"
    assert not isinstance(value, bool)
    return Decimal(value)


def totals_of(record: dict[str, Any]) -> tuple[Decimal, ...]:
    return tuple(number(record[key]) for key in TOTALS)


def line_amounts(line: dict[str, Any]) -> tuple[Decimal, ...]:
    return tuple(number(line[key]) for key in LINE_AMOUNTS)


# --- 7. Line items ---------------------------------------------------------------------------


@pytest.mark.parametrize("module", LINE_ITEM_MODULES)
async def test_line_totals_are_exact_and_rounded_half_up_to_cents(
    client: Client, org: OrgSetup, module: str
) -> None:
    key = org.crm_key
    record = await create(
        client, key, module, {"subject": "S", "items": [WIDGETS], "adjustment": -1}
    )
    [line] = record["items"]
    # 3 x 19.99 = 59.97; (59.97 - 5) x 18% = 9.8946 -> 9.89; 59.97 - 5 + 9.89 = 64.86
    assert line_amounts(line) == tuple(
        Decimal(v) for v in ("3", "19.99", "5", "18", "59.97", "9.89", "64.86")
    )
    assert line["description"] == "Widget"
    assert line["product_id"] is None
    assert totals_of(record) == (Decimal("59.97"), Decimal("5"), Decimal("9.89"), Decimal("63.86"))
    assert number(record["adjustment"]) == Decimal("-1")
    assert await read(client, key, module, record["id"]) == record
    listing = exact(await client.get(f"/api/records/{module}", headers=bearer(key)))
    assert listing["data"] == [record]


@pytest.mark.parametrize("module", LINE_ITEM_MODULES)
async def test_each_line_rounds_half_up_before_summing(
    client: Client, org: OrgSetup, module: str
) -> None:
    items = [
        # 2.50 x 5% = 0.125 -> 0.13 (half-even would give 0.12)
        {"quantity": 1, "list_price": 2.5, "tax_rate": 5},
        # 0.5 x 0.25 = 0.125 -> 0.13; its tax 0.13 x 10% = 0.013 -> 0.01
        {"quantity": 0.5, "list_price": 0.25, "tax_rate": 10},
        # 3 x 1.15 is 3.4499999999999997 in binary floating point, 3.45 in decimal
        {"quantity": 3, "list_price": 1.15},
    ]
    record = await create(client, org.crm_key, module, {"subject": "S", "items": items})
    amounts = [line_amounts(line)[4:] for line in record["items"]]
    assert amounts == [
        (Decimal("2.50"), Decimal("0.13"), Decimal("2.63")),
        (Decimal("0.13"), Decimal("0.01"), Decimal("0.14")),
        (Decimal("3.45"), Decimal("0"), Decimal("3.45")),
    ]
    assert totals_of(record) == (Decimal("6.08"), Decimal("0"), Decimal("0.14"), Decimal("6.22"))


@pytest.mark.parametrize("module", LINE_ITEM_MODULES)
async def test_new_items_replace_every_line_and_bump_the_version(
    client: Client, org: OrgSetup, module: str
) -> None:
    key = org.crm_key
    product = await create(client, key, "products", {"name": "Pump", "unit_price": 100})
    two_lines = [WIDGETS, {"product_id": product["id"], "quantity": 1, "list_price": 100}]
    record = await create(client, key, module, {"subject": "S", "items": two_lines})
    assert len(record["items"]) == 2
    assert number(record["sub_total"]) == Decimal("159.97")

    response = await put(
        client, key, module, record["id"], {"items": [{"quantity": 2, "list_price": 7.5}]}
    )
    assert response.status_code == 200, response.text
    updated = exact(response)
    assert updated["version"] == 2
    assert [line_amounts(line) for line in updated["items"]] == [
        tuple(Decimal(v) for v in ("2", "7.5", "0", "0", "15", "0", "15"))
    ]
    assert totals_of(updated) == (Decimal("15"), Decimal("0"), Decimal("0"), Decimal("15"))
    assert updated["subject"] == record["subject"]
    assert await read(client, key, module, record["id"]) == updated

    # An empty list removes every line.
    emptied = exact(await put(client, key, module, record["id"], {"items": []}))
    assert emptied["items"] == []
    assert emptied["version"] == 3
    assert totals_of(emptied) == (Decimal("0"),) * 4


@pytest.mark.parametrize("module", LINE_ITEM_MODULES)
async def test_changing_only_the_adjustment_recomputes_the_grand_total(
    client: Client, org: OrgSetup, module: str
) -> None:
    key = org.crm_key
    record = await create(client, key, module, {"subject": "S", "items": [WIDGETS]})
    assert number(record["grand_total"]) == Decimal("64.86")
    response = await put(client, key, module, record["id"], {"adjustment": 10.14})
    assert response.status_code == 200, response.text
    updated = exact(response)
    assert updated["version"] == 2
    assert updated["items"] == record["items"]
    assert totals_of(updated) == (
        Decimal("59.97"),
        Decimal("5"),
        Decimal("9.89"),
        Decimal("75.00"),
    )
    assert await read(client, key, module, record["id"]) == updated
    # Without lines the grand total is the adjustment alone.
    bare = await create(client, key, module, {"subject": "Bare", "adjustment": 12.5})
    assert bare["items"] == []
    assert totals_of(bare) == (Decimal("0"), Decimal("0"), Decimal("0"), Decimal("12.5"))


@pytest.mark.parametrize("module", LINE_ITEM_MODULES)
async def test_invalid_lines_are_named_and_the_stored_lines_stay(
    client: Client, org: OrgSetup, module: str
) -> None:
    key = org.crm_key
    record = await create(client, key, module, {"subject": "S", "items": [WIDGETS]})
    bad_lines = [
        {"quantity": 0, "list_price": 10},
        {"quantity": 1, "list_price": -10},
        {"quantity": 1, "list_price": 10, "discount": 10.01},
        {"quantity": 1, "list_price": 10, "colour": "red"},
        {"quantity": 1, "list_price": 10, "tax_rate": 101},
        {"list_price": 10},
        {"quantity": 1, "list_price": 10, "discount": -1},
        "not an object",
        {"quantity": 0.00001, "list_price": 10},
    ]
    expected = [
        "items[0].quantity",
        "items[1].list_price",
        "items[2].discount",
        "items[3].colour",
        "items[4].tax_rate",
        "items[5].quantity",
        "items[6].discount",
        "items[7]",
        "items[8].quantity",
    ]
    response = await put(client, key, module, record["id"], {"items": bad_lines})
    assert_invalid(response, *expected)
    response = await put(
        client, key, module, record["id"], {"items": [WIDGETS, {**WIDGETS, "product_id": 404}]}
    )
    assert_invalid(response, "items[1].product_id")
    assert "items[0].product_id" not in error_fields(response)
    for not_a_list in ({"quantity": 1}, "lines", 3):
        assert_invalid(await put(client, key, module, record["id"], {"items": not_a_list}), "items")
    assert await read(client, key, module, record["id"]) == record

    for body in (
        {"subject": "S", "items": bad_lines},
        {"subject": "S", "items": [{"product_id": 1, "quantity": 1, "list_price": 1}]},
    ):
        assert_invalid(await client.post(f"/api/records/{module}", json=body, headers=bearer(key)))
    assert await total(client, key, module) == 1


async def test_a_line_cannot_name_another_orgs_product(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    other = await make_org(db, peppers)
    theirs = [await create(client, other.crm_key, "products", {"name": f"P{n}"}) for n in range(2)]
    line = {"product_id": theirs[-1]["id"], "quantity": 1, "list_price": 1}
    response = await client.post(
        "/api/records/quotes", json={"subject": "S", "items": [line]}, headers=bearer(org.crm_key)
    )
    assert_invalid(response, "items[0].product_id")
    assert await total(client, org.crm_key, "quotes") == 0


async def test_modules_without_line_items_refuse_items(client: Client, org: OrgSetup) -> None:
    response = await client.post(
        "/api/records/leads", json={"name": "x", "items": [WIDGETS]}, headers=bearer(org.crm_key)
    )
    assert_invalid(response, "items")
    assert await total(client, org.crm_key, "leads") == 0


async def test_every_line_problem_including_unknown_products_is_listed_at_once(
    client: Client, org: OrgSetup
) -> None:
    items = [{"quantity": 0, "list_price": 1}, {"product_id": 404, "quantity": 1, "list_price": 1}]
    response = await client.post(
        "/api/records/quotes", json={"subject": "S", "items": items}, headers=bearer(org.crm_key)
    )
    assert_invalid(response, "items[0].quantity", "items[1].product_id")


@pytest.mark.parametrize(
    "line",
    [
        {"quantity": 1_000_000, "list_price": 10_000_000_000_000},  # amount 10^19
        {"quantity": 1, "list_price": 9_000_000_000_000_000, "tax_rate": 100},  # total 1.8 x 10^16
    ],
)
async def test_line_amounts_beyond_the_money_range_are_refused(
    client: Client, org: OrgSetup, line: dict[str, Any]
) -> None:
    response = await client.post(
        "/api/records/quotes", json={"subject": "S", "items": [line]}, headers=bearer(org.crm_key)
    )
    assert_invalid(response)
    assert await total(client, org.crm_key, "quotes") == 0


# --- 8. Custom fields ------------------------------------------------------------------------


async def add_field(client: Client, key: str, module: str, body: dict[str, Any]) -> Response:
    return await client.post(f"/api/modules/{module}/fields", json=body, headers=bearer(key))


async def described_field(
    client: Client, key: str, module: str, field: str
) -> dict[str, Any] | None:
    described = (await client.get(f"/api/modules/{module}", headers=bearer(key))).json()
    return next((f for f in described["fields"] if f["key"] == field), None)


async def test_an_admin_adds_a_custom_picklist_that_records_validate(
    client: Client, org: OrgSetup
) -> None:
    key = org.crm_key
    response = await add_field(client, key, "leads", REGION)
    assert response.status_code == 201, response.text
    added = response.json()
    assert (added["key"], added["type"], added["custom"]) == ("cf_region", "picklist", True)
    assert added["options"] == ["EU", "US"]
    assert added["required"] is False
    assert await described_field(client, key, "leads", "cf_region") == added
    listing = (await client.get("/api/modules", headers=bearer(key))).json()["modules"]
    leads = next(m for m in listing if m["module"] == "leads")
    assert leads["fields"][-1] == added

    lead = await create(client, key, "leads", {"name": "Asha", "cf_region": "eu"})
    assert lead["cf_region"] == "EU"
    plain = await create(client, key, "leads", {"name": "Ravi"})
    assert plain["cf_region"] is None
    response = await client.post(
        "/api/records/leads",
        json={"name": "x", "cf_region": "APAC", "cf_other": 1},
        headers=bearer(key),
    )
    assert_invalid(response, "cf_region", "cf_other")
    assert await total(client, key, "leads") == 2

    response = await put(client, key, "leads", lead["id"], {"cf_region": "US"})
    assert response.status_code == 200
    assert response.json()["cf_region"] == "US"
    assert response.json()["version"] == 2
    assert_invalid(await put(client, key, "leads", lead["id"], {"cf_region": 1}), "cf_region")
    assert (await read(client, key, "leads", lead["id"]))["cf_region"] == "US"
    cleared = await put(client, key, "leads", lead["id"], {"cf_region": None})
    assert cleared.json()["cf_region"] is None


async def test_typed_custom_fields_keep_their_types(client: Client, org: OrgSetup) -> None:
    key = org.crm_key
    for body in (
        {"key": "cf_budget", "label": "Budget", "type": "money"},
        {"key": "cf_met_on", "label": "Met on", "type": "date"},
        {"key": "cf_code", "label": "Code", "type": "text", "max_length": 5},
        {"key": "cf_tags", "label": "Tags", "type": "multi_picklist", "options": ["A", "B"]},
    ):
        assert (await add_field(client, key, "deals", body)).status_code == 201
    deal = await create(
        client,
        key,
        "deals",
        {
            "name": "D",
            "cf_budget": 1234.5,
            "cf_met_on": "2026-06-12",
            "cf_code": "AB12",
            "cf_tags": ["b", "A", "B"],
        },
    )
    assert number(deal["cf_budget"]) == Decimal("1234.5")
    assert deal["cf_met_on"] == "2026-06-12"
    assert deal["cf_tags"] == ["B", "A"]
    assert await read(client, key, "deals", deal["id"]) == deal
    response = await client.post(
        "/api/records/deals",
        json={
            "name": "D",
            "cf_budget": 1.001,
            "cf_met_on": "2026-02-30",
            "cf_code": "ABCDEF",
            "cf_tags": ["C"],
        },
        headers=bearer(key),
    )
    assert_invalid(response, "cf_budget", "cf_met_on", "cf_code", "cf_tags")
    assert await total(client, key, "deals") == 1


async def test_removing_a_custom_field_removes_its_values(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    key = org.crm_key
    other = await make_org(db, peppers)
    assert (await add_field(client, key, "leads", REGION)).status_code == 201
    assert (await add_field(client, other.crm_key, "leads", REGION)).status_code == 201
    lead = await create(client, key, "leads", {"name": "Asha", "cf_region": "EU"})
    theirs = await create(client, other.crm_key, "leads", {"name": "Theirs", "cf_region": "US"})

    response = await client.delete("/api/modules/leads/fields/cf_region", headers=bearer(key))
    assert response.status_code == 204, response.text
    assert await described_field(client, key, "leads", "cf_region") is None
    assert "cf_region" not in await read(client, key, "leads", lead["id"])
    response = await client.post(
        "/api/records/leads", json={"name": "x", "cf_region": "EU"}, headers=bearer(key)
    )
    assert_invalid(response, "cf_region")
    response = await client.delete("/api/modules/leads/fields/cf_region", headers=bearer(key))
    assert_error(response, 404, "NOT_FOUND")

    # The other organization's field and values are its own.
    assert await read(client, other.crm_key, "leads", theirs["id"]) == theirs

    # Re-adding the key starts empty.
    assert (await add_field(client, key, "leads", REGION)).status_code == 201
    assert (await read(client, key, "leads", lead["id"]))["cf_region"] is None


async def test_custom_field_definitions_are_validated(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    key = org.crm_key
    cases: list[tuple[dict[str, Any], str]] = [
        ({**REGION, "key": "region"}, "key"),
        ({**REGION, "key": "cf_Region"}, "key"),
        ({**REGION, "key": "cf_"}, "key"),
        ({**REGION, "label": ""}, "label"),
        ({**REGION, "options": []}, "options"),
        ({key: v for key, v in REGION.items() if key != "options"}, "options"),
        ({**REGION, "options": ["EU", "eu"]}, "options"),
        ({"key": "cf_partner", "label": "Partner", "type": "lookup"}, "module"),
        ({"key": "cf_partner", "label": "Partner", "type": "lookup", "module": "nope"}, "module"),
        ({"key": "cf_x", "label": "X", "type": "line_items"}, "type"),
        ({"key": "cf_x", "label": "X", "type": "colour"}, "type"),
        ({**REGION, "required": "yes"}, "required"),
        ({**REGION, "colour": "red"}, "colour"),
    ]
    for body, field in cases:
        assert_invalid(await add_field(client, key, "leads", body), field)
    assert_error(await add_field(client, key, "widgets", REGION), 404, "NOT_FOUND")
    assert await described_field(client, key, "leads", "cf_region") is None

    assert (await add_field(client, key, "leads", REGION)).status_code == 201
    assert_error(await add_field(client, key, "leads", REGION), 409, "CONFLICT")
    # The same key on another module is another field.
    assert (await add_field(client, key, "contacts", REGION)).status_code == 201

    for role in ("Manager", "Standard", "Read-only"):
        _, member_key = await make_member_key(db, peppers, org.org_id, role)
        response = await add_field(client, member_key, "leads", {**REGION, "key": "cf_mine"})
        assert_error(response, 403, "FORBIDDEN")
        response = await client.delete(
            "/api/modules/leads/fields/cf_region", headers=bearer(member_key)
        )
        assert_error(response, 403, "FORBIDDEN")
    assert await described_field(client, key, "leads", "cf_mine") is None
    assert await described_field(client, key, "leads", "cf_region") is not None


async def test_a_required_custom_field_is_required_on_create(client: Client, org: OrgSetup) -> None:
    key = org.crm_key
    before = await create(client, key, "leads", {"name": "Before"})
    body = {"key": "cf_tier", "label": "Tier", "type": "text", "required": True}
    response = await add_field(client, key, "leads", body)
    assert response.status_code == 201
    assert response.json()["required"] is True
    for attempt in ({"name": "x"}, {"name": "x", "cf_tier": ""}, {"name": "x", "cf_tier": None}):
        assert_invalid(
            await client.post("/api/records/leads", json=attempt, headers=bearer(key)), "cf_tier"
        )
    assert await total(client, key, "leads") == 1
    lead = await create(client, key, "leads", {"name": "x", "cf_tier": "Gold"})
    assert lead["cf_tier"] == "Gold"
    assert_invalid(await put(client, key, "leads", lead["id"], {"cf_tier": ""}), "cf_tier")
    # Records from before the field existed can still be edited in other fields.
    response = await put(client, key, "leads", before["id"], {"company": "Acme"})
    assert response.status_code == 200, response.text


async def test_a_custom_lookup_must_point_at_a_record_of_this_org(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    key = org.crm_key
    other = await make_org(db, peppers)
    for n in range(2):
        await create(client, other.crm_key, "accounts", {"name": f"Theirs {n}"})
    body = {"key": "cf_partner", "label": "Partner", "type": "lookup", "module": "accounts"}
    response = await add_field(client, key, "contacts", body)
    assert response.status_code == 201
    assert response.json()["module"] == "accounts"
    account = await create(client, key, "accounts", {"name": "Ours"})
    for bad in (2, 404):
        response = await client.post(
            "/api/records/contacts", json={"name": "x", "cf_partner": bad}, headers=bearer(key)
        )
        assert_invalid(response, "cf_partner")
    contact = await create(client, key, "contacts", {"name": "x", "cf_partner": account["id"]})
    assert contact["cf_partner"] == account["id"]


async def test_a_record_referenced_by_a_custom_lookup_cannot_be_deleted(
    client: Client, org: OrgSetup
) -> None:
    key = org.crm_key
    body = {"key": "cf_partner", "label": "Partner", "type": "lookup", "module": "accounts"}
    assert (await add_field(client, key, "contacts", body)).status_code == 201
    account = await create(client, key, "accounts", {"name": "Ours"})
    contact = await create(client, key, "contacts", {"name": "x", "cf_partner": account["id"]})
    response = await client.delete(f"/api/records/accounts/{account['id']}", headers=bearer(key))
    assert_error(response, 409, "CONFLICT")
    assert response.json()["referrers"] == [
        {"module": "contacts", "id": contact["id"], "field": "cf_partner"}
    ]
