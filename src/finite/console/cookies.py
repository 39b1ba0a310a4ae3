"""The session cookie: HttpOnly (no script reads it), SameSite=Lax (another site's forms and
fetches do not carry it), Secure when the console is reached over TLS, and sent only to
/console."""

from __future__ import annotations

from litestar.datastructures import Cookie

from finite.config import Settings
from finite.console.sessions import ABSOLUTE_LIFETIME
from finite.platform.http import AnyRequest

COOKIE = "finite_console"
PATH = "/console"


def over_tls(request: AnyRequest, settings: Settings) -> bool:
    """The request came over HTTPS (behind a trusted proxy, X-Forwarded-Proto says so:
    platform/trusted_proxies.py), or the public address is an https one."""
    return request.url.scheme == "https" or (settings.public_url or "").startswith("https://")


def session_cookie(request: AnyRequest, settings: Settings, session_id: str) -> Cookie:
    return Cookie(
        key=COOKIE,
        value=session_id,
        path=PATH,
        max_age=int(ABSOLUTE_LIFETIME.total_seconds()),
        httponly=True,
        secure=over_tls(request, settings),
        samesite="lax",
    )


def cleared_cookie(request: AnyRequest, settings: Settings) -> Cookie:
    return Cookie(
        key=COOKIE,
        value="",
        path=PATH,
        max_age=0,
        expires=0,
        httponly=True,
        secure=over_tls(request, settings),
        samesite="lax",
    )
