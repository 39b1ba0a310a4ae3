"""Who may reach a console route, checked before its handler runs.

- `console_user` (the router's `user` dependency): a handler that declares `user: ConsoleUser`
  gets the signed-in member; without a valid session the browser is sent to
  /console/login?next=… (303).
- `admin_only` (a guard: `guards=[admin_only]`): members of an Admin role; others get a 403
  page.
- `csrf_protect` (the router's guard, on every route): a POST, PUT, PATCH or DELETE must carry
  the session's CSRF token, in the form field `csrf_token` or the `X-CSRF-Token` header; the
  sign-in form, before any session exists, must come from the console's own origin instead.
"""

from __future__ import annotations

import hmac
from typing import Any
from urllib.parse import quote

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler

from finite.config import public_base_url
from finite.console.cookies import COOKIE
from finite.console.pages import CSRF_FIELD, CSRF_HEADER
from finite.console.principal import ConsoleUser
from finite.console.refusals import ConsoleRefusal, SignInRequired, csrf_refused, not_an_admin
from finite.console.sessions import signed_in_user
from finite.handover.client_page.same_origin import is_same_origin
from finite.kit.clock import utcnow
from finite.platform.http import AnyRequest
from finite.platform.state import Platform

AnyConnection = ASGIConnection[Any, Any, Any, Any]
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PUBLIC = "console_public"  # opt of the routes open before sign-in: opt={PUBLIC: True}
_USER = "finite_console_user"
_ABSENT = object()


def platform_of_connection(connection: AnyConnection) -> Platform:
    platform = connection.app.state.platform
    assert isinstance(platform, Platform)
    return platform


async def current_user(connection: AnyConnection) -> ConsoleUser | None:
    """The signed-in member, read once per request (guards and the handler share it)."""
    state = connection.scope.setdefault("state", {})
    found = state.get(_USER, _ABSENT)
    if found is _ABSENT:
        session_id = connection.cookies.get(COOKIE, "")
        db = platform_of_connection(connection).db
        found = await signed_in_user(db, session_id, utcnow()) if session_id else None
        state[_USER] = found
    return found if isinstance(found, ConsoleUser) else None


def _coming_back_to(connection: AnyConnection) -> str:
    if connection.scope.get("method") != "GET":
        return "/console/"
    path = connection.url.path
    query = connection.url.query
    return f"{path}?{query}" if query else path


def sign_in_address(next_path: str) -> str:
    return f"/console/login?next={quote(next_path, safe='/')}"


async def console_user(request: AnyRequest) -> ConsoleUser:
    user = await current_user(request)
    if user is None:
        raise SignInRequired(_coming_back_to(request))
    return user


async def admin_only(connection: AnyConnection, _handler: BaseRouteHandler) -> None:
    user = await current_user(connection)
    if user is None:
        raise SignInRequired(_coming_back_to(connection))
    if not user.is_admin:
        raise not_an_admin()


async def _given_token(connection: AnyConnection) -> str:
    header = connection.headers.get(CSRF_HEADER)
    if header:
        return header
    if isinstance(connection, Request):
        value = (await connection.form()).get(CSRF_FIELD)
        if isinstance(value, str):
            return value
    return ""


async def csrf_protect(connection: AnyConnection, handler: BaseRouteHandler) -> None:
    if connection.scope.get("method") not in UNSAFE_METHODS:
        return
    if handler.opt.get(PUBLIC):
        settings = platform_of_connection(connection).settings
        if not isinstance(connection, Request) or not is_same_origin(
            connection, public_base_url(settings)
        ):
            raise ConsoleRefusal(403, "Not allowed", "Sign in from the console's own sign-in page.")
        return
    user = await current_user(connection)
    if user is None:
        raise SignInRequired()
    given = await _given_token(connection)
    if not given or not hmac.compare_digest(given.encode(), user.csrf_token.encode()):
        raise csrf_refused()
