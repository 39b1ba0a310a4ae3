"""Handover packs: built from the project type's template, read with masked credentials, edited
whole (PUT) or piece by piece; passwords are write-only and never leave as plain text — not in
an answer, a log line, an audit row or the database."""

from __future__ import annotations

import copy
import json
import logging
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from finite.config import Settings
from finite.handover.packs.credentials import TABLE, open_password
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.kit.secretbox import SecretBox, SecretBoxError, row_binding
from finite.models import AuditEntry, HandoverProject, PackCredential
from tests.database_dump import dump_database
from tests.factories import OrgSetup, bearer, make_handover_key
from tests.handover.factories import SEED_EXAMPLE

Client = AsyncTestClient[Litestar]
PASSWORD = "Tr0ub4dor&3-plaintext-probe"


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every logger at DEBUG into caplog, SQLAlchemy's included (caplog restores the levels)."""
    caplog.set_level(logging.DEBUG)
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger):
            caplog.set_level(logging.DEBUG, logger=name)
    return caplog


async def new_project(client: Client, key: str, **fields: Any) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/projects", json={**SEED_EXAMPLE, **fields}, headers=bearer(key)
    )
    assert response.status_code == 201, response.text
    project: dict[str, Any] = response.json()["data"]
    return project


async def pack_of(client: Client, key: str, project_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/projects/{project_id}/pack", headers=bearer(key))
    assert response.status_code == 200, response.text
    pack: dict[str, Any] = response.json()["data"]
    return pack


async def sealed(db: Database, credential_id: str) -> PackCredential:
    async with db.read() as session:
        row = await session.scalar(select(PackCredential).where(PackCredential.id == credential_id))
    assert row is not None
    return row


def box(settings: Settings) -> SecretBox:
    return SecretBox.from_secrets(settings.secret_key)


async def test_a_new_project_gets_the_pack_of_its_types_template(
    client: Client, org: OrgSetup
) -> None:
    project = await new_project(client, org.handover_key)
    pack = await pack_of(client, org.handover_key, project["id"])
    assert pack["id"] == project["packId"]
    assert pack["projectId"] == project["id"]
    assert pack["templateId"] == "template_builtin_web_design"
    assert pack["status"] == "draft"
    assert [s["kind"] for s in pack["sections"]] == [
        "access",
        "hosting",
        "training",
        "documentation",
        "support",
    ]
    assert all(s["id"].startswith("section_") for s in pack["sections"])
    training = pack["sections"][2]
    assert [i["kind"] for i in training["items"]] == ["training", "training"]
    assert all(i["sectionId"] == training["id"] for i in training["items"])
    assert [c["platform"] for c in pack["credentials"]] == [
        "Website admin",
        "Hosting control panel",
        "Domain registrar",
    ]
    assert all(c["password"] is None and c["hasPassword"] is False for c in pack["credentials"])
    assert pack["supportBoundary"]["durationDays"] == 30
    assert pack["supportBoundary"]["included"]
    assert pack["supportBoundary"]["excluded"]
    assert pack["scopeSummary"]
    assert pack["sendHistory"] == []


@pytest.mark.parametrize(
    ("project_type", "template_id"),
    [
        ("web-design", "template_builtin_web_design"),
        ("SEO", "template_builtin_seo"),
        ("Web Development", "template_builtin_web_development"),
        ("Branding", "template_builtin_branding"),
        ("app", "template_builtin_app"),
        ("Podcast production", "template_builtin_other"),
    ],
)
async def test_the_template_follows_the_project_type(
    client: Client, org: OrgSetup, project_type: str, template_id: str
) -> None:
    project = await new_project(client, org.handover_key, projectType=project_type)
    assert project["projectType"] == project_type
    pack = await pack_of(client, org.handover_key, project["id"])
    assert pack["templateId"] == template_id


async def test_passwords_are_masked_sealed_and_never_leave(
    client: Client,
    db: Database,
    org: OrgSetup,
    settings: Settings,
    peppers: Peppers,
    database_url: str,
    all_logs: pytest.LogCaptureFixture,
) -> None:
    key = org.handover_key
    project = await new_project(client, key)
    base = f"/api/v1/projects/{project['id']}/pack"
    bodies: list[str] = []

    added = await client.post(
        f"{base}/credentials",
        json={
            "platform": "WordPress",
            "url": "https://example.com/wp-admin",
            "username": "jane",
            "password": PASSWORD,
            "notes": "Owner account",
        },
        headers={**bearer(key), "Idempotency-Key": "cred-1"},
    )
    bodies.append(added.text)
    assert added.status_code == 201, added.text
    credential = added.json()["data"]
    assert credential["id"].startswith("cred_")
    assert credential["password"] == "••••••••"
    assert credential["hasPassword"] is True
    assert credential["username"] == "jane"
    replayed = await client.post(
        f"{base}/credentials",
        json={
            "platform": "WordPress",
            "url": "https://example.com/wp-admin",
            "username": "jane",
            "password": PASSWORD,
            "notes": "Owner account",
        },
        headers={**bearer(key), "Idempotency-Key": "cred-1"},
    )
    assert replayed.headers["Idempotent-Replayed"] == "true"
    bodies.append(replayed.text)

    pack = await pack_of(client, key, project["id"])
    bodies.append(json.dumps(pack, ensure_ascii=False))
    shown = next(c for c in pack["credentials"] if c["id"] == credential["id"])
    assert shown["password"] == "••••••••"
    assert len(pack["credentials"]) == 4  # the template's three, and this one

    # Refusals do not echo it either.
    too_long = await client.patch(
        f"{base}/credentials/{credential['id']}",
        json={"password": PASSWORD * 200},
        headers=bearer(key),
    )
    assert too_long.status_code == 400
    assert too_long.json()["error"]["details"][0]["field"] == "password"
    bodies.append(too_long.text)
    read_key = await make_handover_key(db, peppers, org.org_id, ("read",))
    forbidden = await client.post(
        f"{base}/credentials",
        json={"platform": "x", "password": PASSWORD},
        headers=bearer(read_key),
    )
    assert forbidden.status_code == 403
    bodies.append(forbidden.text)
    listed = await client.get("/api/v1/projects", headers=bearer(key))
    bodies.append(listed.text)

    for body in bodies:
        assert PASSWORD not in body

    # The database holds ciphertext bound to the row, opening only there.
    row = await sealed(db, credential["id"])
    assert row.password_sealed is not None
    assert PASSWORD.encode() not in row.password_sealed
    binding = row_binding(TABLE, org.org_id, row.id, "password")
    assert box(settings).open(row.password_sealed, binding) == PASSWORD
    with pytest.raises(SecretBoxError):
        box(settings).open(
            row.password_sealed, row_binding(TABLE, org.org_id, "cred_x", "password")
        )
    assert PASSWORD.encode() not in await dump_database(db, database_url)

    # Audit rows: the change is recorded, the password is not.
    client.blocking_portal.call(client.app.state.platform.audit.flush)
    async with db.read() as session:
        audit = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.org_id == org.org_id))
        )
    assert PASSWORD not in json.dumps([(a.path, a.changes) for a in audit], ensure_ascii=False)
    creation = next(
        a for a in audit if a.method == "POST" and a.path.endswith("/credentials") and a.changes
    )
    assert creation.module == "packs"
    assert creation.changes is not None
    assert creation.changes["password"] == {"before": None, "after": "[hidden]"}
    assert creation.changes["platform"] == {"before": None, "after": "WordPress"}

    assert PASSWORD not in all_logs.text
    assert all_logs.records, "the log capture saw nothing: the check above would prove nothing"


