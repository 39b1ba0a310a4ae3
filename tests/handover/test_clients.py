"""Handover clients: normalized emails unique per organization, search, paging, PATCH."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.factories import OrgSetup, bearer

Client = AsyncTestClient[Litestar]


async def make_client(client: Client, key: str, **body: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/clients", json=body, headers=bearer(key))
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()["data"]
    return made


async def test_a_client_is_created_with_its_email_normalized(client: Client, org: OrgSetup) -> None:
    made = await make_client(
        client, org.handover_key, name=" Jane Smith ", email="  Jane@Example.COM ", company="Acme"
    )
    assert made["id"].startswith("client_")
    assert made["name"] == "Jane Smith"
    assert made["email"] == "jane@example.com"
    assert made["company"] == "Acme"
    fetched = await client.get(f"/api/v1/clients/{made['id']}", headers=bearer(org.handover_key))
    assert fetched.json()["data"] == made

    duplicate = await client.post(
        "/api/v1/clients",
        json={"name": "Other Jane", "email": "JANE@example.com"},
        headers=bearer(org.handover_key),
    )
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["details"] == [
        {"field": "email", "message": "is already used by another client"}
    ]
    alias = await make_client(client, org.handover_key, name="Jane", email="jane+work@example.com")
    assert alias["id"] != made["id"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "A"}, "email"),
        ({"email": "a@example.com"}, "name"),
        ({"name": "A", "email": "nope"}, "email"),
        ({"name": "\t", "email": "a@example.com"}, "name"),
        ({"name": "A", "email": "a@example.com", "phone": "1"}, "phone"),
        ({"name": "A", "email": "a@example.com", "company": 5}, "company"),
    ],
)
async def test_client_validation_names_the_field(
    client: Client, org: OrgSetup, body: dict[str, Any], field: str
) -> None:
    response = await client.post("/api/v1/clients", json=body, headers=bearer(org.handover_key))
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert response.json()["error"]["details"][0]["field"] == field


async def test_patch_changes_only_what_is_sent_and_keeps_emails_unique(
    client: Client, org: OrgSetup
) -> None:
    key = org.handover_key
    jane = await make_client(client, key, name="Jane", email="jane@example.com", company="Acme")
    await make_client(client, key, name="Bob", email="bob@example.com")
    path = f"/api/v1/clients/{jane['id']}"

    renamed = (await client.patch(path, json={"name": "Jane S."}, headers=bearer(key))).json()
    assert renamed["data"]["name"] == "Jane S."
    assert renamed["data"]["email"] == "jane@example.com"
    assert renamed["data"]["company"] == "Acme"

    cleared = (await client.patch(path, json={"company": None}, headers=bearer(key))).json()
    assert cleared["data"]["company"] is None
    assert cleared["data"]["name"] == "Jane S."

    moved = (
        await client.patch(path, json={"email": " JS@Example.com"}, headers=bearer(key))
    ).json()
    assert moved["data"]["email"] == "js@example.com"

    taken = await client.patch(path, json={"email": "BOB@example.com"}, headers=bearer(key))
    assert taken.status_code == 409
    assert taken.json()["error"]["details"][0]["field"] == "email"
    for body, field in (({"name": None}, "name"), ({"email": "x"}, "email"), ({"id": "x"}, "id")):
        refused = await client.patch(path, json=body, headers=bearer(key))
        assert refused.status_code == 400, refused.text
        assert refused.json()["error"]["details"][0]["field"] == field
    final = (await client.get(path, headers=bearer(key))).json()["data"]
    assert (final["name"], final["email"], final["company"]) == ("Jane S.", "js@example.com", None)
    missing = await client.patch(
        "/api/v1/clients/client_nope", json={"name": "x"}, headers=bearer(key)
    )
    assert missing.status_code == 404


async def test_search_by_name_or_email_and_walk_the_pages(client: Client, org: OrgSetup) -> None:
    key = org.handover_key
    made = [
        await make_client(client, key, name=name, email=email)
        for name, email in [
            ("Jane Smith", "jane@smith.test"),
            ("John Doe", "jd@doe.test"),
            ("Ann Smithers", "ann@example.com"),
            ("Zed", "zed_smith@example.com"),
            ("Percent", "100%@example.com"),
        ]
    ]
    by_name = (await client.get("/api/v1/clients?search=SMITH", headers=bearer(key))).json()
    assert [c["name"] for c in by_name["data"]] == ["Zed", "Ann Smithers", "Jane Smith"]
    by_email = (await client.get("/api/v1/clients?search=doe.test", headers=bearer(key))).json()
    assert [c["name"] for c in by_email["data"]] == ["John Doe"]
    # LIKE wildcards are matched literally.
    literal = (await client.get("/api/v1/clients?search=_", headers=bearer(key))).json()
    assert [c["name"] for c in literal["data"]] == ["Zed"]
    percent = (await client.get("/api/v1/clients?search=%25", headers=bearer(key))).json()
    assert [c["name"] for c in percent["data"]] == ["Percent"]

    seen: list[str] = []
    cursor = None
    while True:
        url = "/api/v1/clients?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = (await client.get(url, headers=bearer(key))).json()
        assert len(page["data"]) <= 2
        seen.extend(c["id"] for c in page["data"])
        cursor = page["meta"]["nextCursor"]
        if cursor is None:
            assert page["meta"]["hasMore"] is False
            break
    assert seen == [c["id"] for c in reversed(made)]

    searched_pages = (
        await client.get("/api/v1/clients?search=smith&limit=2", headers=bearer(key))
    ).json()
    assert searched_pages["meta"]["hasMore"] is True
    rest = await client.get(
        f"/api/v1/clients?search=smith&limit=2&cursor={searched_pages['meta']['nextCursor']}",
        headers=bearer(key),
    )
    assert [c["name"] for c in rest.json()["data"]] == ["Jane Smith"]
