"""What console tests share: a member with a password, signing in through the form (the
in-process test client or a real server's httpx client), and posting a form with the CSRF
token."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx
from litestar import Litestar
from litestar.testing import AsyncTestClient

from finite.console.cookies import COOKIE
from finite.core.accounts.passwords import set_password
from finite.core.accounts.service import add_member
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.kit.ids import new_id

Client = AsyncTestClient[Litestar]
PASSWORD = "correct horse battery staple"
# What a browser sends with a form of the page's own origin (the sign-in form's check).
SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}
BROWSER = {"User-Agent": "Mozilla/5.0 (console test)"}
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class ConsoleMember:
    org_id: str
    member_id: str
    email: str
    password: str


@dataclass(frozen=True)
class SignedIn:
    session_id: str  # the cookie's value
    csrf_token: str

    @property
    def cookie(self) -> dict[str, str]:
        """A Cookie header for this session alone (when a client holds several)."""
        return {"Cookie": f"{COOKIE}={self.session_id}"}


async def give_password(
    db: Database, org_id: str, member_id: str, password: str = PASSWORD
) -> None:
    async with db.transaction() as session:
        await set_password(session, org_id, member_id, password, utcnow())


async def make_console_member(
    db: Database,
    org_id: str,
    *,
    role: str = "Admin",
    email: str | None = None,
    name: str = "Casey Console",
    password: str = PASSWORD,
) -> ConsoleMember:
    """A new member of the organization with `role` and a console password."""
    address = email or f"console-{new_id('m')[-10:]}@example.com"
    async with db.transaction() as session:
        member = await add_member(session, org_id, email=address, name=name, role=role)
        await set_password(session, org_id, member.id, password, utcnow())
    return ConsoleMember(org_id, member.id, member.email, password)


def csrf_token_of(page: str) -> str:
    found = _CSRF.search(page)
    assert found is not None, page[:2000]
    return found.group(1)


def login_form(
    email: str, password: str, organization: str | None = None, next_path: str | None = None
) -> dict[str, str]:
    form = {"email": email, "password": password}
    if organization is not None:
        form["organization"] = organization
    if next_path is not None:
        form["next"] = next_path
    return form


def _signed_in(answer: httpx.Response, home: httpx.Response) -> SignedIn:
    assert answer.status_code == 303, answer.text
    session_id = answer.cookies.get(COOKIE)
    assert session_id, answer.headers
    assert home.status_code == 200, home.text
    return SignedIn(session_id, csrf_token_of(home.text))


async def sign_in(
    client: Client | httpx.AsyncClient,
    email: str,
    password: str = PASSWORD,
    *,
    organization: str | None = None,
) -> SignedIn:
    """Sign in through the form; the client keeps the cookie (later requests are signed in),
    and the session's CSRF token is read from the home page."""
    answer = await client.post(
        "/console/login",
        data=login_form(email, password, organization),
        headers={**SAME_ORIGIN, **BROWSER},
        follow_redirects=False,
    )
    home = await client.get("/console/", headers=_cookie(answer))
    return _signed_in(answer, home)


def sign_in_sync(
    client: httpx.Client, email: str, password: str = PASSWORD, *, organization: str | None = None
) -> SignedIn:
    """The same against a real server (tests/servers.py's `Server.client`)."""
    answer = client.post(
        "/console/login",
        data=login_form(email, password, organization),
        headers={**SAME_ORIGIN, **BROWSER},
        follow_redirects=False,
    )
    home = client.get("/console/", headers=_cookie(answer))
    return _signed_in(answer, home)


def _cookie(answer: httpx.Response) -> dict[str, str]:
    session_id = answer.cookies.get(COOKIE)
    return {"Cookie": f"{COOKIE}={session_id}"} if session_id else {}


async def post_form(
    client: Client | httpx.AsyncClient,
    path: str,
    signed_in: SignedIn,
    data: dict[str, Any] | None = None,
    *,
    csrf: str | None = None,
) -> httpx.Response:
    """A form POST of this session, with its CSRF token (or `csrf` instead, "" for none)."""
    token = signed_in.csrf_token if csrf is None else csrf
    form = {**(data or {}), **({"csrf_token": token} if token else {})}
    return await client.post(
        path, data=form, headers={**signed_in.cookie, **BROWSER}, follow_redirects=False
    )
