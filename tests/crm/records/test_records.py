"""CRM records over /api/records: the seed's example, create/read/update/delete on all 21 modules,
validation, optimistic versions, organization isolation, lookups, module descriptions and role
permissions. Line items and custom fields: tests/crm/records/test_line_items_and_fields.py."""

from __future__ import annotations

import asyncio
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from httpx import Response
from litestar import Litestar
from litestar.testing import AsyncTestClient

from finite.core.accounts.roles import ACTIONS
from finite.crm.modules.definitions import MODULES
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from tests.concurrency import concurrent_client
from tests.crm.factories import (
    assert_error,
    assert_invalid,
    create,
    error_fields,
    exact,
    minimal_body,
    put,
    read,
    total,
)
from tests.factories import OrgSetup, bearer, make_member_key, make_org

Client = AsyncTestClient[Litestar]
SEED_LEAD = {
    "name": "Asha Rao",
    "company": "Acme Pumps",
    "email": "asha@acmepumps.in",
    "value": 50000,
}
SYSTEM_KEYS = ("id", "version", "created_at", "updated_at", "created_by", "owner")


# --- Helpers ---------------------------------------------------------------------------------


async def fetch(client: Client, key: str, module: str, record_id: int) -> Response:
    return await client.get(f"/api/records/{module}/{record_id}", headers=bearer(key))


async def remove(
    client: Client, key: str, module: str, record_id: int, headers: dict[str, str] | None = None
) -> Response:
    return await client.delete(
        f"/api/records/{module}/{record_id}", headers={**bearer(key), **(headers or {})}
    )


# --- 1. The seed's example -------------------------------------------------------------------


async def test_the_seed_example_creates_a_lead_and_lists_it(client: Client, org: OrgSetup) -> None:
    response = await client.post("/api/records/leads", json=SEED_LEAD, headers=bearer(org.crm_key))
    assert response.status_code == 201, response.text
    lead = exact(response)
    assert isinstance(lead["id"], int)
    assert lead["id"] >= 1
    assert lead["version"] == 1
    assert lead["created_by"] == org.owner_id
    assert lead["owner"] == org.owner_id
    assert lead["name"] == "Asha Rao"
    assert lead["company"] == "Acme Pumps"
    assert lead["email"] == "asha@acmepumps.in"
    assert lead["value"] == 50000
    assert isinstance(lead["value"], int | Decimal)  # a JSON number, not a string
    assert lead["status"] == "New"
    assert lead["email_opt_out"] is False
    assert lead["phone"] is None
    created_at = datetime.fromisoformat(lead["created_at"])
    assert created_at.tzinfo is not None
    assert datetime.fromisoformat(lead["updated_at"]) == created_at
    # The full record: every system key and every standard field of the module.
    assert set(lead) == set(SYSTEM_KEYS) | {f.key for f in MODULES["leads"].fields}

    listing = await client.get("/api/records/leads", headers=bearer(org.crm_key))
    assert listing.status_code == 200
    page = exact(listing)
    assert page["total"] == 1
    assert page["page"] == 1
    assert page["per_page"] == 50
    assert page["has_more"] is False
    assert page["data"] == [lead]


async def test_listing_pages_through_records_in_id_order(client: Client, org: OrgSetup) -> None:
    ids = [
        (await create(client, org.crm_key, "leads", {"name": f"Lead {n}"}))["id"] for n in range(3)
    ]
    first = (
        await client.get("/api/records/leads?page=1&per_page=2", headers=bearer(org.crm_key))
    ).json()
    second = (
        await client.get("/api/records/leads?page=2&per_page=2", headers=bearer(org.crm_key))
    ).json()
    assert [r["id"] for r in first["data"]] == ids[:2]
    assert (first["total"], first["page"], first["per_page"], first["has_more"]) == (3, 1, 2, True)
    assert [r["id"] for r in second["data"]] == ids[2:]
    assert second["has_more"] is False
    for query in ("page=0", "per_page=0", "per_page=201", "page=abc"):
        response = await client.get(f"/api/records/leads?{query}", headers=bearer(org.crm_key))
        assert_invalid(response, query.partition("=")[0])


# --- 2. Create, read, update, delete on every module -----------------------------------------