async def test_credential_patch_keeps_clears_or_replaces_the_password(
    client: Client, db: Database, org: OrgSetup, settings: Settings
) -> None:
    key = org.handover_key
    project = await new_project(client, key)
    base = f"/api/v1/projects/{project['id']}/pack/credentials"
    made = await client.post(
        base, json={"platform": "Hosting", "password": PASSWORD}, headers=bearer(key)
    )
    credential_id = made.json()["data"]["id"]
    original = (await sealed(db, credential_id)).password_sealed

    renamed = await client.patch(
        f"{base}/{credential_id}",
        json={"platform": "Hosting panel", "url": None},
        headers=bearer(key),
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["data"]["platform"] == "Hosting panel"
    assert renamed.json()["data"]["hasPassword"] is True
    assert (await sealed(db, credential_id)).password_sealed == original

    replaced = await client.patch(
        f"{base}/{credential_id}", json={"password": "new-secret-value"}, headers=bearer(key)
    )
    assert replaced.json()["data"]["password"] == "••••••••"
    row = await sealed(db, credential_id)
    assert row.password_sealed != original
    assert row.password_sealed is not None
    assert open_password(box(settings), row) == "new-secret-value"

    cleared = await client.patch(
        f"{base}/{credential_id}", json={"password": None}, headers=bearer(key)
    )
    assert cleared.json()["data"]["password"] is None
    assert cleared.json()["data"]["hasPassword"] is False
    assert (await sealed(db, credential_id)).password_sealed is None

    for body, field in (
        ({"platform": ""}, "platform"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"reveal": True}, "reveal"),
    ):
        refused = await client.patch(f"{base}/{credential_id}", json=body, headers=bearer(key))
        assert refused.status_code == 400, refused.text
        assert refused.json()["error"]["details"][0]["field"] == field

    deleted = await client.delete(f"{base}/{credential_id}", headers=bearer(key))
    assert deleted.status_code == 200
    assert deleted.json()["data"] == {"id": credential_id, "deleted": True}
    assert (await client.delete(f"{base}/{credential_id}", headers=bearer(key))).status_code == 404
    pack = await pack_of(client, key, project["id"])
    assert credential_id not in [c["id"] for c in pack["credentials"]]


