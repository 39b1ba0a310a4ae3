"""Zapier actions (POST /api/v1/zapier/actions/create-project and /send-pack): the seed's
snake_case fields, one object with an `id` in the envelope, 4xx naming every bad field in
snake_case, another organization's project not found, the write scope, the plans (Free none,
Pro these but not the rest of the API, Agency all) and Idempotency-Key."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from finite.config import Settings
from finite.core.accounts.service import PlanChoice
from finite.core.mail.worker import MailWorker
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.kit.mail.smtp_url import parse_smtp_url
from finite.kit.mail.transports import SmtpTransport
from finite.kit.secretbox import SecretBox
from finite.models import HandoverClient, HandoverProject, PackSend
from tests.factories import OrgSetup, bearer, make_handover_key, make_org
from tests.mail_server import MailServer, running_mail_server

pytestmark = pytest.mark.usefixtures("quiet_mail")

Client = AsyncTestClient[Litestar]
CREATE = "/api/v1/zapier/actions/create-project"
SEND = "/api/v1/zapier/actions/send-pack"
PUBLIC_URL = "https://handover.agency.example"
LINK = re.compile(re.escape(PUBLIC_URL) + r"/p/pk_[A-Za-z0-9_-]{43}")
# The seed's example ("API and Integrations", Zapier endpoints).
SEED_PROJECT = {
    "project_name": "Website closeout",
    "client_name": "Jane Smith",
    "client_email": "jane@example.com",
    "project_type": "Web Design",
    "launch_date": "2026-06-01",
}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, public_url=PUBLIC_URL, mail_from="Finite <send@finite.example>")


@pytest.fixture
def smtp() -> MailServer:  # type: ignore[misc]
    with running_mail_server("none") as server:
        yield server


async def create(client: Client, key: str, body: Any, **headers: str) -> Any:
    return await client.post(CREATE, json=body, headers={**bearer(key), **headers})


async def created_id(client: Client, key: str, body: Any = None) -> str:
    answer = await create(client, key, body or SEED_PROJECT)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["data"]["id"])


async def count(db: Database, table: Any, org_id: str) -> int:
    async with db.read() as session:
        found = await session.scalar(
            select(func.count()).select_from(table).where(table.org_id == org_id)
        )
    return found or 0


async def test_create_project_answers_one_object_with_an_id(client: Client, org: OrgSetup) -> None:
    answer = await create(client, org.handover_key, SEED_PROJECT)

    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["error"] is None
    assert set(body["meta"]) == {"request_id", "timestamp"}
    made = body["data"]
    assert made["id"].startswith("project_")
    assert made["name"] == "Website closeout"
    assert made["project_type"] == "Web Design"
    assert made["launch_date"] == "2026-06-01"
    assert made["status"] == "draft"
    assert (made["client_name"], made["client_email"]) == ("Jane Smith", "jane@example.com")
    shown = await client.get(f"/api/v1/projects/{made['id']}", headers=bearer(org.handover_key))
    assert shown.json()["data"]["client"]["id"] == made["client_id"]
    assert shown.json()["data"]["packId"] == made["pack_id"]


async def test_the_client_is_reused_by_normalized_email_or_named_by_id(
    client: Client, org: OrgSetup, db: Database
) -> None:
    first = await create(client, org.handover_key, SEED_PROJECT)
    again = await create(
        client,
        org.handover_key,
        {**SEED_PROJECT, "project_name": "Phase 2", "client_email": " JANE@Example.com "},
    )
    client_id = first.json()["data"]["client_id"]
    by_id = await create(
        client,
        org.handover_key,
        {"project_name": "Phase 3", "project_type": "SEO", "client_id": client_id},
    )

    assert (again.status_code, by_id.status_code) == (201, 201), (again.text, by_id.text)
    assert again.json()["data"]["client_id"] == client_id
    assert by_id.json()["data"]["client_id"] == client_id
    assert await count(db, HandoverClient, org.org_id) == 1
    assert await count(db, HandoverProject, org.org_id) == 3


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"project_name", "project_type"}),
        ({"project_name": "X", "project_type": "SEO"}, {"client_id"}),
        (
            {"project_name": " ", "project_type": "\u0007", "client_email": "a@b.example"},
            {"project_name", "project_type", "client_name"},
        ),
        (
            {**SEED_PROJECT, "client_email": "not an address", "project_name": "  "},
            {"client_email", "project_name"},
        ),
        ({**SEED_PROJECT, "client_id": "client_x"}, {"client_id"}),
        ({**SEED_PROJECT, "launch_date": "June 1st"}, {"launch_date"}),
        (
            {**SEED_PROJECT, "project_name": "x" * 201, "client_name": 5},
            {"project_name", "client_name"},
        ),
        ({**SEED_PROJECT, "name": "camelCase is not the Zapier API"}, {"name"}),
        ({"project_name": "X", "project_type": "SEO", "client_id": "client_nobody"}, {"client_id"}),
    ],
)
async def test_every_bad_field_is_named_in_snake_case(
    client: Client, org: OrgSetup, db: Database, body: Any, fields: set[str]
) -> None:
    answer = await create(client, org.handover_key, body)

    assert 400 <= answer.status_code < 500, answer.text
    error = answer.json()["error"]
    assert answer.json()["data"] is None
    named = {detail["field"] for detail in error["details"]}
    assert fields <= named, error
    assert not re.search(r"\b(clientId|clientName|clientEmail|projectType)\b", answer.text)
    assert await count(db, HandoverProject, org.org_id) == 0


async def test_send_pack_queues_the_mail_the_client_receives(
    client: Client, org: OrgSetup, db: Database, settings: Settings, smtp: MailServer
) -> None:
    project_id = await created_id(client, org.handover_key)
    answer = await client.post(
        SEND,
        json={"project_id": project_id, "personal_message": "The handover pack is ready."},
        headers=bearer(org.handover_key),
    )

    assert answer.status_code == 200, answer.text
    sent = answer.json()["data"]
    assert sent["id"].startswith("send_")
    assert (sent["project_id"], sent["status"]) == (project_id, "pack_sent")
    assert (sent["recipient_email"], sent["mail_status"]) == ("jane@example.com", "queued")
    assert sent["personal_message"] == "The handover pack is ready."
    assert smtp.accepted == []

    worker = MailWorker(
        db, SecretBox.from_secrets(settings.secret_key), SmtpTransport(parse_smtp_url(smtp.url()))
    )
    await worker.run_once()
    (accepted,) = smtp.accepted
    assert accepted.recipients == ["jane@example.com"]
    text = accepted.message().get_body(("plain",))
    assert text is not None
    assert "The handover pack is ready." in text.get_content()
    assert LINK.search(text.get_content())
    pack = await client.get(f"/api/v1/projects/{project_id}/pack", headers=bearer(org.handover_key))
    (shown,) = pack.json()["data"]["sendHistory"]
    assert (shown["id"], shown["mailStatus"]) == (sent["id"], "sent")


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"project_id"}),
        ({"project_id": ""}, {"project_id"}),
        ({"project_id": "project_x", "personal_message": 5}, {"personal_message"}),
        ({"project_id": "project_x", "personal_message": "x" * 2001}, {"personal_message"}),
        ({"project_id": "project_x", "personalMessage": "camel"}, {"personalMessage"}),
    ],
)
async def test_send_pack_names_bad_fields_in_snake_case(
    client: Client, org: OrgSetup, body: Any, fields: set[str]
) -> None:
    answer = await client.post(SEND, json=body, headers=bearer(org.handover_key))

    assert answer.status_code == 400, answer.text
    assert fields <= {detail["field"] for detail in answer.json()["error"]["details"]}


async def test_a_bad_personal_message_is_named_after_the_services_check(
    client: Client, org: OrgSetup, db: Database
) -> None:
    project_id = await created_id(client, org.handover_key)
    answer = await client.post(
        SEND,
        json={"project_id": project_id, "personal_message": "bell \u0007 inside"},
        headers=bearer(org.handover_key),
    )

    assert answer.status_code == 400, answer.text
    assert [d["field"] for d in answer.json()["error"]["details"]] == ["personal_message"]
    assert answer.json()["error"]["message"].startswith("personal_message: ")
    assert await count(db, PackSend, org.org_id) == 0


async def test_another_organizations_project_is_not_found(
    client: Client, org: OrgSetup, db: Database, peppers: Peppers, smtp: MailServer
) -> None:
    other = await make_org(db, peppers)
    theirs = await created_id(client, other.handover_key)

    answer = await client.post(SEND, json={"project_id": theirs}, headers=bearer(org.handover_key))
    unknown = await client.post(
        SEND, json={"project_id": "project_nobody"}, headers=bearer(org.handover_key)
    )

    assert (answer.status_code, unknown.status_code) == (404, 404)
    assert answer.json()["error"] == unknown.json()["error"]
    assert await count(db, PackSend, other.org_id) == 0


async def test_a_read_key_can_neither_create_nor_send(
    client: Client, org: OrgSetup, db: Database, peppers: Peppers
) -> None:
    project_id = await created_id(client, org.handover_key)
    read_key = await make_handover_key(db, peppers, org.org_id, ("read",))

    made = await create(client, read_key, SEED_PROJECT)
    sent = await client.post(SEND, json={"project_id": project_id}, headers=bearer(read_key))

    for answer in (made, sent):
        assert answer.status_code == 403, answer.text
        assert answer.json()["error"]["code"] == "FORBIDDEN"
        assert "write" in answer.json()["error"]["message"]
    assert await count(db, HandoverProject, org.org_id) == 1
    assert await count(db, PackSend, org.org_id) == 0


async def test_the_free_plan_has_no_zapier(client: Client, db: Database, peppers: Peppers) -> None:
    free = await make_org(db, peppers, handover=PlanChoice("free"))

    made = await create(client, free.handover_key, SEED_PROJECT)
    sent = await client.post(
        SEND, json={"project_id": "project_x"}, headers=bearer(free.handover_key)
    )

    for answer in (made, sent):
        assert answer.status_code == 403, answer.text
        assert answer.json()["data"] is None
        assert answer.json()["error"]["code"] == "PLAN_LIMIT"
    assert await count(db, HandoverProject, free.org_id) == 0


async def test_pro_has_zapier_but_not_the_rest_of_the_api(
    client: Client, db: Database, peppers: Peppers, smtp: MailServer
) -> None:
    pro = await make_org(db, peppers, handover=PlanChoice("pro"))

    project_id = await created_id(client, pro.handover_key)
    sent = await client.post(
        SEND, json={"project_id": project_id}, headers=bearer(pro.handover_key)
    )
    assert sent.status_code == 200, sent.text
    for path in ("/api/v1/clients", "/api/v1/projects", f"/api/v1/projects/{project_id}"):
        refused = await client.get(path, headers=bearer(pro.handover_key))
        assert refused.status_code == 403, path
        assert refused.json()["error"]["code"] == "PLAN_LIMIT"
    rest = await client.post(
        "/api/v1/projects",
        json={"name": "X", "projectType": "SEO", "clientName": "A", "clientEmail": "a@b.example"},
        headers=bearer(pro.handover_key),
    )
    assert rest.json()["error"]["code"] == "PLAN_LIMIT"


async def test_agency_has_zapier_and_the_rest(client: Client, org: OrgSetup) -> None:
    project_id = await created_id(client, org.handover_key)
    listed = await client.get("/api/v1/projects", headers=bearer(org.handover_key))
    assert listed.status_code == 200
    assert [p["id"] for p in listed.json()["data"]] == [project_id]


async def test_idempotency_key_creates_once_and_replays_the_answer(
    client: Client, org: OrgSetup, db: Database, smtp: MailServer
) -> None:
    first = await create(client, org.handover_key, SEED_PROJECT, **{"Idempotency-Key": "zap-1"})
    retry = await create(client, org.handover_key, SEED_PROJECT, **{"Idempotency-Key": "zap-1"})
    changed = await create(
        client,
        org.handover_key,
        {**SEED_PROJECT, "project_name": "Other"},
        **{"Idempotency-Key": "zap-1"},
    )

    assert (first.status_code, retry.status_code, changed.status_code) == (201, 201, 422)
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json()["data"] == first.json()["data"]
    assert await count(db, HandoverProject, org.org_id) == 1

    body = {"project_id": first.json()["data"]["id"]}
    headers = {**bearer(org.handover_key), "Idempotency-Key": "zap-send"}
    sent = await client.post(SEND, json=body, headers=headers)
    resent = await client.post(SEND, json=body, headers=headers)
    assert (sent.status_code, resent.status_code) == (200, 200)
    assert resent.json()["data"]["id"] == sent.json()["data"]["id"]
    assert await count(db, PackSend, org.org_id) == 1
