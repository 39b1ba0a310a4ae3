"""Handover projects: the seed's creation example, client reuse by email, clientId, scopes,
plan gating, the Free pack limit, idempotency, filters and paging, PATCH, tenancy."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from finite.core.accounts.service import PlanChoice
from finite.core.plans.catalog import HANDOVER_PLANS
from finite.core.plans.entitlement import Entitlement, entitlement_for
from finite.handover.clients import service as clients_service
from finite.handover.project_status import advance
from finite.handover.projects import service as projects_service
from finite.handover.projects.schemas import ProjectIn
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.kit.errors import AppError
from finite.models import HandoverClient, HandoverProject
from tests.factories import OrgSetup, bearer, make_handover_key, make_org
from tests.handover.factories import SEED_EXAMPLE

Client = AsyncTestClient[Litestar]


def handover_entitlement(plan: str) -> Entitlement:
    return entitlement_for("handover", plan, "active", None, None, None, utcnow())


def seed_input(name: str) -> ProjectIn:
    """The seed's example for the service, under another project name."""
    return ProjectIn(
        name=name,
        project_type=SEED_EXAMPLE["projectType"],
        client_name=SEED_EXAMPLE["clientName"],
        client_email=SEED_EXAMPLE["clientEmail"],
    )


async def create(client: Client, key: str, body: dict[str, Any], **headers: str) -> Any:
    response = await client.post("/api/v1/projects", json=body, headers={**bearer(key), **headers})
    assert response.status_code == 201, response.text
    return response.json()["data"]


async def client_rows(db: Database, org_id: str) -> list[HandoverClient]:
    async with db.read() as session:
        found = await session.scalars(select(HandoverClient).where(HandoverClient.org_id == org_id))
        return list(found)


async def project_count(db: Database, org_id: str) -> int:
    async with db.read() as session:
        total = await session.scalar(
            select(func.count())
            .select_from(HandoverProject)
            .where(HandoverProject.org_id == org_id)
        )
        return int(total or 0)


