"""Handover writes name every bad field with its reason in one answer, not only the first one
met, and change nothing: the body's shape (types, required and unknown fields) and the values'
rules (emails, titles, URLs, ids of this pack) alike."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.factories import OrgSetup, bearer
from tests.handover.factories import SEED_EXAMPLE

Client = AsyncTestClient[Litestar]
CONTROL = "bad\x07name"


def problems_of(response: Any) -> dict[str, str]:
    """Each field the 400 VALIDATION_ERROR names, with its reason."""
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert response.json()["meta"]["request_id"]
    named = {detail["field"]: detail["message"] for detail in error["details"]}
    assert len(named) == len(error["details"]), "each field once"
    return named


async def listed(client: Client, key: str, path: str) -> list[Any]:
    response = await client.get(path, headers=bearer(key))
    assert response.status_code == 200, response.text
    found: list[Any] = response.json()["data"]
    return found


async def test_a_client_with_several_bad_fields(client: Client, org: OrgSetup) -> None:
    key = org.handover_key
    values = {"name": "\t", "email": "nope", "company": CONTROL}
    response = await client.post("/api/v1/clients", json=values, headers=bearer(key))
    assert set(problems_of(response)) == {"name", "email", "company"}
    shapes = {"name": 5, "company": ["Acme"], "phone": "1"}
    response = await client.post("/api/v1/clients", json=shapes, headers=bearer(key))
    named = problems_of(response)
    assert set(named) == {"name", "email", "company", "phone"}
    assert named["email"] == "is required"
    assert named["phone"] == "is not a known field"
    assert await listed(client, key, "/api/v1/clients") == []

    made = await client.post(
        "/api/v1/clients", json={"name": "Jane", "email": "jane@example.com"}, headers=bearer(key)
    )
    path = f"/api/v1/clients/{made.json()['data']['id']}"
    response = await client.patch(path, json=values, headers=bearer(key))
    assert set(problems_of(response)) == {"name", "email", "company"}
    assert (await client.get(path, headers=bearer(key))).json()["data"] == made.json()["data"]


async def test_a_project_with_several_bad_fields(client: Client, org: OrgSetup) -> None:
    key = org.handover_key
    body = {**SEED_EXAMPLE, "name": 5, "launchDate": "soon", "x": 1}
    response = await client.post("/api/v1/projects", json=body, headers=bearer(key))
    assert set(problems_of(response)) == {"name", "launchDate", "x"}
    body = {**SEED_EXAMPLE, "name": " ", "projectType": " ", "clientEmail": "jane@"}
    body["clientCompany"] = CONTROL
    response = await client.post("/api/v1/projects", json=body, headers=bearer(key))
    named = problems_of(response)
    assert set(named) == {"name", "projectType", "clientEmail", "clientCompany"}
    assert await listed(client, key, "/api/v1/projects") == []
    assert await listed(client, key, "/api/v1/clients") == []


async def test_a_template_with_several_bad_fields(client: Client, org: OrgSetup) -> None:
    key = org.handover_key
    before = await listed(client, key, "/api/v1/templates")
    body = {
        "name": " ",
        "projectType": "Web Design",
        "scopeSummary": CONTROL,
        "sections": [
            {"kind": "access", "title": " ", "items": [{"kind": "link", "title": "a", "url": "x"}]}
        ],
        "credentials": [{"platform": " ", "url": "ftp://example.com"}],
        "supportBoundary": {"durationDays": 30, "included": ["ok", CONTROL]},
    }
    response = await client.post("/api/v1/templates", json=body, headers=bearer(key))
    assert set(problems_of(response)) == {
        "name",
        "scopeSummary",
        "sections[0].title",
        "sections[0].items[0].url",
        "credentials[0].platform",
        "credentials[0].url",
        "supportBoundary.included[1]",
    }
    shapes = {**body, "sections": [{"kind": "lobby"}], "credentials": [{"password": "no"}]}
    response = await client.post("/api/v1/templates", json=shapes, headers=bearer(key))
    assert {
        "sections[0].kind",
        "sections[0].title",
        "credentials[0].platform",
        "credentials[0].password",
    } <= set(problems_of(response))
    assert await listed(client, key, "/api/v1/templates") == before


async def test_pack_writes_with_several_bad_fields(client: Client, org: OrgSetup) -> None:
    key = org.handover_key
    created = await client.post("/api/v1/projects", json=SEED_EXAMPLE, headers=bearer(key))
    base = f"/api/v1/projects/{created.json()['data']['id']}/pack"
    before = (await client.get(base, headers=bearer(key))).json()["data"]

    item = {"sectionId": "section_nope", "kind": "link", "title": " ", "url": "javascript:x"}
    response = await client.post(f"{base}/items", json=item, headers=bearer(key))
    assert set(problems_of(response)) == {"sectionId", "title", "url"}
    credential = {"platform": " ", "url": "ftp://example.com", "notes": CONTROL}
    response = await client.post(f"{base}/credentials", json=credential, headers=bearer(key))
    assert set(problems_of(response)) == {"platform", "url", "notes"}

    section = before["sections"][0]
    put = {
        "scopeSummary": CONTROL,
        "sections": [
            {"id": "section_nope", "kind": section["kind"], "title": " "},
            {
                "kind": "access",
                "title": "ok",
                "items": [{"kind": "link", "title": " ", "url": "x"}],
            },
        ],
        "credentials": [{"platform": " ", "url": "ftp://example.com"}],
        "supportBoundary": before["supportBoundary"],
    }
    response = await client.put(base, json=put, headers=bearer(key))
    assert set(problems_of(response)) == {
        "scopeSummary",
        "sections[0].id",
        "sections[0].title",
        "sections[1].items[0].title",
        "sections[1].items[0].url",
        "credentials[0].platform",
        "credentials[0].url",
    }
    assert (await client.get(base, headers=bearer(key))).json()["data"] == before


async def test_links_and_emails_with_control_characters_or_a_broken_host_are_bad_fields(
    client: Client, org: OrgSetup
) -> None:
    """`http://[` made urlsplit raise (a 500) and control characters inside an email or a link
    were taken; each is a bad field now."""
    key = org.handover_key
    for email in ("jane@exa\x07mple.com", "ja\x85ne@example.com", "jane@example.c\x7fom"):
        response = await client.post(
            "/api/v1/clients", json={"name": "Jane", "email": email}, headers=bearer(key)
        )
        assert problems_of(response) == {"email": "must be a valid email address"}
    templates = await listed(client, key, "/api/v1/templates")
    bad_links = ("http://[", "https://example.com/a\x15b", "http://[nope]/")
    credentials = [{"platform": "Host", "url": url} for url in bad_links]
    response = await client.post(
        "/api/v1/templates",
        json={"name": "Links", "projectType": "Links", "credentials": credentials},
        headers=bearer(key),
    )
    assert set(problems_of(response)) == {f"credentials[{n}].url" for n in range(len(bad_links))}
    assert await listed(client, key, "/api/v1/templates") == templates
