"""Sending a pack (POST /api/v1/projects/:id/pack/send): a link for each recipient, mailed
after the commit through a real SMTP server (aiosmtpd), the project moved to `pack_sent`, the
mail's progress in the pack's send history; sending again replaces the links. Bad input,
a read-only key, a signed-off project and another organization's project change nothing."""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, update

from finite.config import Settings
from finite.core.mail.worker import MailWorker
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.kit.mail.smtp_url import parse_smtp_url
from finite.kit.mail.transports import SmtpTransport
from finite.kit.secretbox import SecretBox
from finite.models import HandoverProject, OutgoingMail, PackLink, PackSend
from tests.database_dump import dump_database
from tests.factories import OrgSetup, bearer, make_handover_key, make_org
from tests.handover.factories import SEED_EXAMPLE
from tests.mail_server import Accepted, MailServer, running_mail_server

pytestmark = pytest.mark.usefixtures("quiet_mail")

Client = AsyncTestClient[Litestar]
PUBLIC_URL = "https://handover.agency.example"
LINK = re.compile(re.escape(PUBLIC_URL) + r"/p/(pk_[A-Za-z0-9_-]{43})")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, public_url=PUBLIC_URL, mail_from="Finite <send@finite.example>")


@pytest.fixture
def smtp() -> MailServer:  # type: ignore[misc]
    with running_mail_server("none") as server:
        yield server


def token_in(accepted: Accepted) -> str:
    text = accepted.message().get_body(("plain",))
    assert text is not None
    match = LINK.search(text.get_content())
    assert match is not None
    return match.group(1)


async def deliver(db: Database, settings: Settings, smtp: MailServer) -> None:
    """What the mail worker does after the commit, once."""
    worker = MailWorker(
        db,
        SecretBox.from_secrets(settings.secret_key),
        SmtpTransport(parse_smtp_url(smtp.url())),
    )
    await worker.run_once()


async def new_project(client: Client, key: str) -> str:
    answer = await client.post("/api/v1/projects", json=SEED_EXAMPLE, headers=bearer(key))
    assert answer.status_code == 201, answer.text
    return str(answer.json()["data"]["id"])


async def send(client: Client, key: str, project_id: str, **body: Any) -> Any:
    return await client.post(
        f"/api/v1/projects/{project_id}/pack/send", json=body, headers=bearer(key)
    )


async def history(client: Client, key: str, project_id: str) -> list[dict[str, Any]]:
    answer = await client.get(f"/api/v1/projects/{project_id}/pack", headers=bearer(key))
    assert answer.status_code == 200, answer.text
    return list(answer.json()["data"]["sendHistory"])


async def counts(db: Database, org_id: str) -> tuple[int, int, int]:
    """Sends, links and mails of the organization."""
    async with db.read() as session:
        found = []
        for table in (PackSend, PackLink, OutgoingMail):
            found.append(
                await session.scalar(
                    select(func.count()).select_from(table).where(table.org_id == org_id)
                )
            )
    return found[0] or 0, found[1] or 0, found[2] or 0


async def test_the_client_gets_a_mail_with_a_link_of_their_own(
    client: Client, org: OrgSetup, db: Database, settings: Settings, smtp: MailServer
) -> None:
    project_id = await new_project(client, org.handover_key)
    answer = await send(
        client, org.handover_key, project_id, personalMessage="<b>Ready</b> & waiting for you"
    )

    assert answer.status_code == 200, answer.text
    sent = answer.json()["data"]
    assert sent["projectId"] == project_id
    assert sent["status"] == "pack_sent"
    (entry,) = sent["sends"]
    assert entry["recipientEmail"] == "jane@example.com"
    assert entry["mailStatus"] == "queued"
    assert not entry["linkReplaced"]
    expires = datetime.fromisoformat(entry["linkExpiresAt"])
    assert abs(expires - (utcnow() + timedelta(days=30))) < timedelta(minutes=1)
    assert smtp.accepted == []  # nothing leaves before the worker runs

    await deliver(db, settings, smtp)
    (accepted,) = smtp.accepted
    message = accepted.message()
    assert accepted.recipients == ["jane@example.com"]
    assert message["From"] == "Finite <send@finite.example>"
    assert message["Subject"] == "Your handover pack for Website closeout"
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None
    assert html is not None
    match = LINK.search(text.get_content())
    assert match is not None
    token = match.group(1)
    assert f'href="{PUBLIC_URL}/p/{token}"' in html.get_content()
    assert "Hello Jane Smith" in text.get_content()
    assert "<b>Ready</b> & waiting for you" in text.get_content()
    assert "&lt;b&gt;Ready&lt;/b&gt; &amp; waiting for you" in html.get_content()
    assert "<b>Ready" not in html.get_content()

    (shown,) = await history(client, org.handover_key, project_id)
    assert shown["mailStatus"] == "sent"
    assert shown["deliveredAt"] is not None
    assert shown["mailError"] is None
    async with db.read() as session:
        link = await session.scalar(select(PackLink).where(PackLink.org_id == org.org_id))
    assert link is not None
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token.encode() not in await dump_database(db, settings.database_url)