def put_body(pack: dict[str, Any]) -> dict[str, Any]:
    """The pack as GET shows it, turned into a PUT body (ids kept, passwords not sent)."""
    pack = copy.deepcopy(pack)
    return {
        "scopeSummary": pack["scopeSummary"],
        "sections": [
            {
                "id": s["id"],
                "kind": s["kind"],
                "title": s["title"],
                "description": s["description"],
                "items": [
                    {k: i[k] for k in ("id", "kind", "title", "url", "description")}
                    for i in s["items"]
                ],
            }
            for s in pack["sections"]
        ],
        "credentials": [
            {k: c[k] for k in ("id", "platform", "url", "username", "notes")}
            for c in pack["credentials"]
        ],
        "supportBoundary": pack["supportBoundary"],
    }


async def test_put_replaces_the_whole_pack_and_keeps_unsent_passwords(
    client: Client, db: Database, org: OrgSetup, settings: Settings
) -> None:
    key = org.handover_key
    project = await new_project(client, key)
    path = f"/api/v1/projects/{project['id']}/pack"
    admin_login = (await pack_of(client, key, project["id"]))["credentials"][0]["id"]
    await client.patch(
        f"{path}/credentials/{admin_login}", json={"password": PASSWORD}, headers=bearer(key)
    )
    before = await pack_of(client, key, project["id"])
    sealed_before = (await sealed(db, admin_login)).password_sealed

    body = put_body(before)
    body["scopeSummary"] = "Only the marketing site."
    body["sections"] = [body["sections"][2], body["sections"][0]]  # training first, then access
    loom = {"kind": "link", "title": "Loom walkthrough", "url": "https://loom.com/share/abc"}
    body["sections"][0]["items"] = [*body["sections"][0]["items"][:1], loom]
    body["sections"].append({"kind": "custom", "title": "Analytics", "items": []})
    body["credentials"] = [
        body["credentials"][0],  # kept, no password sent: the password stays
        {"platform": "Analytics", "username": "jane", "password": "fresh-one"},
    ]
    body["supportBoundary"] = {"durationDays": 14, "included": ["Bug fixes"], "excluded": []}
    replaced = await client.put(path, json=body, headers=bearer(key))
    assert replaced.status_code == 200, replaced.text
    after = replaced.json()["data"]
    assert after == await pack_of(client, key, project["id"])
    assert after["scopeSummary"] == "Only the marketing site."
    assert [s["kind"] for s in after["sections"]] == ["training", "access", "custom"]
    assert after["sections"][0]["id"] == before["sections"][2]["id"]
    training_items = after["sections"][0]["items"]
    assert training_items[0]["id"] == before["sections"][2]["items"][0]["id"]
    assert training_items[1]["title"] == "Loom walkthrough"
    assert training_items[1]["id"].startswith("item_")
    assert after["sections"][2]["id"].startswith("section_")
    all_items = {i["id"] for s in after["sections"] for i in s["items"]}
    assert before["sections"][2]["items"][1]["id"] not in all_items  # not sent: removed
    assert [c["platform"] for c in after["credentials"]] == ["Website admin", "Analytics"]
    assert after["credentials"][0]["id"] == admin_login
    assert after["credentials"][0]["hasPassword"] is True
    assert (await sealed(db, admin_login)).password_sealed == sealed_before
    assert after["credentials"][1]["hasPassword"] is True
    assert after["supportBoundary"] == {
        "durationDays": 14,
        "included": ["Bug fixes"],
        "excluded": [],
    }
    async with db.read() as session:
        left = list(
            await session.scalars(
                select(PackCredential.id).where(PackCredential.pack_id == after["id"])
            )
        )
    assert sorted(left) == sorted(c["id"] for c in after["credentials"])
    assert "fresh-one" not in replaced.text

    # Sending the password explicitly as null clears it.
    body = put_body(after)
    body["credentials"][0]["password"] = None
    cleared = (await client.put(path, json=body, headers=bearer(key))).json()["data"]
    assert cleared["credentials"][0]["hasPassword"] is False
    assert cleared["credentials"][1]["hasPassword"] is True


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda b: b["credentials"][0].update(id="cred_not_ours"), "credentials[0].id"),
        (lambda b: b["sections"][1].update(id=b["sections"][0]["id"]), "sections[1].id"),
        (
            lambda b: b["sections"][0]["items"].append({"kind": "link"}),
            "sections[0].items[1].title",
        ),
        (lambda b: b["sections"][0]["items"][0].update(url="ftp://x"), "sections[0].items[0].url"),
        (lambda b: b["sections"][0].update(kind="misc"), "sections[0].kind"),
        (lambda b: b.pop("credentials"), "credentials"),
        (lambda b: b["supportBoundary"].update(durationDays=-1), "supportBoundary.durationDays"),
    ],
    ids=["foreign-credential", "repeated-section", "item-title", "url", "kind", "missing", "days"],
)
async def test_a_bad_put_names_the_field_and_changes_nothing(
    client: Client, org: OrgSetup, change: Any, field: str
) -> None:
    key = org.handover_key
    project = await new_project(client, key)
    before = await pack_of(client, key, project["id"])
    body = put_body(before)
    change(body)
    response = await client.put(
        f"/api/v1/projects/{project['id']}/pack", json=body, headers=bearer(key)
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert response.json()["error"]["details"][0]["field"] == field
    assert await pack_of(client, key, project["id"]) == before


async def test_items_are_added_moved_changed_and_removed_one_at_a_time(
    client: Client, org: OrgSetup
) -> None:
    key = org.handover_key
    project = await new_project(client, key)
    base = f"/api/v1/projects/{project['id']}/pack/items"
    pack = await pack_of(client, key, project["id"])
    access, docs = pack["sections"][0], pack["sections"][3]

    added = await client.post(
        base,
        json={
            "sectionId": docs["id"],
            "kind": "document",
            "title": "Brand guidelines PDF",
            "url": "https://drive.example.com/guidelines.pdf",
        },
        headers={**bearer(key), "Idempotency-Key": "item-1"},
    )
    assert added.status_code == 201, added.text
    item = added.json()["data"]
    assert item["id"].startswith("item_")
    pack = await pack_of(client, key, project["id"])
    assert pack["sections"][3]["items"][-1] == item

    moved = await client.patch(
        f"{base}/{item['id']}",
        json={"sectionId": access["id"], "title": "Guidelines"},
        headers=bearer(key),
    )
    assert moved.status_code == 200, moved.text
    pack = await pack_of(client, key, project["id"])
    assert pack["sections"][0]["items"][-1]["title"] == "Guidelines"
    assert item["id"] not in [i["id"] for i in pack["sections"][3]["items"]]

    for method, body, field in (
        ("POST", {"sectionId": "section_nope", "kind": "link", "title": "x"}, "sectionId"),
        ("POST", {"sectionId": docs["id"], "kind": "video", "title": "x"}, "kind"),
        (
            "POST",
            {"sectionId": docs["id"], "kind": "link", "title": "x", "url": "javascript:x"},
            "url",
        ),
        ("PATCH", {"sectionId": "section_nope"}, "sectionId"),
    ):
        path = base if method == "POST" else f"{base}/{item['id']}"
        refused = await client.request(method, path, json=body, headers=bearer(key))
        assert refused.status_code == 400, refused.text
        assert refused.json()["error"]["details"][0]["field"] == field

    removed = await client.delete(f"{base}/{item['id']}", headers=bearer(key))
    assert removed.json()["data"] == {"id": item["id"], "deleted": True}
    pack = await pack_of(client, key, project["id"])
    assert item["id"] not in {i["id"] for s in pack["sections"] for i in s["items"]}
    assert (
        await client.patch(f"{base}/{item['id']}", json={"title": "x"}, headers=bearer(key))
    ).status_code == 404


async def test_pack_edits_need_the_write_scope(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    project = await new_project(client, org.handover_key)
    read_key = await make_handover_key(db, peppers, org.org_id, ("read",))
    pack = await pack_of(client, read_key, project["id"])
    path = f"/api/v1/projects/{project['id']}/pack"
    for method, url, body in (
        ("PUT", path, put_body(pack)),
        ("POST", f"{path}/credentials", {"platform": "x"}),
        ("PATCH", f"{path}/credentials/{pack['credentials'][0]['id']}", {"platform": "x"}),
        ("DELETE", f"{path}/credentials/{pack['credentials'][0]['id']}", None),
        (
            "POST",
            f"{path}/items",
            {"sectionId": pack["sections"][0]["id"], "kind": "link", "title": "x"},
        ),
    ):
        response = await client.request(method, url, json=body, headers=bearer(read_key))
        assert response.status_code == 403, (method, url)
        assert response.json()["error"]["code"] == "FORBIDDEN"
    assert await pack_of(client, read_key, project["id"]) == pack


async def test_a_signed_off_pack_no_longer_changes(
    client: Client, db: Database, org: OrgSetup
) -> None:
    key = org.handover_key
    project = await new_project(client, key)
    pack = await pack_of(client, key, project["id"])
    async with db.transaction() as session:
        row = await session.get(HandoverProject, (org.org_id, project["id"]))
        assert row is not None
        row.status = "signed_off"
    path = f"/api/v1/projects/{project['id']}/pack"
    for method, url, body in (
        ("PUT", path, put_body(pack)),
        ("POST", f"{path}/credentials", {"platform": "x"}),
        ("PATCH", f"{path}/items/{pack['sections'][0]['items'][0]['id']}", {"title": "x"}),
    ):
        response = await client.request(method, url, json=body, headers=bearer(key))
        assert response.status_code == 409, (method, url, response.text)
        assert response.json()["error"]["code"] == "CONFLICT"
    after = await pack_of(client, key, project["id"])
    assert after["status"] == "signed_off"
    assert {**after, "status": "draft"} == pack
