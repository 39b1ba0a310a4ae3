"""Handover templates: built-ins per project type, read-only; custom ones with the admin scope,
which new projects of their type start from."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from tests.factories import OrgSetup, bearer, make_handover_key

Client = AsyncTestClient[Litestar]
CUSTOM = {
    "name": "Our web design handover",
    "projectType": "Web Design",
    "scopeSummary": "A five-page marketing site.",
    "sections": [
        {
            "kind": "access",
            "title": "Logins",
            "items": [{"kind": "link", "title": "CMS", "url": "https://cms.example.com"}],
        },
        {"kind": "training", "title": "Videos", "description": "Watch these first."},
    ],
    "credentials": [{"platform": "Webflow", "notes": "Transfer the site to the client."}],
    "supportBoundary": {"durationDays": 45, "included": ["Bug fixes"], "excluded": ["Redesigns"]},
}


async def templates(client: Client, key: str) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/templates", headers=bearer(key))
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["data"]
    return found


async def test_built_in_templates_cover_the_common_project_types(
    client: Client, org: OrgSetup
) -> None:
    found = await templates(client, org.handover_key)
    assert [t["projectType"] for t in found] == [
        "Web Design",
        "Web Development",
        "Branding",
        "SEO",
        "App",
        "Other",
    ]
    for template in found:
        assert template["builtIn"] is True
        assert template["id"].startswith("template_builtin_")
        assert template["createdAt"] is None
        kinds = [s["kind"] for s in template["sections"]]
        assert kinds == ["access", "hosting", "training", "documentation", "support"]
        assert template["supportBoundary"]["durationDays"] > 0
    one = await client.get(
        "/api/v1/templates/template_builtin_seo", headers=bearer(org.handover_key)
    )
    assert one.json()["data"]["projectType"] == "SEO"


async def test_custom_templates_are_managed_with_the_admin_scope(
    client: Client, org: OrgSetup
) -> None:
    key = org.handover_key
    created = await client.post("/api/v1/templates", json=CUSTOM, headers=bearer(key))
    assert created.status_code == 201, created.text
    template = created.json()["data"]
    assert template["id"].startswith("template_")
    assert template["builtIn"] is False
    assert template["sections"][1]["items"] == []
    assert template["supportBoundary"]["durationDays"] == 45
    assert template["id"] in [t["id"] for t in await templates(client, key)]

    # New Web Design projects now start from it.
    project = await client.post(
        "/api/v1/projects",
        json={
            "name": "Site",
            "clientName": "Jo",
            "clientEmail": "jo@example.com",
            "projectType": "web design",
        },
        headers=bearer(key),
    )
    pack = (
        await client.get(
            f"/api/v1/projects/{project.json()['data']['id']}/pack", headers=bearer(key)
        )
    ).json()["data"]
    assert pack["templateId"] == template["id"]
    assert pack["scopeSummary"] == "A five-page marketing site."
    assert [s["title"] for s in pack["sections"]] == ["Logins", "Videos"]
    assert pack["sections"][0]["items"][0]["url"] == "https://cms.example.com"
    assert [c["platform"] for c in pack["credentials"]] == ["Webflow"]
    assert pack["supportBoundary"] == CUSTOM["supportBoundary"]

    path = f"/api/v1/templates/{template['id']}"
    patched = await client.patch(
        path, json={"name": "Renamed", "sections": []}, headers=bearer(key)
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["data"]["name"] == "Renamed"
    assert patched.json()["data"]["sections"] == []
    assert patched.json()["data"]["scopeSummary"] == "A five-page marketing site."
    # The pack made earlier is a copy: it does not change.
    again = await client.get(f"/api/v1/projects/{pack['projectId']}/pack", headers=bearer(key))
    assert [s["title"] for s in again.json()["data"]["sections"]] == ["Logins", "Videos"]

    duplicate = await client.post(
        "/api/v1/templates", json={**CUSTOM, "projectType": "WEB-DESIGN"}, headers=bearer(key)
    )
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["details"][0]["field"] == "projectType"

    deleted = await client.delete(path, headers=bearer(key))
    assert deleted.status_code == 200
    assert deleted.json()["data"] == {"id": template["id"], "deleted": True}
    assert (await client.get(path, headers=bearer(key))).status_code == 404
    assert template["id"] not in [t["id"] for t in await templates(client, key)]


async def test_built_in_templates_cannot_be_changed(client: Client, org: OrgSetup) -> None:
    path = "/api/v1/templates/template_builtin_web_design"
    for method, body in (("PATCH", {"name": "Mine"}), ("DELETE", None)):
        response = await client.request(method, path, json=body, headers=bearer(org.handover_key))
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "CONFLICT"
        assert "custom template" in response.json()["error"]["message"]
    found = await client.get(path, headers=bearer(org.handover_key))
    assert found.json()["data"]["name"] == "Web Design handover"


async def test_read_and_write_keys_cannot_manage_templates(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    created = await client.post("/api/v1/templates", json=CUSTOM, headers=bearer(org.handover_key))
    path = f"/api/v1/templates/{created.json()['data']['id']}"
    for scopes in (("read",), ("read", "write")):
        key = await make_handover_key(db, peppers, org.org_id, scopes)
        assert len(await templates(client, key)) == 7
        for method, url, body in (
            ("POST", "/api/v1/templates", {**CUSTOM, "projectType": "SEO"}),
            ("PATCH", path, {"name": "x"}),
            ("DELETE", path, None),
        ):
            response = await client.request(method, url, json=body, headers=bearer(key))
            assert response.status_code == 403, (scopes, method)
            assert response.json()["error"]["code"] == "FORBIDDEN"
            assert "'admin'" in response.json()["error"]["message"]
    assert (await client.get(path, headers=bearer(org.handover_key))).json()["data"][
        "name"
    ] == CUSTOM["name"]


async def test_template_validation_names_the_field(client: Client, org: OrgSetup) -> None:
    cases = [
        ({**CUSTOM, "projectType": "  "}, "projectType"),
        ({**CUSTOM, "name": ""}, "name"),
        ({**CUSTOM, "sections": [{"kind": "access"}]}, "sections[0].title"),
        ({**CUSTOM, "sections": [{"kind": "lobby", "title": "x"}]}, "sections[0].kind"),
        (
            {
                **CUSTOM,
                "sections": [
                    {
                        "kind": "access",
                        "title": "x",
                        "items": [{"kind": "link", "title": "a", "url": "data:text/html,x"}],
                    }
                ],
            },
            "sections[0].items[0].url",
        ),
        (
            {**CUSTOM, "credentials": [{"platform": "x", "password": "no"}]},
            "credentials[0].password",
        ),
        ({**CUSTOM, "supportBoundary": {"durationDays": 99999}}, "supportBoundary.durationDays"),
    ]
    for body, field in cases:
        response = await client.post(
            "/api/v1/templates", json=body, headers=bearer(org.handover_key)
        )
        assert response.status_code == 400, (field, response.text)
        assert response.json()["error"]["details"][0]["field"] == field
    assert len(await templates(client, org.handover_key)) == 6
