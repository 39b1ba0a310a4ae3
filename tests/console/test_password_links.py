"""One-time password links (/console/password/{token}): single use, expiry, the token stored
only as its hash, bad passwords shown with their reason and the link kept; "Forgot your
password?" answers the same for any email, mails only real accounts, is rate-limited, and its
link ends every other session of the member."""

from __future__ import annotations

from datetime import timedelta

from litestar import Litestar
from sqlalchemy import select, update

from finite.console.password_links import send_link, token_hash
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.models import Member, Organization, PasswordLink
from finite.platform.state import Platform
from tests.console.helpers import (
    BROWSER,
    SAME_ORIGIN,
    Client,
    make_console_member,
    sign_in,
)
from tests.console.mailbox import mails_to
from tests.factories import OrgSetup

NEW_PASSWORD = "another long password"
FORM = {**SAME_ORIGIN, **BROWSER}


async def _invite_link(db: Database, app: Litestar, org_id: str) -> tuple[str, str]:
    """A member without a password and their invitation's path; returns (email, path)."""
    member = await make_console_member(db, org_id)
    platform = app.state.platform
    assert isinstance(platform, Platform)
    async with db.transaction() as session:
        row = await session.get(Member, (org_id, member.member_id))
        org = await session.get(Organization, org_id)
        assert row is not None
        assert org is not None
        await send_link(session, platform, row, org.name, "invite", utcnow())
    (mail,) = await mails_to(db, app, member.email)
    return member.email, mail.path


async def _set(client: Client, path: str, password: str, confirm: str | None = None) -> int:
    answer = await client.post(
        path,
        data={"password": password, "confirm": password if confirm is None else confirm},
        headers=FORM,
        follow_redirects=False,
    )
    return answer.status_code


async def test_a_link_works_once_and_is_stored_only_as_its_hash(
    client: Client, app: Litestar, db: Database, org: OrgSetup
) -> None:
    email, path = await _invite_link(db, app, org.org_id)
    token = path.rsplit("/", 1)[1]
    async with db.read() as session:
        ids = list((await session.scalars(select(PasswordLink.id))).all())
    assert token not in ids
    assert token_hash(token) in ids

    assert await _set(client, path, "short") == 400  # bad input: the reason, the link kept
    again = await client.post(
        path, data={"password": NEW_PASSWORD, "confirm": "different"}, headers=FORM
    )
    assert again.status_code == 400
    assert "must be the same password twice" in again.text
    short = await client.post(path, data={"password": "short", "confirm": "short"}, headers=FORM)
    assert "Password must be at least 12 characters" in short.text

    assert await _set(client, path, NEW_PASSWORD) == 303
    client.cookies.clear()
    used = await client.get(path)
    assert used.status_code == 410
    assert "expired or was already used" in used.text
    assert await _set(client, path, "yet another password") == 410
    await sign_in(client, email, NEW_PASSWORD)  # the first password stands


async def test_an_expired_or_unknown_link_does_nothing(
    client: Client, app: Litestar, db: Database, org: OrgSetup
) -> None:
    _, path = await _invite_link(db, app, org.org_id)
    token = path.rsplit("/", 1)[1]
    async with db.transaction() as session:
        await session.execute(
            update(PasswordLink)
            .where(PasswordLink.id == token_hash(token))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    assert (await client.get(path)).status_code == 410
    assert await _set(client, path, NEW_PASSWORD) == 410
    assert (await client.get("/console/password/not-a-token")).status_code == 410
    assert (await client.get("/console/password/" + "x" * 500)).status_code == 410
    # A form from another site is refused before anything is looked at.
    other = await client.post(
        path,
        data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        headers={"Sec-Fetch-Site": "cross-site", **BROWSER},
    )
    assert other.status_code == 403


async def test_forgot_answers_the_same_and_mails_only_an_account(
    client: Client, app: Litestar, db: Database, org: OrgSetup
) -> None:
    member = await make_console_member(db, org.org_id)
    unknown = f"nobody-{org.org_id[-8:]}@example.com".lower()
    answers = []
    for email in (member.email, unknown):
        answer = await client.post("/console/forgot", data={"email": email}, headers=FORM)
        assert answer.status_code == 200
        answers.append(answer.text.replace(email, ""))
    assert answers[0] == answers[1]
    assert "If an account exists for that email" in answers[0]
    assert await mails_to(db, app, unknown) == []
    (mail,) = await mails_to(db, app, member.email)
    assert mail.purpose == "console.reset"
    assert "reset" in mail.subject.lower()

    bad = await client.post("/console/forgot", data={"email": "nope"}, headers=FORM)
    assert bad.status_code == 400
    assert "Enter the email you sign in with." in bad.text


async def test_a_reset_ends_every_other_session(
    client: Client, app: Litestar, db: Database, org: OrgSetup
) -> None:
    member = await make_console_member(db, org.org_id)
    elsewhere = await sign_in(client, member.email)
    client.cookies.clear()
    answer = await client.post("/console/forgot", data={"email": member.email}, headers=FORM)
    assert answer.status_code == 200
    (mail,) = await mails_to(db, app, member.email)
    form = await client.get(mail.path)
    assert "signs you out everywhere else" in form.text
    assert await _set(client, mail.path, NEW_PASSWORD) == 303
    assert (await client.get("/console/")).status_code == 200  # signed in here
    old = await client.get("/console/", headers=elsewhere.cookie, follow_redirects=False)
    assert old.status_code == 303  # the session that knew the old password is out
    client.cookies.clear()
    await sign_in(client, member.email, NEW_PASSWORD)


async def test_forgot_is_limited_per_email(client: Client, db: Database, org: OrgSetup) -> None:
    member = await make_console_member(db, org.org_id)
    statuses = []
    for _ in range(4):
        answer = await client.post("/console/forgot", data={"email": member.email}, headers=FORM)
        statuses.append(answer.status_code)
    assert statuses == [200, 200, 200, 429]
    assert "Too many reset requests" in answer.text
    assert int(answer.headers["retry-after"]) > 0
