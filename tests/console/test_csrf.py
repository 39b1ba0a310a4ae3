"""Every unsafe console request carries its session's CSRF token: without it, or with another
one, the answer is a 403 page and nothing changes."""

from __future__ import annotations

from sqlalchemy import func, select

from finite.console.sessions import session_hash
from finite.kit.db import Database
from finite.models import ConsoleSession
from tests.console.helpers import BROWSER, Client, SignedIn, make_console_member, post_form, sign_in
from tests.factories import OrgSetup


async def _exists(db: Database, signed: SignedIn) -> bool:
    async with db.read() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(ConsoleSession)
            .where(ConsoleSession.id == session_hash(signed.session_id))
        )
    return bool(count)


async def test_a_form_without_the_token_or_with_another_is_refused_and_changes_nothing(
    client: Client, db: Database, org: OrgSetup
) -> None:
    member = await make_console_member(db, org.org_id)
    signed = await sign_in(client, member.email)
    other = await sign_in(client, (await make_console_member(db, org.org_id)).email)
    client.cookies.clear()
    for path in ("/console/logout", "/console/sessions/end-all"):
        for token in ("", "not-the-token", other.csrf_token, signed.csrf_token + "x"):
            answer = await post_form(client, path, signed, csrf=token)
            assert answer.status_code == 403, (path, token)
            assert "This form has expired" in answer.text
            assert "nothing was changed" in answer.text
            assert answer.headers["content-type"].startswith("text/html")
            assert "set-cookie" not in answer.headers
            assert await _exists(db, signed)
    # The header works as well as the field (for scripts of the page's own).
    answer = await client.post(
        "/console/logout",
        headers={**signed.cookie, **BROWSER, "X-CSRF-Token": signed.csrf_token},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert not await _exists(db, signed)


async def test_an_unsafe_request_without_a_session_goes_to_sign_in(client: Client) -> None:
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        answer = await client.request(method, "/console/logout", follow_redirects=False)
        assert answer.status_code in (303, 405), method
        if answer.status_code == 303:
            assert answer.headers["location"].startswith("/console/login")


async def test_the_token_is_per_session(client: Client, db: Database, org: OrgSetup) -> None:
    member = await make_console_member(db, org.org_id)
    first = await sign_in(client, member.email)
    second = await sign_in(client, member.email)
    assert first.csrf_token != second.csrf_token
    assert len(first.csrf_token) >= 40
