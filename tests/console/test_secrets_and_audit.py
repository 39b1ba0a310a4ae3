"""Passwords and session ids are nowhere but in the browser: the database holds their hashes,
the logs neither. Signing in, failing to and signing out land in the audit log, the member as
the actor."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from finite.console.sessions import session_hash
from finite.kit.db import Database
from finite.models import AuditEntry, MemberCredential
from tests.console.helpers import (
    BROWSER,
    PASSWORD,
    SAME_ORIGIN,
    Client,
    login_form,
    make_console_member,
    post_form,
    sign_in,
)
from tests.database_dump import dump_database
from tests.factories import OrgSetup


async def test_no_password_or_session_id_is_stored_or_logged(
    client: Client,
    db: Database,
    org: OrgSetup,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    member = await make_console_member(db, org.org_id)
    await client.post(
        "/console/login",
        data=login_form(member.email, "a wrong password typed"),
        headers=SAME_ORIGIN,
    )
    signed = await sign_in(client, member.email)
    await client.get("/console/")

    dump = await dump_database(db, database_url)
    for secret in (PASSWORD, "a wrong password typed", signed.session_id):
        assert secret.encode() not in dump
        assert secret not in caplog.text
    assert session_hash(signed.session_id).encode() in dump
    async with db.read() as session:
        stored = await session.scalar(
            select(MemberCredential.password_hash).where(
                MemberCredential.member_id == member.member_id
            )
        )
    assert stored is not None
    assert stored.startswith("$argon2id$")


async def _rows(db: Database, client: Client, org_id: str) -> list[AuditEntry]:
    # The writer lives on the app's event loop (the test client's thread): flushed there.
    assert client.blocking_portal.call(client.app.state.platform.audit.flush)
    async with db.read() as session:
        query = (
            select(AuditEntry)
            .where(AuditEntry.org_id == org_id, AuditEntry.product == "console")
            .order_by(AuditEntry.occurred_at, AuditEntry.id)
        )
        return list((await session.scalars(query)).all())


async def test_signing_in_and_out_is_audited_with_the_member_as_actor(
    client: Client, db: Database, org: OrgSetup
) -> None:
    member = await make_console_member(db, org.org_id)
    await client.post(
        "/console/login",
        data=login_form(member.email, "not it at all"),
        headers={**SAME_ORIGIN, **BROWSER},
    )
    signed = await sign_in(client, member.email)
    await post_form(client, "/console/sessions/end-all", signed)
    signed = await sign_in(client, member.email)
    await post_form(client, "/console/logout", signed)

    rows = [row for row in await _rows(db, client, org.org_id) if row.member_id == member.member_id]
    assert [(row.action, row.status) for row in rows] == [
        ("sign_in_failed", 401),
        ("sign_in", 303),
        ("sign_out_everywhere", 303),
        ("sign_in", 303),
        ("sign_out", 303),
    ]
    for row in rows:
        assert row.key_id is None
        assert row.key_name is None
        assert row.module == "console"
        assert row.method == "POST"
        assert row.user_agent == BROWSER["User-Agent"]
        assert row.request_id
    assert rows[2].changes == {"sessionsEnded": 1}


async def test_a_failure_no_account_matched_is_audited_without_the_typed_email(
    client: Client, db: Database
) -> None:
    await client.post(
        "/console/login",
        data=login_form("typo-nobody@example.com", "some guess"),
        headers=SAME_ORIGIN,
    )
    rows = await _rows(db, client, "")
    assert rows
    last = rows[-1]
    assert (last.action, last.status, last.member_id) == ("sign_in_failed", 401, None)
    assert "typo-nobody" not in str(last.changes)