async def test_the_seed_example_creates_the_project_with_its_client(
    client: Client, org: OrgSetup
) -> None:
    response = await client.post(
        "/api/v1/projects", json=SEED_EXAMPLE, headers=bearer(org.handover_key)
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["error"] is None
    assert set(body["meta"]) == {"request_id", "timestamp"}
    project = body["data"]
    assert project["id"].startswith("project_")
    assert project["name"] == "Website closeout"
    assert project["projectType"] == "Web Design"
    assert project["launchDate"] == "2026-06-01"
    assert project["status"] == "draft"
    assert project["packId"].startswith("pack_")
    assert project["client"]["id"].startswith("client_")
    assert project["client"]["name"] == "Jane Smith"
    assert project["client"]["email"] == "jane@example.com"

    fetched = await client.get(
        f"/api/v1/projects/{project['id']}", headers=bearer(org.handover_key)
    )
    assert fetched.status_code == 200
    assert fetched.json()["data"] == project


async def test_the_same_email_in_another_case_reuses_the_client(
    client: Client, db: Database, org: OrgSetup
) -> None:
    first = await create(client, org.handover_key, SEED_EXAMPLE)
    second = await create(
        client,
        org.handover_key,
        {
            **SEED_EXAMPLE,
            "name": "Second",
            "clientName": "J. Smith",
            "clientEmail": "  JANE@Example.COM ",
        },
    )
    assert second["client"]["id"] == first["client"]["id"]
    assert second["client"]["name"] == "Jane Smith"  # the saved profile is not overwritten
    # A different alias is a different client, as the seed says.
    alias = await create(
        client, org.handover_key, {**SEED_EXAMPLE, "clientEmail": "jane+site@example.com"}
    )
    assert alias["client"]["id"] != first["client"]["id"]
    assert sorted(c.email for c in await client_rows(db, org.org_id)) == [
        "jane+site@example.com",
        "jane@example.com",
    ]


async def test_a_project_for_an_existing_client_by_client_id(
    client: Client, db: Database, org: OrgSetup
) -> None:
    made = await client.post(
        "/api/v1/clients",
        json={"name": "Acme Ltd", "email": "ops@acme.test"},
        headers=bearer(org.handover_key),
    )
    client_id = made.json()["data"]["id"]
    project = await create(
        client,
        org.handover_key,
        {"name": "Brand refresh", "clientId": client_id, "projectType": "Branding"},
    )
    assert project["client"]["id"] == client_id
    assert project["launchDate"] is None
    assert len(await client_rows(db, org.org_id)) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "projectType": "SEO"}, "clientId"),
        ({"name": "x", "projectType": "SEO", "clientName": "Jo"}, "clientEmail"),
        ({"name": "x", "projectType": "SEO", "clientEmail": "jo@example.com"}, "clientName"),
        ({**SEED_EXAMPLE, "clientId": "client_01jd3k0000000000000000000"}, "clientId"),
        ({**SEED_EXAMPLE, "clientEmail": "not-an-email"}, "clientEmail"),
        ({**SEED_EXAMPLE, "launchDate": "2026-13-01"}, "launchDate"),
        ({**SEED_EXAMPLE, "launchDate": "June 1st"}, "launchDate"),
        ({**SEED_EXAMPLE, "name": "   "}, "name"),
        ({**SEED_EXAMPLE, "name": "x" * 201}, "name"),
        ({**SEED_EXAMPLE, "projectType": ""}, "projectType"),
        ({**SEED_EXAMPLE, "projectType": "t" * 101}, "projectType"),
        ({**SEED_EXAMPLE, "colour": "red"}, "colour"),
        ({**SEED_EXAMPLE, "client_name": "snake"}, "client_name"),
        ({k: v for k, v in SEED_EXAMPLE.items() if k != "name"}, "name"),
        ({**SEED_EXAMPLE, "launchDate": 20260601}, "launchDate"),
    ],
)
async def test_validation_errors_name_the_field_and_create_nothing(
    client: Client, db: Database, org: OrgSetup, body: dict[str, Any], field: str
) -> None:
    response = await client.post("/api/v1/projects", json=body, headers=bearer(org.handover_key))
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert [d["field"] for d in error["details"]] == [field], error
    assert await project_count(db, org.org_id) == 0
    assert await client_rows(db, org.org_id) == []


