"""Reveal (POST /p/{token}/credentials/{id}/reveal): one password, only from the page itself,
only this pack's credentials, rate-limited per link, each reveal audited with the client's IP
and user agent, and the password itself in no log, audit row or database row."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from finite.config import Settings
from finite.kit.db import Database
from finite.models import AuditEntry, Event
from tests.database_dump import dump_database
from tests.factories import OrgSetup, make_org
from tests.handover.client_page.helpers import (
    BROWSER,
    PASSWORD,
    SAME_ORIGIN,
    Client,
    sent_pack,
)
from tests.handover.factories import SEED_EXAMPLE

pytestmark = pytest.mark.usefixtures("quiet_mail")


async def test_reveal_answers_the_password_and_audits_it(
    client: Client,
    org: OrgSetup,
    db: Database,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    sent = await sent_pack(client, db, settings, org.handover_key)
    answer = await client.post(sent.reveal(), headers={**SAME_ORIGIN, **BROWSER})

    assert answer.status_code == 200, answer.text
    assert answer.json() == {"password": PASSWORD}
    assert answer.headers["cache-control"] == "no-store"
    async with db.read() as session:
        (entry,) = await session.scalars(
            select(AuditEntry).where(
                AuditEntry.org_id == org.org_id, AuditEntry.action == "credential.revealed"
            )
        )
    assert entry.product == "handover"
    assert entry.user_agent == "Mozilla/5.0 (client-page test)"
    assert entry.client_ip  # the test client's address
    assert entry.occurred_at is not None
    assert entry.changes is not None
    assert entry.changes["credentialId"] == sent.credential_id
    assert sent.token not in entry.path
    async with db.read() as session:
        (event,) = await session.scalars(
            select(Event).where(Event.org_id == org.org_id, Event.event == "credential.revealed")
        )
    assert event.subject_id == sent.project_id
    assert event.data["credentialId"] == sent.credential_id
    assert PASSWORD not in str(event.data)

    dump = await dump_database(db, settings.database_url)
    assert PASSWORD.encode() not in dump
    assert sent.token.encode() not in dump
    server_logs = "\n".join(
        record.getMessage() for record in caplog.records if not record.name.startswith("httpx")
    )  # the test's own HTTP client logs the addresses it asks for; the server's lines count
    assert "finite.mail" in {record.name for record in caplog.records}
    assert PASSWORD not in server_logs
    assert sent.token not in server_logs


async def test_another_packs_credential_is_not_found(
    client: Client, org: OrgSetup, db: Database, settings: Settings, peppers: object
) -> None:
    sent = await sent_pack(client, db, settings, org.handover_key)
    other_org = await make_org(db, peppers)  # type: ignore[arg-type]
    theirs = await sent_pack(
        client, db, settings, other_org.handover_key, {**SEED_EXAMPLE, "name": "Theirs"}
    )
    mine_again = await sent_pack(
        client, db, settings, org.handover_key, {**SEED_EXAMPLE, "name": "Mine too"}
    )

    for credential_id in (theirs.credential_id, mine_again.credential_id, "cred_unknown"):
        answer = await client.post(sent.reveal(credential_id), headers=SAME_ORIGIN)
        assert answer.status_code == 404, answer.text
        assert PASSWORD not in answer.text


async def test_reveals_are_rate_limited_per_link(
    client: Client, org: OrgSetup, db: Database, settings: Settings
) -> None:
    sent = await sent_pack(client, db, settings, org.handover_key)
    other = await sent_pack(
        client, db, settings, org.handover_key, {**SEED_EXAMPLE, "name": "Another"}
    )
    for _ in range(10):
        assert (await client.post(sent.reveal(), headers=SAME_ORIGIN)).status_code == 200
    refused = await client.post(sent.reveal(), headers=SAME_ORIGIN)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert "password" not in refused.json()
    # Another link has a window of its own.
    assert (await client.post(other.reveal(), headers=SAME_ORIGIN)).status_code == 200


async def test_a_reveal_from_another_site_or_by_get_is_refused(
    client: Client, org: OrgSetup, db: Database, settings: Settings
) -> None:
    sent = await sent_pack(client, db, settings, org.handover_key)
    for headers in (
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {},
    ):
        answer = await client.post(sent.reveal(), headers=headers)
        assert answer.status_code == 403, headers
        assert PASSWORD not in answer.text
    own_origin = await client.post(sent.reveal(), headers={"Origin": "http://testserver.local"})
    assert own_origin.status_code == 200
    assert (await client.get(sent.reveal())).status_code == 405


async def test_reveal_on_a_dead_link_is_refused(
    client: Client, org: OrgSetup, db: Database, settings: Settings
) -> None:
    sent = await sent_pack(client, db, settings, org.handover_key)
    unknown = await client.post(
        f"/p/pk_{'B' * 43}/credentials/{sent.credential_id}/reveal", headers=SAME_ORIGIN
    )
    assert unknown.status_code == 404
    await client.post(
        f"/api/v1/projects/{sent.project_id}/pack/send",
        json={},
        headers={"Authorization": f"Bearer {org.handover_key}"},
    )
    assert (await client.post(sent.reveal(), headers=SAME_ORIGIN)).status_code == 410
