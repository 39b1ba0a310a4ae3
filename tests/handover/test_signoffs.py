"""Handover sign-offs (read side): recorded through the service with their hashes, read per
project and listed newest first; a signed-off project's pack stops counting as active."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from finite.handover.signoffs.service import SignoffInput, record_signoff
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.kit.errors import AppError
from tests.factories import OrgSetup, bearer, make_org

Client = AsyncTestClient[Litestar]
CONSENT = "I confirm I received the handover pack and accept the support boundary."


async def new_project(client: Client, key: str, name: str = "Site") -> dict[str, Any]:
    response = await client.post(
        "/api/v1/projects",
        json={
            "name": name,
            "clientName": "Jane",
            "clientEmail": "jane@example.com",
            "projectType": "SEO",
        },
        headers=bearer(key),
    )
    assert response.status_code == 201, response.text
    project: dict[str, Any] = response.json()["data"]
    return project


async def sign(db: Database, org_id: str, project_id: str, minutes_ago: int = 0) -> str:
    async with db.transaction() as session:
        row = await record_signoff(
            session,
            org_id,
            project_id,
            SignoffInput(
                name="Jane Smith",
                email="jane@example.com",
                signed_at=utcnow() - timedelta(minutes=minutes_ago),
                ip_address="203.0.113.7",
                user_agent="Mozilla/5.0 (test)",
                consent_text=CONSENT,
                consent_version="test-1",
                pack_snapshot=b'{"pack": "as the client saw it"}',
            ),
        )
    return row.id


async def test_a_project_signoff_is_read_with_its_hashes(
    client: Client, db: Database, org: OrgSetup
) -> None:
    key = org.handover_key
    project = await new_project(client, key)
    path = f"/api/v1/projects/{project['id']}/signoff"
    before = await client.get(path, headers=bearer(key))
    assert before.status_code == 404
    assert "not been signed off" in before.json()["error"]["message"]

    signoff_id = await sign(db, org.org_id, project["id"])
    response = await client.get(path, headers=bearer(key))
    assert response.status_code == 200, response.text
    signoff = response.json()["data"]
    assert signoff["id"] == signoff_id
    assert signoff_id.startswith("signoff_")
    assert signoff["projectId"] == project["id"]
    assert signoff["packId"] == project["packId"]
    assert signoff["name"] == "Jane Smith"
    assert signoff["email"] == "jane@example.com"
    assert signoff["signedAt"].endswith("Z")
    assert signoff["ipAddress"] == "203.0.113.7"
    assert signoff["userAgent"] == "Mozilla/5.0 (test)"
    assert signoff["consentText"] == CONSENT
    assert signoff["consentSha256"] == hashlib.sha256(CONSENT.encode()).hexdigest()
    assert signoff["packSha256"] == hashlib.sha256(b'{"pack": "as the client saw it"}').hexdigest()
    assert signoff["consentVersion"] == "test-1"
    assert len(signoff["certificateSha256"]) == 64
    assert signoff["verifyUrl"].endswith(f"/verify/{signoff['certificateSha256']}")
    assert signoff["certificateUrl"].endswith(f"/projects/{project['id']}/signoff/certificate.pdf")

    fetched = (await client.get(f"/api/v1/projects/{project['id']}", headers=bearer(key))).json()
    assert fetched["data"]["status"] == "signed_off"
    pack = (await client.get(f"/api/v1/projects/{project['id']}/pack", headers=bearer(key))).json()
    assert pack["data"]["status"] == "signed_off"

    with pytest.raises(AppError) as again:
        await sign(db, org.org_id, project["id"])
    assert again.value.code == "CONFLICT"


async def test_signoffs_are_listed_newest_first_page_by_page(
    client: Client, db: Database, org: OrgSetup
) -> None:
    key = org.handover_key
    ids = []
    for number in range(5):
        project = await new_project(client, key, f"P{number}")
        ids.append(await sign(db, org.org_id, project["id"]))
    seen: list[str] = []
    cursor = None
    while True:
        url = "/api/v1/signoffs?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = (await client.get(url, headers=bearer(key))).json()
        seen.extend(s["id"] for s in page["data"])
        cursor = page["meta"]["nextCursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))
    one = (
        await client.get(f"/api/v1/signoffs?projectId={project['id']}", headers=bearer(key))
    ).json()
    assert [s["id"] for s in one["data"]] == [ids[-1]]
    bad = await client.get("/api/v1/signoffs?cursor=%%%", headers=bearer(key))
    assert bad.status_code == 400
    assert bad.json()["error"]["details"][0]["field"] == "cursor"


async def test_another_orgs_signoffs_stay_hidden(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    other = await make_org(db, peppers)
    theirs = await new_project(client, other.handover_key)
    await sign(db, other.org_id, theirs["id"])
    listed = (await client.get("/api/v1/signoffs", headers=bearer(org.handover_key))).json()
    assert listed["data"] == []
    hidden = await client.get(
        f"/api/v1/projects/{theirs['id']}/signoff", headers=bearer(org.handover_key)
    )
    assert hidden.status_code == 404
    with pytest.raises(AppError) as refused:
        await sign(db, org.org_id, theirs["id"])
    assert refused.value.code == "NOT_FOUND"
