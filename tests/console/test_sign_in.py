"""Signing in through the form: the right password opens the console, anything else gets one
and the same answer, whatever was wrong."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import update

from finite.console.cookies import COOKIE
from finite.core.accounts.service import PlanChoice, add_member, create_org
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.models import Member
from tests.console.helpers import (
    BROWSER,
    PASSWORD,
    SAME_ORIGIN,
    Client,
    give_password,
    login_form,
    make_console_member,
    sign_in,
)
from tests.factories import OrgSetup

FAILED = "The email or password is not right."
_ERROR = re.compile(r'<p class="error" role="alert"[^>]*>([^<]*)</p>')


async def _try(client: Client, email: str, password: str, **form: str) -> tuple[int, str]:
    answer = await client.post(
        "/console/login",
        data={**login_form(email, password), **form},
        headers={**SAME_ORIGIN, **BROWSER},
        follow_redirects=False,
    )
    found = _ERROR.search(answer.text)
    return answer.status_code, found.group(1) if found else ""


def _cookie_attributes(set_cookie: str) -> dict[str, str]:
    parts = [part.strip() for part in set_cookie.split(";")]
    return {part.partition("=")[0].lower(): part.partition("=")[2] for part in parts[1:]}


async def test_the_right_password_signs_in_with_a_strict_cookie(
    client: Client, db: Database, org: OrgSetup
) -> None:
    member = await make_console_member(db, org.org_id, name="Ada Admin")
    answer = await client.post(
        "/console/login",
        data=login_form(member.email.upper(), PASSWORD),  # emails match whatever their case
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/console/"
    set_cookie = answer.headers["set-cookie"]
    assert set_cookie.startswith(f"{COOKIE}=")
    attributes = _cookie_attributes(set_cookie)
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "lax"
    assert attributes["path"] == "/console"
    assert "secure" not in attributes  # plain http here; test_security covers https
    assert int(attributes["max-age"]) == 7 * 24 * 3600

    home = await client.get("/console/")
    assert home.status_code == 200
    assert "Welcome, Ada Admin" in home.text
    for panel in ("API keys", "Webhooks", "Members", "Plan &amp; usage", "Audit log"):
        assert panel in home.text


async def test_every_failure_gets_the_same_answer(
    client: Client, db: Database, org: OrgSetup
) -> None:
    member = await make_console_member(db, org.org_id)
    async with db.transaction() as session:
        no_password = await add_member(
            session, org.org_id, email="nopass@example.com", name="No Pass", role="Standard"
        )
    gone = await make_console_member(db, org.org_id)
    async with db.transaction() as session:
        await session.execute(
            update(Member)
            .where(Member.org_id == org.org_id, Member.id == gone.member_id)
            .values(deactivated_at=utcnow())
        )
    answers = [
        await _try(client, member.email, "not the password at all"),
        await _try(client, "nobody@example.com", PASSWORD),
        await _try(client, no_password.email, PASSWORD),
        await _try(client, gone.email, PASSWORD),
        await _try(client, "not an email", PASSWORD),
    ]
    assert answers == [(401, FAILED)] * len(answers)
    assert client.cookies.get(COOKIE) is None
    assert (await client.get("/console/", follow_redirects=False)).status_code == 303


async def test_empty_fields_are_asked_for(client: Client) -> None:
    assert await _try(client, "", "") == (400, "Enter your email and your password.")


async def test_signing_in_goes_back_to_the_page_asked_for_and_nowhere_else(
    client: Client, db: Database, org: OrgSetup
) -> None:
    member = await make_console_member(db, org.org_id)
    away = await client.get("/console/?view=sessions", follow_redirects=False)
    assert away.status_code == 303
    assert away.headers["location"] == "/console/login?next=/console%3Fview%3Dsessions"
    form = await client.get(away.headers["location"])
    assert 'name="next" value="/console?view=sessions"' in form.text
    for asked, landed in (
        ("/console/keys?page=2", "/console/keys?page=2"),
        ("https://evil.example/console/", "/console/"),
        ("//evil.example/console/", "/console/"),
        ("/console\\@evil.example", "/console/"),
        ("/consolex", "/console/"),
    ):
        client.cookies.clear()
        answer = await client.post(
            "/console/login",
            data=login_form(member.email, PASSWORD, next_path=asked),
            headers=SAME_ORIGIN,
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"] == landed


async def test_the_sign_in_page_of_a_signed_in_member_goes_straight_on(
    client: Client, db: Database, org: OrgSetup
) -> None:
    member = await make_console_member(db, org.org_id)
    await sign_in(client, member.email)
    answer = await client.get("/console/login", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/"


async def test_an_email_in_several_organizations_asks_which_only_after_the_password(
    client: Client, db: Database, org: OrgSetup
) -> None:
    email = "shared@example.com"
    first = await make_console_member(db, org.org_id, email=email)
    async with db.transaction() as session:
        other, _ = await create_org(
            session,
            f"Other {org.org_id[-6:]}",
            owner_email="owner@other.example",
            owner_name="Other Owner",
            crm=PlanChoice("free"),
            handover=PlanChoice("free"),
        )
        second = await add_member(session, other.id, email=email, name="Shared", role="Standard")
    await give_password(db, other.id, second.id)

    # A wrong password says nothing about the accounts.
    assert await _try(client, email, "wrong password here") == (401, FAILED)
    status, error = await _try(client, email, PASSWORD)
    assert status == 409
    assert "several organizations" in error
    page = (
        await client.post(
            "/console/login",
            data=login_form(email, PASSWORD),
            headers=SAME_ORIGIN,
            follow_redirects=False,
        )
    ).text
    assert f'<option value="{org.org_id}">' in page
    assert f'<option value="{other.id}">' in page

    answer = await client.post(
        "/console/login",
        data=login_form(email, PASSWORD, organization=other.id),
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )
    assert answer.status_code == 303
    home = await client.get("/console/")
    assert other.name in home.text
    assert "Standard" in home.text

    # With its own password, each account opens alone.
    await give_password(db, org.org_id, first.member_id, "the first org's own password")
    client.cookies.clear()
    await sign_in(client, email, "the first org's own password")
    assert "with the role <strong>Admin</strong>" in (await client.get("/console/")).text


@pytest.mark.parametrize("field", ["email", "password"])
async def test_oversize_fields_are_a_failure_not_an_error(
    client: Client, db: Database, org: OrgSetup, field: str
) -> None:
    member = await make_console_member(db, org.org_id)
    values = {"email": member.email, "password": PASSWORD, field: "x" * 5000}
    assert await _try(client, values["email"], values["password"]) == (401, FAILED)