@pytest.mark.parametrize("module", list(MODULES))
async def test_crud_on_every_module(client: Client, org: OrgSetup, module: str) -> None:
    key = org.crm_key
    body = await minimal_body(client, key, module, variant=1)
    assert body, f"{module} describes no required field"
    created = await create(client, key, module, body)
    assert isinstance(created["id"], int)
    assert created["version"] == 1
    assert created["created_by"] == org.owner_id
    for field, value in body.items():
        assert created[field] == value, field

    response = await fetch(client, key, module, created["id"])
    assert response.status_code == 200
    assert response.headers["ETag"] == '"1"'
    assert exact(response) == created

    # A partial update: the required field and one optional text field; nothing else moves.
    description = (await client.get(f"/api/modules/{module}", headers=bearer(key))).json()
    optional = next(
        f
        for f in description["fields"]
        if not f["required"] and not f["read_only"] and f["type"] in ("text", "long_text")
    )
    change = {**await minimal_body(client, key, module, variant=2), optional["key"]: "Changed"}
    assert all(created[field] != value for field, value in change.items())
    response = await put(client, key, module, created["id"], change)
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == '"2"'
    updated = exact(response)
    assert updated["version"] == 2
    for field, value in change.items():
        assert updated[field] == value, field
    untouched = set(created) - set(change) - {"version", "updated_at"}
    assert {k: updated[k] for k in untouched} == {k: created[k] for k in untouched}
    assert datetime.fromisoformat(updated["updated_at"]) >= datetime.fromisoformat(
        created["updated_at"]
    )
    assert await read(client, key, module, created["id"]) == updated
    listed = await client.get(
        f"/api/records/{module}", params={"id": str(created["id"])}, headers=bearer(key)
    )
    assert listed.status_code == 200, listed.text
    [entry] = exact(listed)["data"]  # a list builds records as reads do: same keys, same order
    assert entry == updated
    assert list(entry) == list(updated)

    response = await remove(client, key, module, created["id"])
    assert response.status_code == 204, response.text
    assert_error(await fetch(client, key, module, created["id"]), 404, "NOT_FOUND")
    assert await total(client, key, module) == 0


# --- 3. Validation ---------------------------------------------------------------------------


async def test_unknown_and_server_set_fields_are_refused_together(
    client: Client, org: OrgSetup
) -> None:
    body = {
        "name": "Asha",
        "nickname": "A",
        "id": 7,
        "org_id": "org_x",
        "created_by": "m_x",
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
        "version": 1,
        "custom": {},
    }
    response = await client.post("/api/records/leads", json=body, headers=bearer(org.crm_key))
    fields = ("nickname", "id", "org_id", "created_by", "created_at", "updated_at", "version")
    assert_invalid(response, *fields, "custom")
    assert "name" not in error_fields(response)
    assert await total(client, org.crm_key, "leads") == 0


async def test_computed_totals_are_refused_on_create_and_update(
    client: Client, org: OrgSetup
) -> None:
    key = org.crm_key
    response = await client.post(
        "/api/records/quotes",
        json={"subject": "Q", "grand_total": 100, "sub_total": 90},
        headers=bearer(key),
    )
    assert_invalid(response, "grand_total", "sub_total")
    assert await total(client, key, "quotes") == 0
    quote = await create(client, key, "quotes", {"subject": "Q"})
    assert_invalid(await put(client, key, "quotes", quote["id"], {"tax_total": 5}), "tax_total")
    assert await read(client, key, "quotes", quote["id"]) == quote


async def test_wrong_types_are_each_named(client: Client, org: OrgSetup) -> None:
    body = {
        "name": "Typed",
        "employees": "12",
        "company": 42,
        "email_opt_out": "yes",
        "annual_revenue": "lots",
        "industry": 3,
    }
    response = await client.post("/api/records/leads", json=body, headers=bearer(org.crm_key))
    assert_invalid(response, "employees", "company", "email_opt_out", "annual_revenue", "industry")
    assert len(response.json()["details"]) == 5
    for wrong in (1.5, True, [1], {"n": 1}):
        response = await client.post(
            "/api/records/leads",
            json={"name": "x", "employees": wrong},
            headers=bearer(org.crm_key),
        )
        assert_invalid(response, "employees")
    assert await total(client, org.crm_key, "leads") == 0


