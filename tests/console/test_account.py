"""The account page: changing the password (the current one first; the other sessions end),
the member's sessions (each can be ended), every form behind the CSRF token, and each change
audited with the member as actor."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from finite.console.sessions import session_hash
from finite.kit.db import Database
from finite.models import AuditEntry, MemberTotp
from finite.platform.state import Platform
from tests.console.helpers import (
    BROWSER,
    PASSWORD,
    SAME_ORIGIN,
    Client,
    SignedIn,
    make_console_member,
    post_form,
    sign_in,
)
from tests.console.totp_steps import code_at, turn_on_totp
from tests.factories import OrgSetup

NEW_PASSWORD = "a much newer passphrase"


async def _signed_in_as(client: Client, signed: SignedIn) -> bool:
    answer = await client.get("/console/", headers=signed.cookie, follow_redirects=False)
    return answer.status_code == 200


async def _actions(client: Client, db: Database, org_id: str, member_id: str) -> list[str]:
    platform = client.app.state.platform
    assert isinstance(platform, Platform)
    assert client.blocking_portal.call(platform.audit.flush)
    async with db.read() as session:
        query = (
            select(AuditEntry.action)
            .where(
                AuditEntry.org_id == org_id,
                AuditEntry.member_id == member_id,
                AuditEntry.module == "account",
            )
            .order_by(AuditEntry.occurred_at, AuditEntry.id)
        )
        return [action or "" for action in (await session.scalars(query)).all()]


async def test_changing_the_password_ends_the_other_sessions(
    client: Client, db: Database, org: OrgSetup
) -> None:
    member = await make_console_member(db, org.org_id)
    other = await sign_in(client, member.email)
    this = await sign_in(client, member.email)
    changed = await post_form(
        client,
        "/console/account/password",
        this,
        {
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "new_password_again": NEW_PASSWORD,
        },
    )
    assert changed.status_code == 303, changed.text
    assert changed.headers["location"] == "/console/account?done=password-changed"
    fresh = changed.cookies.get("finite_console")
    assert fresh
    assert fresh != this.session_id
    assert not await _signed_in_as(client, other)
    assert not await _signed_in_as(client, this)
    page = await client.get(
        changed.headers["location"], headers={"Cookie": f"finite_console={fresh}"}
    )
    assert page.status_code == 200
    assert "Your other sessions are signed out." in page.text

    client.cookies.clear()
    refused = await client.post(
        "/console/login",
        data={"email": member.email, "password": PASSWORD},
        headers={**SAME_ORIGIN, **BROWSER},
        follow_redirects=False,
    )
    assert refused.status_code == 401
    await sign_in(client, member.email, NEW_PASSWORD)
    assert await _actions(client, db, org.org_id, member.member_id) == ["password.change"]


@pytest.mark.parametrize(
    ("form", "status", "says"),
    [
        (
            {"current_password": "wrong one entirely"},
            401,
            "The current password is not right.",
        ),
        ({"new_password": "short", "new_password_again": "short"}, 400, "at least 12"),
        ({"new_password_again": "something else again"}, 400, "are not the same"),
    ],
)
async def test_a_password_change_is_refused_with_the_reason(
    client: Client, db: Database, org: OrgSetup, form: dict[str, str], status: int, says: str
) -> None:
    member = await make_console_member(db, org.org_id)
    signed = await sign_in(client, member.email)
    full = {
        "current_password": PASSWORD,
        "new_password": NEW_PASSWORD,
        "new_password_again": NEW_PASSWORD,
        **form,
    }
    answer = await post_form(client, "/console/account/password", signed, full)
    assert answer.status_code == status
    assert says in answer.text
    assert await _signed_in_as(client, signed)  # nothing changed
    client.cookies.clear()
    await sign_in(client, member.email, PASSWORD)


async def test_the_sessions_are_listed_and_one_can_be_ended(
    client: Client, db: Database, org: OrgSetup
) -> None:
    member = await make_console_member(db, org.org_id)
    other = await sign_in(client, member.email)
    this = await sign_in(client, member.email)
    page = await client.get("/console/account", headers=this.cookie)
    assert page.status_code == 200
    assert page.text.count(BROWSER["User-Agent"]) == 2
    assert "(this one)" in page.text
    assert other.session_id not in page.text  # the id stays in the browser; the list has hashes

    ended = await post_form(
        client, "/console/account/sessions/end", this, {"session": session_hash(other.session_id)}
    )
    assert ended.status_code == 303
    assert ended.headers["location"] == "/console/account?done=session-ended"
    assert not await _signed_in_as(client, other)
    assert await _signed_in_as(client, this)
    again = await post_form(
        client, "/console/account/sessions/end", this, {"session": session_hash(other.session_id)}
    )
    assert again.status_code == 404

    # Another member's session is not theirs to end.
    someone = await make_console_member(db, org.org_id)
    theirs = await sign_in(client, someone.email)
    refused = await post_form(
        client, "/console/account/sessions/end", this, {"session": session_hash(theirs.session_id)}
    )
    assert refused.status_code == 404
    assert await _signed_in_as(client, theirs)

    own = await post_form(client, "/console/account/sessions/end", this, {"session": ""})
    assert own.status_code == 404
    self_end = await post_form(
        client, "/console/account/sessions/end", this, {"session": session_hash(this.session_id)}
    )
    assert self_end.headers["location"] == "/console/login?done=signed-out"
    assert not await _signed_in_as(client, this)
    assert await _actions(client, db, org.org_id, member.member_id) == [
        "session.end",
        "session.end",
    ]


FORMS = [
    "/console/account/totp/setup",
    "/console/account/totp/confirm",
    "/console/account/totp/disable",
    "/console/account/password",
    "/console/account/sessions/end",
]


@pytest.mark.parametrize("path", FORMS)
async def test_every_account_form_needs_the_csrf_token(
    client: Client, db: Database, org: OrgSetup, path: str
) -> None:
    member = await make_console_member(db, org.org_id)
    signed = await sign_in(client, member.email)
    form = {
        "code": "123456",
        "password": PASSWORD,
        "current_password": PASSWORD,
        "new_password": NEW_PASSWORD,
        "new_password_again": NEW_PASSWORD,
        "session": session_hash(signed.session_id),
    }
    for token in ("", "not-the-token"):
        answer = await post_form(client, path, signed, form, csrf=token)
        assert answer.status_code == 403, answer.text
    assert await _signed_in_as(client, signed)
    async with db.read() as session:
        assert await session.get(MemberTotp, (org.org_id, member.member_id)) is None


async def test_the_code_step_must_come_from_the_console(
    client: Client, db: Database, org: OrgSetup
) -> None:
    member = await make_console_member(db, org.org_id)
    secret, _codes = await turn_on_totp(client, await sign_in(client, member.email))
    client.cookies.clear()
    answer = await client.post(
        "/console/login/code",
        data={"pending": "anything", "code": code_at(secret)},
        headers={"Sec-Fetch-Site": "cross-site", **BROWSER},
        follow_redirects=False,
    )
    assert answer.status_code == 403


async def test_account_changes_are_audited_with_the_member_as_actor(
    client: Client, db: Database, org: OrgSetup
) -> None:
    member = await make_console_member(db, org.org_id)
    signed = await sign_in(client, member.email)
    secret, _codes = await turn_on_totp(client, signed)
    await post_form(
        client,
        "/console/account/totp/disable",
        signed,
        {"password": PASSWORD, "code": code_at(secret)},
    )
    assert await _actions(client, db, org.org_id, member.member_id) == [
        "totp.enable",
        "totp.disable",
    ]
    async with db.read() as session:
        rows = (
            await session.scalars(
                select(AuditEntry).where(
                    AuditEntry.member_id == member.member_id, AuditEntry.module == "account"
                )
            )
        ).all()
    for row in rows:
        assert row.product == "console"
        assert row.key_id is None
        assert secret not in str(row.changes)