async def test_another_orgs_client_id_is_not_found(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    other = await make_org(db, peppers)
    theirs = await create(client, other.handover_key, SEED_EXAMPLE)
    response = await client.post(
        "/api/v1/projects",
        json={"name": "x", "projectType": "SEO", "clientId": theirs["client"]["id"]},
        headers=bearer(org.handover_key),
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"
    assert response.json()["error"]["details"][0]["field"] == "clientId"


async def test_a_read_key_cannot_create_and_a_write_key_cannot_manage_templates(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    read_key = await make_handover_key(db, peppers, org.org_id, ("read",))
    response = await client.post("/api/v1/projects", json=SEED_EXAMPLE, headers=bearer(read_key))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FORBIDDEN"
    assert "'write'" in response.json()["error"]["message"]
    assert await project_count(db, org.org_id) == 0
    assert (await client.get("/api/v1/projects", headers=bearer(read_key))).status_code == 200

    write_key = await make_handover_key(db, peppers, org.org_id, ("write",))
    assert (await client.get("/api/v1/projects", headers=bearer(write_key))).status_code == 403
    await create(client, write_key, SEED_EXAMPLE)


@pytest.mark.parametrize(("plan", "allowed"), [("free", False), ("pro", False), ("agency", True)])
async def test_plan_gating_of_the_project_and_client_endpoints(
    client: Client, db: Database, peppers: Peppers, plan: str, allowed: bool
) -> None:
    org = await make_org(db, peppers, handover=PlanChoice(plan, "active"))
    calls = [
        ("GET", "/api/v1/clients", None),
        ("POST", "/api/v1/clients", {"name": "A", "email": "a@example.com"}),
        ("GET", "/api/v1/projects", None),
        ("POST", "/api/v1/projects", SEED_EXAMPLE),
        ("GET", "/api/v1/templates", None),
        ("GET", "/api/v1/signoffs", None),
    ]
    for method, path, body in calls:
        response = await client.request(method, path, json=body, headers=bearer(org.handover_key))
        if allowed:
            assert response.status_code in (200, 201), (path, response.text)
        else:
            assert response.status_code == 403, (plan, path)
            assert response.json()["error"]["code"] == "PLAN_LIMIT"
            assert response.json()["data"] is None


async def test_free_allows_three_active_packs_and_refuses_the_fourth(
    db: Database, peppers: Peppers
) -> None:
    org = await make_org(db, peppers, handover=PlanChoice("free", "active"))
    free = handover_entitlement("free")
    assert free.active_packs == HANDOVER_PLANS["free"].active_packs == 3
    for number in range(3):
        async with db.transaction() as session:
            await projects_service.create_project(
                session, org.org_id, free, seed_input(f"P{number}")
            )
    with pytest.raises(AppError) as refused:
        async with db.transaction() as session:
            await projects_service.create_project(session, org.org_id, free, seed_input("Fourth"))
    assert refused.value.code == "PLAN_LIMIT"
    assert "3 active packs" in refused.value.message
    assert await project_count(db, org.org_id) == 3
    # Signed-off projects no longer count: one sign-off frees a slot.
    async with db.transaction() as session:
        first = await session.scalar(
            select(HandoverProject).where(HandoverProject.org_id == org.org_id).limit(1)
        )
        assert first is not None
        first.status = "signed_off"
    async with db.transaction() as session:
        await projects_service.create_project(session, org.org_id, free, seed_input("Fourth"))
    assert await project_count(db, org.org_id) == 4


async def test_agency_has_no_active_pack_limit(client: Client, org: OrgSetup) -> None:
    for number in range(5):
        await create(client, org.handover_key, {**SEED_EXAMPLE, "name": f"P{number}"})
    listing = await client.get("/api/v1/projects?status=draft", headers=bearer(org.handover_key))
    assert len(listing.json()["data"]) == 5


async def test_a_retried_creation_returns_the_same_project_and_one_client(
    client: Client, db: Database, org: OrgSetup
) -> None:
    headers = {**bearer(org.handover_key), "Idempotency-Key": "create-jane-1"}
    first = await client.post("/api/v1/projects", json=SEED_EXAMPLE, headers=headers)
    again = await client.post("/api/v1/projects", json=SEED_EXAMPLE, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert again.content == first.content
    assert await project_count(db, org.org_id) == 1
    assert len(await client_rows(db, org.org_id)) == 1

    changed = await client.post(
        "/api/v1/projects", json={**SEED_EXAMPLE, "name": "Other"}, headers=headers
    )
    assert changed.status_code == 422
    assert changed.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert await project_count(db, org.org_id) == 1


async def test_concurrent_retries_under_one_key_act_once(
    client: Client, db: Database, org: OrgSetup
) -> None:
    headers = {**bearer(org.handover_key), "Idempotency-Key": "burst-1"}
    responses = await asyncio.gather(
        *(client.post("/api/v1/projects", json=SEED_EXAMPLE, headers=headers) for _ in range(5))
    )
    assert {r.status_code for r in responses} <= {201, 409}
    ids = {r.json()["data"]["id"] for r in responses if r.status_code == 201}
    assert len(ids) == 1
    assert await project_count(db, org.org_id) == 1


async def test_concurrent_creations_for_one_email_never_duplicate_the_client(
    client: Client, db: Database, org: OrgSetup
) -> None:
    responses = await asyncio.gather(
        *(
            client.post(
                "/api/v1/projects",
                json={**SEED_EXAMPLE, "name": f"P{n}", "clientEmail": "Race@Example.com"},
                headers=bearer(org.handover_key),
            )
            for n in range(6)
        )
    )
    assert [r.status_code for r in responses] == [201] * 6, [r.text for r in responses]
    assert len({r.json()["data"]["client"]["id"] for r in responses}) == 1
    assert len(await client_rows(db, org.org_id)) == 1


async def test_an_insert_losing_the_email_race_reuses_the_winners_client(
    db: Database, org: OrgSetup
) -> None:
    """The loser saw no client, then its insert met the winner's row: it must reuse it."""

    async def loser() -> clients_service.Found:
        async with db.transaction() as session:
            return await clients_service.find_or_create(
                session, org.org_id, "Late", "race@example.com", name_field="n", email_field="e"
            )

    async with db.transaction() as session:
        winner = await clients_service.find_or_create(
            session, org.org_id, "Early", "race@example.com", name_field="n", email_field="e"
        )
        task = asyncio.create_task(loser())
        await asyncio.sleep(0.3)  # PostgreSQL: the loser's insert now waits on the winner
    found = await task
    assert winner.created
    assert not found.created
    assert found.client.id == winner.client.id
    assert len(await client_rows(db, org.org_id)) == 1


async def test_list_filters_and_a_cursor_walk_newest_first(client: Client, org: OrgSetup) -> None:
    key = org.handover_key
    made = [
        await create(
            client,
            key,
            {
                **SEED_EXAMPLE,
                "name": f"P{n}",
                "projectType": "SEO" if n % 2 else "Web Design",
                "clientEmail": "a@example.com" if n < 4 else "b@example.com",
            },
        )
        for n in range(7)
    ]
    newest_first = [p["id"] for p in reversed(made)]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        query = "/api/v1/projects?limit=3" + (f"&cursor={cursor}" if cursor else "")
        body = (await client.get(query, headers=bearer(key))).json()
        seen.extend(p["id"] for p in body["data"])
        pages += 1
        assert body["meta"]["hasMore"] == (body["meta"]["nextCursor"] is not None)
        cursor = body["meta"]["nextCursor"]
        if cursor is None:
            break
    assert seen == newest_first
    assert pages == 3

    by_type = (await client.get("/api/v1/projects?projectType=seo", headers=bearer(key))).json()
    assert [p["id"] for p in by_type["data"]] == [
        p["id"] for p in reversed(made) if p["projectType"] == "SEO"
    ]
    b_client = made[-1]["client"]["id"]
    by_client = (
        await client.get(f"/api/v1/projects?clientId={b_client}", headers=bearer(key))
    ).json()
    assert [p["id"] for p in by_client["data"]] == newest_first[:3]
    drafts = (
        await client.get("/api/v1/projects?status=draft&limit=100", headers=bearer(key))
    ).json()
    assert len(drafts["data"]) == 7
    signed = (await client.get("/api/v1/projects?status=signed_off", headers=bearer(key))).json()
    assert signed["data"] == []
    assert signed["meta"]["hasMore"] is False


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=many", "limit"),
        ("cursor=nonsense", "cursor"),
        ("cursor=Y2xpZW50XzAxamQzazAwMDAwMDAwMDAwMDAwMDAwMDA", "cursor"),  # a client cursor
        ("status=finished", "status"),
    ],
)
async def test_bad_paging_and_filters_are_400_naming_the_parameter(
    client: Client, org: OrgSetup, query: str, field: str
) -> None:
    response = await client.get(f"/api/v1/projects?{query}", headers=bearer(org.handover_key))
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"][0]["field"] == field


async def test_patch_changes_only_the_fields_sent(client: Client, org: OrgSetup) -> None:
    key = org.handover_key
    project = await create(client, key, SEED_EXAMPLE)
    path = f"/api/v1/projects/{project['id']}"
    renamed = await client.patch(path, json={"name": "Renamed"}, headers=bearer(key))
    assert renamed.status_code == 200, renamed.text
    data = renamed.json()["data"]
    assert data["name"] == "Renamed"
    assert data["launchDate"] == "2026-06-01"
    assert data["projectType"] == "Web Design"
    assert data["updatedAt"] > project["updatedAt"]

    cleared = (await client.patch(path, json={"launchDate": None}, headers=bearer(key))).json()
    assert cleared["data"]["launchDate"] is None
    assert cleared["data"]["name"] == "Renamed"

    other = await client.post(
        "/api/v1/clients", json={"name": "Bob", "email": "bob@example.com"}, headers=bearer(key)
    )
    moved = await client.patch(
        path, json={"clientId": other.json()["data"]["id"]}, headers=bearer(key)
    )
    assert moved.json()["data"]["client"]["email"] == "bob@example.com"

    for body, field in (
        ({"status": "signed_off"}, "status"),
        ({"name": ""}, "name"),
        ({"launchDate": "soon"}, "launchDate"),
        ({"clientId": None}, "clientId"),
    ):
        refused = await client.patch(path, json=body, headers=bearer(key))
        assert refused.status_code == 400, (body, refused.text)
        assert refused.json()["error"]["details"][0]["field"] == field
    unknown_client = await client.patch(path, json={"clientId": "client_nope"}, headers=bearer(key))
    assert unknown_client.status_code == 404
    final = (await client.get(path, headers=bearer(key))).json()["data"]
    assert final["name"] == "Renamed"
    assert final["status"] == "draft"


async def test_another_orgs_ids_answer_404_on_every_id_route(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    other = await make_org(db, peppers)
    theirs = await create(client, other.handover_key, SEED_EXAMPLE)
    pack = (
        await client.get(
            f"/api/v1/projects/{theirs['id']}/pack", headers=bearer(other.handover_key)
        )
    ).json()["data"]
    credential = pack["credentials"][0]["id"]
    item = pack["sections"][0]["items"][0]["id"]
    template = await client.post(
        "/api/v1/templates",
        json={"name": "Theirs", "projectType": "Theirs"},
        headers=bearer(other.handover_key),
    )
    template_id = template.json()["data"]["id"]
    project = f"/api/v1/projects/{theirs['id']}"
    calls: list[tuple[str, str, Any]] = [
        ("GET", f"/api/v1/clients/{theirs['client']['id']}", None),
        ("PATCH", f"/api/v1/clients/{theirs['client']['id']}", {"name": "Mine"}),
        ("GET", project, None),
        ("PATCH", project, {"name": "Mine"}),
        ("GET", f"{project}/pack", None),
        (
            "PUT",
            f"{project}/pack",
            {"scopeSummary": "", "sections": [], "credentials": [], "supportBoundary": {}},
        ),
        ("POST", f"{project}/pack/credentials", {"platform": "X"}),
        ("PATCH", f"{project}/pack/credentials/{credential}", {"platform": "X"}),
        ("DELETE", f"{project}/pack/credentials/{credential}", None),
        (
            "POST",
            f"{project}/pack/items",
            {"sectionId": pack["sections"][0]["id"], "kind": "link", "title": "X"},
        ),
        ("PATCH", f"{project}/pack/items/{item}", {"title": "X"}),
        ("DELETE", f"{project}/pack/items/{item}", None),
        ("GET", f"{project}/signoff", None),
        ("GET", f"/api/v1/templates/{template_id}", None),
        ("PATCH", f"/api/v1/templates/{template_id}", {"name": "Mine"}),
        ("DELETE", f"/api/v1/templates/{template_id}", None),
    ]
    for method, path, body in calls:
        response = await client.request(method, path, json=body, headers=bearer(org.handover_key))
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["error"]["code"] == "NOT_FOUND"
    # Nothing of theirs changed.
    after = await client.get(f"{project}/pack", headers=bearer(other.handover_key))
    assert after.json()["data"] == pack


def test_the_status_only_moves_forward() -> None:
    project = HandoverProject(status="draft", updated_at=utcnow())
    assert advance(project, "pack_sent", utcnow())
    assert advance(project, "viewed", utcnow())
    assert not advance(project, "pack_sent", utcnow())  # sent again: still viewed
    assert project.status == "viewed"
    assert advance(project, "signed_off", utcnow())
    assert not advance(project, "draft", utcnow())
    assert project.status == "signed_off"