async def test_sending_again_replaces_the_earlier_link(
    client: Client, org: OrgSetup, db: Database, settings: Settings, smtp: MailServer
) -> None:
    project_id = await new_project(client, org.handover_key)
    bodiless = await client.post(  # no body at all: every default
        f"/api/v1/projects/{project_id}/pack/send", headers=bearer(org.handover_key)
    )
    assert bodiless.status_code == 200, bodiless.text
    second = await send(client, org.handover_key, project_id, linkExpiresInDays=7)
    assert second.status_code == 200, second.text
    await deliver(db, settings, smtp)

    newer, older = await history(client, org.handover_key, project_id)
    assert (newer["linkReplaced"], older["linkReplaced"]) == (False, True)
    assert datetime.fromisoformat(newer["linkExpiresAt"]) < datetime.fromisoformat(
        older["linkExpiresAt"]
    )
    assert len({token_in(item) for item in smtp.accepted}) == 2


async def test_recipients_of_ones_choosing_and_every_bad_one_named(
    client: Client, org: OrgSetup, db: Database, settings: Settings, smtp: MailServer
) -> None:
    project_id = await new_project(client, org.handover_key)
    refused = await send(
        client,
        org.handover_key,
        project_id,
        recipients=["owner@client.example", "not an address", "also@bad"],
    )
    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert {problem["field"] for problem in error["details"]} == {"recipients[1]", "recipients[2]"}
    assert await counts(db, org.org_id) == (0, 0, 0)

    chosen = await send(
        client,
        org.handover_key,
        project_id,
        recipients=["Owner@Client.example", "it@client.example", "owner@client.example"],
    )
    assert chosen.status_code == 200, chosen.text
    assert [entry["recipientEmail"] for entry in chosen.json()["data"]["sends"]] == [
        "owner@client.example",
        "it@client.example",
    ]
    await deliver(db, settings, smtp)
    assert sorted(item.recipients[0] for item in smtp.accepted) == [
        "it@client.example",
        "owner@client.example",
    ]
    assert len({token_in(item) for item in smtp.accepted}) == 2  # one link each


async def test_a_read_key_cannot_send(
    client: Client, org: OrgSetup, db: Database, peppers: Peppers
) -> None:
    project_id = await new_project(client, org.handover_key)
    reader = await make_handover_key(db, peppers, org.org_id, ("read",))
    refused = await send(client, reader, project_id)
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["code"] == "FORBIDDEN"
    assert await counts(db, org.org_id) == (0, 0, 0)


async def test_a_signed_off_project_is_not_sent_again(
    client: Client, org: OrgSetup, db: Database
) -> None:
    project_id = await new_project(client, org.handover_key)
    async with db.transaction() as session:
        await session.execute(
            update(HandoverProject)
            .where(HandoverProject.org_id == org.org_id, HandoverProject.id == project_id)
            .values(status="signed_off")
        )
    refused = await send(client, org.handover_key, project_id)
    assert refused.status_code == 409, refused.text
    assert await counts(db, org.org_id) == (0, 0, 0)


async def test_another_organizations_project_is_not_found(
    client: Client, org: OrgSetup, db: Database, peppers: Peppers
) -> None:
    other = await make_org(db, peppers)
    project_id = await new_project(client, other.handover_key)
    refused = await send(client, org.handover_key, project_id)
    assert refused.status_code == 404, refused.text
    assert await counts(db, other.org_id) == (0, 0, 0)
    assert await counts(db, org.org_id) == (0, 0, 0)


async def test_an_idempotency_key_sends_once(client: Client, org: OrgSetup, db: Database) -> None:
    project_id = await new_project(client, org.handover_key)
    headers = {**bearer(org.handover_key), "Idempotency-Key": "send-once-1"}
    url = f"/api/v1/projects/{project_id}/pack/send"
    first = await client.post(url, json={}, headers=headers)
    again = await client.post(url, json={}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json()["data"] == first.json()["data"]
    assert await counts(db, org.org_id) == (1, 1, 1)