async def test_formats_of_email_url_phone_date_and_datetime(client: Client, org: OrgSetup) -> None:
    key = org.crm_key
    response = await client.post(
        "/api/records/leads",
        json={"name": "x", "email": "asha@", "website": "example.com", "phone": "call me"},
        headers=bearer(key),
    )
    assert_invalid(response, "email", "website", "phone")
    response = await client.post(
        "/api/records/activities",
        json={"subject": "x", "due_date": "2026-02-30", "start_at": "2026-06-12T10:30:00"},
        headers=bearer(key),
    )
    assert_invalid(response, "due_date", "start_at")
    for bad_date in ("12/06/2026", "2026-6-1", "2026-13-01"):
        response = await client.post(
            "/api/records/activities",
            json={"subject": "x", "due_date": bad_date},
            headers=bearer(key),
        )
        assert_invalid(response, "due_date")
    assert await total(client, key, "leads") == 0
    assert await total(client, key, "activities") == 0

    # The same values, made valid, are accepted; the time zone is kept.
    lead = await create(
        client,
        key,
        "leads",
        {
            "name": "x",
            "email": "Asha@Example.COM",
            "website": "https://example.com",
            "phone": "+91 98",
        },
    )
    assert lead["email"] == "asha@example.com"
    activity = await create(
        client,
        key,
        "activities",
        {"subject": "x", "due_date": "2028-02-29", "start_at": "2026-06-12T10:30:00+05:30"},
    )
    assert activity["due_date"] == "2028-02-29"
    assert datetime.fromisoformat(activity["start_at"]) == datetime.fromisoformat(
        "2026-06-12T05:00:00+00:00"
    )


async def test_picklists_refuse_unknown_values_and_canonicalize_case(
    client: Client, org: OrgSetup
) -> None:
    response = await client.post(
        "/api/records/leads",
        json={"name": "x", "status": "Hot Lead", "rating": "Boiling"},
        headers=bearer(org.crm_key),
    )
    assert_invalid(response, "status", "rating")
    assert await total(client, org.crm_key, "leads") == 0
    lead = await create(
        client, org.crm_key, "leads", {"name": "x", "status": "qualified", "rating": " HOT "}
    )
    assert lead["status"] == "Qualified"
    assert lead["rating"] == "Hot"


