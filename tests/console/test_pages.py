"""The console's pages: security headers on every answer, the stylesheet, what a non-admin
sees, admin_only's refusal, and error pages in HTML."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest
from litestar import Litestar, Response, get
from litestar.testing import AsyncTestClient

from finite.app import create_app
from finite.config import Settings
from finite.console import pages
from finite.console.guards import admin_only
from finite.console.principal import UserDep
from finite.console.routes import console_router
from finite.kit.db import Database
from finite.kit.errors import invalid_field
from finite.platform.http import AnyRequest
from tests.console.helpers import (
    PASSWORD,
    SAME_ORIGIN,
    Client,
    login_form,
    make_console_member,
    sign_in,
)
from tests.factories import OrgSetup


@get("/only-admins", guards=[admin_only])
async def only_admins(request: AnyRequest, user: UserDep) -> Response[str]:
    return pages.message(request, 200, "Admin page", f"Hello {user.name}", user=user)


@get("/fails")
async def fails(user: UserDep) -> Response[str]:
    raise invalid_field("name", "must not be empty")


@pytest.fixture
def app(settings: Settings) -> Litestar:
    """The app with pages of a test's own, mounted as a panel's would be."""
    application = create_app(settings)
    application.register(console_router([only_admins, fails]))
    return application


def _assert_page_headers(headers: httpx.Headers) -> None:
    csp = headers.get("content-security-policy")
    assert csp is not None
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert headers.get("cache-control") == "no-store"
    assert headers.get("x-frame-options") == "DENY"
    assert headers.get("x-content-type-options") == "nosniff"


async def test_every_console_answer_has_the_security_headers(
    client: Client, db: Database, org: OrgSetup
) -> None:
    member = await make_console_member(db, org.org_id)
    _assert_page_headers((await client.get("/console/login")).headers)
    _assert_page_headers((await client.get("/console/", follow_redirects=False)).headers)
    failed = await client.post(
        "/console/login", data=login_form(member.email, "wrong one!"), headers=SAME_ORIGIN
    )
    _assert_page_headers(failed.headers)
    signed_in = await client.post(
        "/console/login",
        data=login_form(member.email, PASSWORD),
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )
    _assert_page_headers(signed_in.headers)
    home = await client.get("/console/")
    _assert_page_headers(home.headers)
    assert "<script" not in home.text
    assert " style=" not in home.text


async def test_the_stylesheet_is_served(client: Client) -> None:
    answer = await client.get("/console/static/console.css")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/css")
    assert ":focus-visible" in answer.text


async def test_a_member_without_the_admin_role_sees_only_what_they_may_open(
    client: Client, db: Database, org: OrgSetup
) -> None:
    member = await make_console_member(db, org.org_id, role="Standard", name="Sam Standard")
    await sign_in(client, member.email)
    home = await client.get("/console/")
    assert "Welcome, Sam Standard" in home.text
    assert 'href="/console/plan"' in home.text
    for admin_panel in ("/console/keys", "/console/webhooks", "/console/members", "/console/audit"):
        assert f'href="{admin_panel}"' not in home.text
    assert '<th scope="row">leads</th><td>view, create, edit</td>' in home.text

    refused = await client.get("/console/only-admins")
    assert refused.status_code == 403
    assert "Admins only" in refused.text
    _assert_page_headers(refused.headers)


async def test_admin_only_admits_an_admin_and_sends_strangers_to_sign_in(
    client: Client, db: Database, org: OrgSetup
) -> None:
    stranger = await client.get("/console/only-admins", follow_redirects=False)
    assert stranger.status_code == 303
    assert stranger.headers["location"] == "/console/login?next=/console/only-admins"
    member = await make_console_member(db, org.org_id, name="Ada Admin")
    await sign_in(client, member.email)
    page = await client.get("/console/only-admins")
    assert page.status_code == 200
    assert "Hello Ada Admin" in page.text


async def test_a_services_error_is_a_page(client: Client, db: Database, org: OrgSetup) -> None:
    member = await make_console_member(db, org.org_id)
    await sign_in(client, member.email)
    answer = await client.get("/console/fails")
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("text/html")
    assert "name: must not be empty" in answer.text
    _assert_page_headers(answer.headers)


async def test_the_cookie_is_secure_over_https(
    settings: Settings, db: Database, org: OrgSetup
) -> None:
    member = await make_console_member(db, org.org_id)
    behind_tls = create_app(replace(settings, public_url="https://console.example"))
    async with AsyncTestClient(behind_tls) as https_client:
        answer = await https_client.post(
            "/console/login",
            data=login_form(member.email, PASSWORD),
            headers={"Origin": "https://console.example"},
            follow_redirects=False,
        )
    assert answer.status_code == 303, answer.text
    attributes = [part.strip().lower() for part in answer.headers["set-cookie"].split(";")]
    assert "secure" in attributes
