"""A session ends at sign-out, everywhere at once, when idle or too old, and as soon as its
member is deactivated, removed or given a new password."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select, update

from finite.console.sessions import IDLE_TIMEOUT, session_hash
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.models import ConsoleSession, Member
from tests.console.helpers import (
    Client,
    ConsoleMember,
    SignedIn,
    give_password,
    make_console_member,
    post_form,
    sign_in,
)
from tests.factories import OrgSetup


async def _opens_home(client: Client, signed: SignedIn) -> bool:
    answer = await client.get("/console/", headers=signed.cookie, follow_redirects=False)
    if answer.status_code == 200:
        return True
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/console/login")
    return False


async def _row(db: Database, signed: SignedIn) -> ConsoleSession | None:
    async with db.read() as session:
        query = select(ConsoleSession).where(ConsoleSession.id == session_hash(signed.session_id))
        return (await session.scalars(query)).first()


async def _set(db: Database, signed: SignedIn, **values: Any) -> None:
    async with db.transaction() as session:
        await session.execute(
            update(ConsoleSession)
            .where(ConsoleSession.id == session_hash(signed.session_id))
            .values(**values)
        )


async def _member_sessions(db: Database, member: ConsoleMember) -> int:
    async with db.read() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(ConsoleSession)
            .where(
                ConsoleSession.org_id == member.org_id,
                ConsoleSession.member_id == member.member_id,
            )
        )
    return int(count or 0)


async def _signed_in(client: Client, db: Database, org: OrgSetup) -> tuple[ConsoleMember, SignedIn]:
    member = await make_console_member(db, org.org_id)
    signed = await sign_in(client, member.email)
    client.cookies.clear()  # each request names its session
    return member, signed


async def test_an_idle_session_ends(client: Client, db: Database, org: OrgSetup) -> None:
    _, signed = await _signed_in(client, db, org)
    assert await _opens_home(client, signed)
    await _set(db, signed, idle_expires_at=utcnow() - timedelta(seconds=1))
    assert not await _opens_home(client, signed)
    assert await _row(db, signed) is None  # cleared out


async def test_use_keeps_a_session_alive_up_to_its_absolute_end(
    client: Client, db: Database, org: OrgSetup
) -> None:
    _, signed = await _signed_in(client, db, org)
    an_hour_ago = utcnow() - timedelta(hours=1)
    await _set(db, signed, last_seen_at=an_hour_ago, idle_expires_at=an_hour_ago + IDLE_TIMEOUT)
    assert await _opens_home(client, signed)
    row = await _row(db, signed)
    assert row is not None
    assert row.last_seen_at > an_hour_ago + timedelta(minutes=59)
    assert row.idle_expires_at > utcnow() + IDLE_TIMEOUT - timedelta(minutes=1)
    assert row.idle_expires_at <= row.expires_at

    # However busy, a session ends at its absolute expiry.
    await _set(db, signed, expires_at=utcnow() - timedelta(seconds=1))
    assert not await _opens_home(client, signed)
    assert await _row(db, signed) is None


async def test_signing_out_ends_the_session_and_clears_the_cookie(
    client: Client, db: Database, org: OrgSetup
) -> None:
    _, signed = await _signed_in(client, db, org)
    answer = await post_form(client, "/console/logout", signed)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/login?done=signed-out"
    cleared = answer.headers["set-cookie"]
    assert cleared.startswith("finite_console=")
    assert "Max-Age=0" in cleared or "max-age=0" in cleared.lower()
    assert await _row(db, signed) is None
    assert not await _opens_home(client, signed)
    assert "You are signed out." in (await client.get("/console/login?done=signed-out")).text


async def test_signing_out_everywhere_ends_every_session_of_the_member(
    client: Client, db: Database, org: OrgSetup
) -> None:
    member, laptop = await _signed_in(client, db, org)
    phone = await sign_in(client, member.email)
    client.cookies.clear()
    someone_else = await _signed_in(client, db, org)
    assert await _member_sessions(db, member) == 2

    answer = await post_form(client, "/console/sessions/end-all", phone)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/login?done=signed-out-everywhere"
    assert await _member_sessions(db, member) == 0
    assert not await _opens_home(client, laptop)
    assert not await _opens_home(client, phone)
    assert await _opens_home(client, someone_else[1])


async def test_a_deactivated_member_is_out_at_once(
    client: Client, db: Database, org: OrgSetup
) -> None:
    member, signed = await _signed_in(client, db, org)
    assert await _opens_home(client, signed)
    async with db.transaction() as session:
        await session.execute(
            update(Member)
            .where(Member.org_id == member.org_id, Member.id == member.member_id)
            .values(deactivated_at=utcnow())
        )
    assert not await _opens_home(client, signed)
    # Nor does a form of the old session do anything.
    assert (await post_form(client, "/console/sessions/end-all", signed)).status_code == 303
    assert await _row(db, signed) is None


async def test_a_removed_member_takes_their_sessions_along(
    client: Client, db: Database, org: OrgSetup
) -> None:
    member, signed = await _signed_in(client, db, org)
    async with db.transaction() as session:
        await session.execute(
            delete(Member).where(Member.org_id == member.org_id, Member.id == member.member_id)
        )
    assert not await _opens_home(client, signed)
    assert await _member_sessions(db, member) == 0


async def test_a_new_password_ends_the_sessions_of_the_old_one(
    client: Client, db: Database, org: OrgSetup
) -> None:
    member, signed = await _signed_in(client, db, org)
    await give_password(db, member.org_id, member.member_id, "a brand new passphrase")
    assert not await _opens_home(client, signed)
    assert await sign_in(client, member.email, "a brand new passphrase")


async def test_a_made_up_or_oversize_cookie_is_not_signed_in(client: Client) -> None:
    for value in ("made-up", "x" * 5000):
        answer = await client.get(
            "/console/", headers={"Cookie": f"finite_console={value}"}, follow_redirects=False
        )
        assert answer.status_code == 303