async def test_lookups_must_exist_in_the_callers_organization(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    other = await make_org(db, peppers)
    for n in range(3):
        await create(client, other.crm_key, "accounts", {"name": f"Theirs {n}"})
    theirs = 3  # exists in the other organization only
    assert (await fetch(client, other.crm_key, "accounts", theirs)).status_code == 200
    ours = await create(client, org.crm_key, "accounts", {"name": "Ours"})
    assert ours["id"] != theirs

    response = await client.post(
        "/api/records/activities",
        json={"subject": "x", "related_account_id": theirs, "related_contact_id": 999},
        headers=bearer(org.crm_key),
    )
    assert_invalid(response, "related_account_id", "related_contact_id")
    for bad in (theirs, 999, 0, -1, "1"):
        response = await client.post(
            "/api/records/contacts",
            json={"name": "x", "account_id": bad},
            headers=bearer(org.crm_key),
        )
        assert_invalid(response, "account_id")
    assert await total(client, org.crm_key, "contacts") == 0
    assert await total(client, org.crm_key, "activities") == 0

    contact = await create(client, org.crm_key, "contacts", {"name": "x"})
    response = await put(client, org.crm_key, "contacts", contact["id"], {"account_id": theirs})
    assert_invalid(response, "account_id")
    assert await read(client, org.crm_key, "contacts", contact["id"]) == contact


async def test_required_fields_must_be_present_and_not_blank(client: Client, org: OrgSetup) -> None:
    key = org.crm_key
    for body in ({}, {"name": ""}, {"name": "   "}, {"name": None}, {"company": "Acme"}):
        response = await client.post("/api/records/leads", json=body, headers=bearer(key))
        assert_invalid(response, "name")
    assert await total(client, key, "leads") == 0
    lead = await create(client, key, "leads", {"name": "Asha"})
    for blank in ("", None):
        assert_invalid(await put(client, key, "leads", lead["id"], {"name": blank}), "name")
    assert await read(client, key, "leads", lead["id"]) == lead


async def test_lengths_decimal_places_and_ranges(client: Client, org: OrgSetup) -> None:
    key = org.crm_key
    cases = [
        ("leads", {"name": "n" * 256}, "name"),
        ("leads", {"name": "x", "annual_revenue": 10.125}, "annual_revenue"),
        ("leads", {"name": "x", "value": "0.001"}, "value"),
        ("leads", {"name": "x", "postal_code": "1" * 21}, "postal_code"),
        ("products", {"name": "x", "tax_rate": 100.5}, "tax_rate"),
        ("products", {"name": "x", "tax_rate": -1}, "tax_rate"),
        ("deals", {"name": "x", "probability": 101}, "probability"),
        ("leads", {"name": "x", "value": 10**16}, "value"),
        ("leads", {"name": "x", "employees": 2**63}, "employees"),
    ]
    for module, body, field in cases:
        response = await client.post(f"/api/records/{module}", json=body, headers=bearer(key))
        assert_invalid(response, field)
    for module in ("leads", "products", "deals"):
        assert await total(client, key, module) == 0

    # The limits themselves are accepted, exactly.
    lead = await create(client, key, "leads", {"name": "n" * 255, "annual_revenue": "10.12"})
    assert lead["annual_revenue"] == Decimal("10.12")
    product = await create(client, key, "products", {"name": "x", "tax_rate": 100})
    assert product["tax_rate"] == 100


async def test_every_problem_is_listed_at_once_and_nothing_is_written(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    other = await make_org(db, peppers)
    for n in range(2):
        await create(client, other.crm_key, "accounts", {"name": f"Theirs {n}"})
    body = {
        "name": "",
        "bogus": 1,
        "id": 9,
        "employees": "many",
        "email": "nope",
        "website": "nope",
        "status": "Nope",
        "annual_revenue": 1.001,
        "title": "t" * 256,
    }
    response = await client.post("/api/records/leads", json=body, headers=bearer(org.crm_key))
    fields = ("name", "bogus", "id", "employees", "email", "website", "status", "annual_revenue")
    assert_invalid(response, *fields, "title")
    assert len(response.json()["details"]) == len(body)
    contact_body = {"account_id": 2, "birthday": "2026-02-30", "email_opt_out": "no"}
    response = await client.post(
        "/api/records/contacts", json=contact_body, headers=bearer(org.crm_key)
    )
    assert_invalid(response, "name", "account_id", "birthday", "email_opt_out")
    assert await total(client, org.crm_key, "leads") == 0
    assert await total(client, org.crm_key, "contacts") == 0


async def test_bodies_that_are_not_json_objects_or_too_large(client: Client, org: OrgSetup) -> None:
    headers = {**bearer(org.crm_key), "Content-Type": "application/json"}
    for raw in (b"{not json", b"", b'["name", "x"]', b'"x"', b"42", b"null"):
        response = await client.post("/api/records/leads", content=raw, headers=headers)
        assert_invalid(response, "body")
    lead = await create(client, org.crm_key, "leads", {"name": "x"})
    response = await client.put(f"/api/records/leads/{lead['id']}", content=b"[1]", headers=headers)
    assert_invalid(response, "body")

    huge = {"name": "x", "description": "a" * (1024 * 1024)}
    response = await client.post("/api/records/leads", json=huge, headers=bearer(org.crm_key))
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")
    response = await put(client, org.crm_key, "leads", lead["id"], huge)
    assert response.status_code == 413
    assert await total(client, org.crm_key, "leads") == 1
    assert await read(client, org.crm_key, "leads", lead["id"]) == lead


async def test_unknown_module_is_not_found(client: Client, org: OrgSetup) -> None:
    headers = bearer(org.crm_key)
    responses = [
        await client.get("/api/records/widgets", headers=headers),
        await client.post("/api/records/widgets", json={"name": "x"}, headers=headers),
        await client.get("/api/records/widgets/1", headers=headers),
        await client.put("/api/records/widgets/1", json={"name": "x"}, headers=headers),
        await client.delete("/api/records/widgets/1", headers=headers),
        await client.get("/api/modules/widgets", headers=headers),
    ]
    for response in responses:
        assert_error(response, 404, "NOT_FOUND")


# --- 4. Optimistic versions ------------------------------------------------------------------


async def test_updates_accept_the_version_in_the_body_or_if_match(
    client: Client, org: OrgSetup
) -> None:
    key = org.crm_key
    lead = await create(client, key, "leads", {"name": "Asha"})
    steps: list[tuple[dict[str, Any], dict[str, str]]] = [
        ({"version": 1, "company": "A"}, {}),
        ({"company": "B"}, {"If-Match": '"2"'}),
        ({"company": "C"}, {"If-Match": 'W/"3"'}),
        ({"company": "D"}, {"If-Match": "*"}),
        ({"company": "E"}, {}),
    ]
    for version, (body, headers) in enumerate(steps, start=2):
        response = await put(client, key, "leads", lead["id"], body, headers)
        assert response.status_code == 200, (body, headers, response.text)
        assert response.headers["ETag"] == f'"{version}"'
        assert response.json()["version"] == version
        assert response.json()["company"] == body["company"]
    assert (await read(client, key, "leads", lead["id"]))["version"] == 6


async def test_a_stale_version_conflicts_and_changes_nothing(client: Client, org: OrgSetup) -> None:
    key = org.crm_key
    lead = await create(client, key, "leads", {"name": "Asha"})
    current = exact(await put(client, key, "leads", lead["id"], {"company": "Fresh"}))
    assert current["version"] == 2
    stale_attempts = [
        ({"version": 1, "company": "Stale"}, {}),
        ({"company": "Stale"}, {"If-Match": '"1"'}),
        ({"company": "Stale"}, {"If-Match": 'W/"1"'}),
        ({"version": 3, "company": "Stale"}, {}),
    ]
    for body, headers in stale_attempts:
        response = await put(client, key, "leads", lead["id"], body, headers)
        conflict = assert_error(response, 409, "VERSION_CONFLICT")
        assert exact(response)["current"] == current, conflict
    assert await read(client, key, "leads", lead["id"]) == current


async def test_a_malformed_if_match_is_refused(client: Client, org: OrgSetup) -> None:
    key = org.crm_key
    lead = await create(client, key, "leads", {"name": "Asha"})
    for value in ("abc", '"one"', '"1", "2"', "-1"):
        response = await put(
            client, key, "leads", lead["id"], {"company": "X"}, {"If-Match": value}
        )
        assert_invalid(response, "If-Match")
        response = await remove(client, key, "leads", lead["id"], {"If-Match": value})
        assert_invalid(response, "If-Match")
    for version in ("1", 0, 1.0, True):
        response = await put(client, key, "leads", lead["id"], {"version": version, "title": "X"})
        assert_invalid(response, "version")
    assert await read(client, key, "leads", lead["id"]) == lead


async def test_concurrent_updates_of_one_version_let_exactly_one_win(
    app: Litestar, org: OrgSetup
) -> None:
    async with concurrent_client(app) as http:
        key = org.crm_key
        created = await http.post("/api/records/leads", json={"name": "Asha"}, headers=bearer(key))
        lead = created.json()
        responses = await asyncio.gather(
            *(
                http.put(
                    f"/api/records/leads/{lead['id']}",
                    json={"version": 1, "company": f"Writer {number}"},
                    headers=bearer(key),
                )
                for number in range(10)
            )
        )
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200] + [409] * 9, [r.text for r in responses]
        winner = next(r for r in responses if r.status_code == 200).json()
        loser = next(r for r in responses if r.status_code == 409).json()
        assert loser["code"] == "VERSION_CONFLICT"
        assert loser["current"]["version"] == 2
        final = (await http.get(f"/api/records/leads/{lead['id']}", headers=bearer(key))).json()
        assert final["version"] == 2
        assert final["company"] == winner["company"]


async def test_delete_with_a_stale_if_match_conflicts(client: Client, org: OrgSetup) -> None:
    key = org.crm_key
    lead = await create(client, key, "leads", {"name": "Asha"})
    current = exact(await put(client, key, "leads", lead["id"], {"company": "Fresh"}))
    response = await remove(client, key, "leads", lead["id"], {"If-Match": '"1"'})
    assert_error(response, 409, "VERSION_CONFLICT")
    assert exact(response)["current"] == current
    assert await read(client, key, "leads", lead["id"]) == current
    assert (await remove(client, key, "leads", lead["id"], {"If-Match": '"2"'})).status_code == 204
    assert_error(await fetch(client, key, "leads", lead["id"]), 404, "NOT_FOUND")


# --- 5. Organizations are isolated -----------------------------------------------------------


async def test_another_orgs_record_answers_like_a_missing_one(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    other = await make_org(db, peppers)
    theirs = [await create(client, other.crm_key, "leads", {"name": f"T{n}"}) for n in range(3)]
    target = theirs[-1]
    ours = await create(client, org.crm_key, "leads", {"name": "Ours"})
    assert ours["id"] < target["id"]
    missing = 999

    def same_answer(for_theirs: Response, for_missing: Response) -> None:
        assert for_theirs.status_code == for_missing.status_code == 404
        a, b = for_theirs.json(), for_missing.json()
        assert a["code"] == b["code"] == "NOT_FOUND"
        assert a["error"].replace(str(target["id"]), "N") == b["error"].replace(str(missing), "N")
        assert a["details"] == b["details"]

    key = org.crm_key
    same_answer(
        await fetch(client, key, "leads", target["id"]),
        await fetch(client, key, "leads", missing),
    )
    same_answer(
        await put(client, key, "leads", target["id"], {"name": "Hijacked"}),
        await put(client, key, "leads", missing, {"name": "Hijacked"}),
    )
    same_answer(
        await put(client, key, "leads", target["id"], {"version": 1, "name": "Hijacked"}),
        await put(client, key, "leads", missing, {"version": 1, "name": "Hijacked"}),
    )
    same_answer(
        await remove(client, key, "leads", target["id"]),
        await remove(client, key, "leads", missing),
    )
    assert await read(client, other.crm_key, "leads", target["id"]) == target
    assert await total(client, other.crm_key, "leads") == 3
    listing = (await client.get("/api/records/leads", headers=bearer(key))).json()
    assert [r["name"] for r in listing["data"]] == ["Ours"]
    assert listing["total"] == 1


# --- 6. Lookups and deleting referenced records ----------------------------------------------


async def test_a_referenced_account_cannot_be_deleted_until_its_contact_is_gone(
    client: Client, org: OrgSetup
) -> None:
    key = org.crm_key
    account = await create(client, key, "accounts", {"name": "Acme Pumps"})
    contact = await create(client, key, "contacts", {"name": "Asha", "account_id": account["id"]})
    assert contact["account_id"] == account["id"]
    deal = await create(client, key, "deals", {"name": "Pumps", "account_id": account["id"]})

    response = await remove(client, key, "accounts", account["id"])
    assert_error(response, 409, "CONFLICT")
    referrers = response.json()["referrers"]
    assert sorted(referrers, key=lambda r: r["module"]) == [
        {"module": "contacts", "id": contact["id"], "field": "account_id"},
        {"module": "deals", "id": deal["id"], "field": "account_id"},
    ]
    assert await read(client, key, "accounts", account["id"]) == account

    assert (await remove(client, key, "contacts", contact["id"])).status_code == 204
    response = await remove(client, key, "accounts", account["id"])
    assert response.json()["referrers"] == [
        {"module": "deals", "id": deal["id"], "field": "account_id"}
    ]
    # Clearing the lookup releases the account too.
    assert (await put(client, key, "deals", deal["id"], {"account_id": None})).status_code == 200
    assert (await remove(client, key, "accounts", account["id"])).status_code == 204
    assert_error(await fetch(client, key, "accounts", account["id"]), 404, "NOT_FOUND")


async def test_a_product_on_a_quote_line_cannot_be_deleted(client: Client, org: OrgSetup) -> None:
    key = org.crm_key
    product = await create(client, key, "products", {"name": "Pump", "unit_price": 100})
    line = {"product_id": product["id"], "quantity": 1, "list_price": 100}
    quote = await create(client, key, "quotes", {"subject": "Q", "items": [line]})
    assert quote["items"][0]["product_id"] == product["id"]

    response = await remove(client, key, "products", product["id"])
    assert_error(response, 409, "CONFLICT")
    assert response.json()["referrers"] == [
        {"module": "quotes", "id": quote["id"], "field": "items.product_id"}
    ]
    assert await read(client, key, "products", product["id"]) == product

    # Replacing the quote's lines with ones that name no product releases it.
    unlinked = {"items": [{"description": "Service", "quantity": 1, "list_price": 5}]}
    assert (await put(client, key, "quotes", quote["id"], unlinked)).status_code == 200
    assert (await remove(client, key, "products", product["id"])).status_code == 204


async def test_deleting_a_quote_releases_the_products_on_its_lines(
    client: Client, org: OrgSetup
) -> None:
    key = org.crm_key
    product = await create(client, key, "products", {"name": "Pump"})
    line = {"product_id": product["id"], "quantity": 2, "list_price": 10}
    quote = await create(client, key, "quotes", {"subject": "Q", "items": [line]})
    assert (await remove(client, key, "products", product["id"])).status_code == 409
    assert (await remove(client, key, "quotes", quote["id"])).status_code == 204
    assert (await remove(client, key, "products", product["id"])).status_code == 204


async def test_the_owner_must_be_a_member_of_the_organization(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    other = await make_org(db, peppers)
    member_id, _ = await make_member_key(db, peppers, org.org_id, "Standard")
    lead = await create(client, org.crm_key, "leads", {"name": "x", "owner": member_id})
    assert (lead["owner"], lead["created_by"]) == (member_id, org.owner_id)
    for owner in (other.owner_id, "mem_nobody", "", 5):
        response = await put(client, org.crm_key, "leads", lead["id"], {"owner": owner})
        assert_invalid(response, "owner")
    assert await read(client, org.crm_key, "leads", lead["id"]) == lead


# --- 9. Module descriptions ------------------------------------------------------------------


async def test_modules_are_described_with_their_fields_and_the_callers_permissions(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    response = await client.get("/api/modules", headers=bearer(org.crm_key))
    assert response.status_code == 200
    modules = response.json()["modules"]
    assert [m["module"] for m in modules] == list(MODULES)
    assert len(modules) == 21
    for described in modules:
        registry = MODULES[described["module"]]
        assert described["label"] == registry.label
        assert described["line_items"] == registry.line_items
        assert described["permissions"] == list(ACTIONS)
        assert [f["key"] for f in described["fields"]] == [f.key for f in registry.fields]
        for field, spec in zip(described["fields"], registry.fields, strict=True):
            assert field["label"] == spec.label
            assert field["type"] == spec.type
            assert field["required"] is spec.required
            assert field["custom"] is False
            assert field["read_only"] is spec.computed
            if spec.type in ("picklist", "multi_picklist"):
                assert field["options"] == list(spec.options)
                assert field["options"]
            if spec.type == "lookup":
                assert field["module"] == spec.target
                assert field["module"] in MODULES
        # The single module description agrees with the listing.
        single = await client.get(
            f"/api/modules/{described['module']}", headers=bearer(org.crm_key)
        )
        assert single.json() == described

    _, read_only = await make_member_key(db, peppers, org.org_id, "Read-only")
    _, standard = await make_member_key(db, peppers, org.org_id, "Standard")
    for key, expected in ((read_only, ["view"]), (standard, ["view", "create", "edit"])):
        described = (await client.get("/api/modules", headers=bearer(key))).json()["modules"]
        assert {m["module"]: m["permissions"] for m in described} == dict.fromkeys(
            MODULES, expected
        )


# --- 10. Role permissions --------------------------------------------------------------------


def assert_forbidden(response: Response, module: str, action: str) -> None:
    body = assert_error(response, 403, "FORBIDDEN")
    assert module in body["error"], body
    assert action in body["error"], body


async def test_read_only_keys_view_but_never_write(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    lead = await create(client, org.crm_key, "leads", {"name": "Asha"})
    _, key = await make_member_key(db, peppers, org.org_id, "Read-only")
    assert await read(client, key, "leads", lead["id"]) == lead
    assert await total(client, key, "leads") == 1
    assert_forbidden(
        await client.post("/api/records/leads", json={"name": "x"}, headers=bearer(key)),
        "leads",
        "create",
    )
    assert_forbidden(await put(client, key, "leads", lead["id"], {"name": "x"}), "leads", "edit")
    assert_forbidden(await remove(client, key, "leads", lead["id"]), "leads", "delete")
    assert await read(client, org.crm_key, "leads", lead["id"]) == lead
    assert await total(client, org.crm_key, "leads") == 1


async def test_standard_keys_create_and_edit_but_never_delete(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    member_id, key = await make_member_key(db, peppers, org.org_id, "Standard")
    lead = await create(client, key, "leads", {"name": "Asha"})
    assert lead["created_by"] == member_id
    assert lead["owner"] == member_id
    response = await put(client, key, "leads", lead["id"], {"company": "Acme"})
    assert response.status_code == 200
    assert_forbidden(await remove(client, key, "leads", lead["id"]), "leads", "delete")
    assert (await read(client, org.crm_key, "leads", lead["id"]))["company"] == "Acme"


async def test_a_role_change_takes_effect_on_the_next_request(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    _, standard = await make_member_key(db, peppers, org.org_id, "Standard")
    await create(client, standard, "leads", {"name": "Before"})

    response = await client.put(
        "/api/roles/Standard",
        json={"permissions": {"leads": ["view"]}},
        headers=bearer(org.crm_key),
    )
    assert response.status_code == 200, response.text
    role = response.json()
    assert role["name"] == "Standard"
    assert role["permissions"]["leads"] == ["view"]
    assert role["permissions"]["contacts"] == ["view", "create", "edit"]

    assert_forbidden(
        await client.post("/api/records/leads", json={"name": "After"}, headers=bearer(standard)),
        "leads",
        "create",
    )
    assert await total(client, standard, "leads") == 1  # still allowed to view
    await create(client, standard, "contacts", {"name": "Still fine"})
    described = (await client.get("/api/modules/leads", headers=bearer(standard))).json()
    assert described["permissions"] == ["view"]
    listed = (await client.get("/api/roles", headers=bearer(org.crm_key))).json()["roles"]
    assert next(r for r in listed if r["name"] == "Standard")["permissions"]["leads"] == ["view"]

    # Another organization's Standard role is its own.
    other = await make_org(db, peppers)
    _, theirs = await make_member_key(db, peppers, other.org_id, "Standard")
    await create(client, theirs, "leads", {"name": "Unaffected"})


async def test_only_admins_change_roles_and_never_the_admin_role(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    response = await client.get("/api/roles", headers=bearer(org.crm_key))
    assert response.status_code == 200
    roles = response.json()["roles"]
    assert sorted(r["name"] for r in roles) == ["Admin", "Manager", "Read-only", "Standard"]
    admin = next(r for r in roles if r["name"] == "Admin")
    assert admin["is_admin"] is True
    assert admin["permissions"] == {module: list(ACTIONS) for module in MODULES}

    for role in ("Manager", "Standard"):
        _, key = await make_member_key(db, peppers, org.org_id, role)
        response = await client.put(
            "/api/roles/Read-only",
            json={"permissions": {"leads": list(ACTIONS)}},
            headers=bearer(key),
        )
        assert_error(response, 403, "FORBIDDEN")
    response = await client.put(
        "/api/roles/Admin", json={"permissions": {"leads": ["view"]}}, headers=bearer(org.crm_key)
    )
    assert_error(response, 409, "CONFLICT")
    response = await client.put(  # the role is the path's resource: unknown is 404
        "/api/roles/Nobody", json={"permissions": {"leads": ["view"]}}, headers=bearer(org.crm_key)
    )
    assert_error(response, 404, "NOT_FOUND")
    for body in (
        {"permissions": {"widgets": ["view"]}},
        {"permissions": {"leads": ["fly"]}},
        {"permissions": {"leads": "view"}},
        {"permissions": ["leads"]},
        {"leads": ["view"]},
    ):
        response = await client.put("/api/roles/Standard", json=body, headers=bearer(org.crm_key))
        assert response.status_code == 400, (body, response.text)
    after = (await client.get("/api/roles", headers=bearer(org.crm_key))).json()["roles"]
    assert after == roles


async def test_ids_beyond_any_record_are_not_found(client: Client, org: OrgSetup) -> None:
    """Ids no record can have (beyond BIGINT, zero, negative) answer 404, never a database
    error, whether read, replaced or deleted (line-item modules read their lines too)."""
    key = org.crm_key
    for module in ("leads", "quotes"):
        for record_id in (2**63, 2**64 + 5, 0, -1):
            assert_error(await fetch(client, key, module, record_id), 404, "NOT_FOUND")
            path = f"/api/records/{module}/{record_id}"
            replaced = await client.put(path, json={"subject": "x"}, headers=bearer(key))
            assert_error(replaced, 404, "NOT_FOUND")
            assert_error(await client.delete(path, headers=bearer(key)), 404, "NOT_FOUND")
