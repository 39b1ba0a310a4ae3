"""The client page at /p/{token}: the pack its link opens (no account), the optional pack
password's form, and Reveal, which hands over one credential's password at a time.

Not an API route: HTML pages (and Reveal's small JSON answer) for a browser, each failure a page
of its own (404 unknown, 410 replaced or expired, 429 too many tries), never the API's envelope.
"""

from __future__ import annotations

import time
from importlib import resources
from typing import Any
from urllib.parse import parse_qs

from litestar import Response, Router, get, post
from litestar.datastructures import Cookie
from litestar.params import FromPath

from finite.config import public_base_url
from finite.core.ratelimit.limiter import RateDecision
from finite.handover.client_page import pages, visits
from finite.handover.client_page.access import Opened, Refused, open_link
from finite.handover.client_page.gate import admitted, opened_or_refused
from finite.handover.client_page.headers import ASSET_HEADERS, PAGE_HEADERS
from finite.handover.client_page.replies import (
    REFUSALS,
    html,
    message,
    password_form,
    refused_page,
)
from finite.handover.client_page.same_origin import is_same_origin
from finite.handover.packs import pack_password
from finite.kit.clock import utcnow
from finite.platform.errors import keep_out_of_logs
from finite.platform.http import AnyRequest
from finite.platform.state import Platform, platform_of

keep_out_of_logs("/p/")  # the token is the client's key to the pack

REVEALS_PER_MINUTE = 10
PASSWORD_TRIES_PER_MINUTE = 5


def _json(
    body: dict[str, Any], status: int, headers: dict[str, str] | None = None
) -> Response[Any]:
    return Response(
        body,
        status_code=status,
        media_type="application/json",
        headers={**PAGE_HEADERS, **(headers or {})},
    )


async def _hit(platform: Platform, opened: Opened, purpose: str, per_minute: int) -> RateDecision:
    # Its own key in the shared limiter (Redis when configured): one window per link.
    return await platform.limiter.hit(opened.link.org_id, f"{purpose}:{opened.link.id}", per_minute)


def _retry_after(decision: RateDecision) -> dict[str, str]:
    return {"Retry-After": str(decision.reset_after)}


@get("/p/{token:str}")
async def client_page(request: AnyRequest, token: FromPath[str]) -> Response[str]:
    """The pack, or the pack password's form; the first view moves the project to `viewed`."""
    platform = platform_of(request)
    now = utcnow()
    try:
        visit = await visits.view_page(
            platform.db,
            request.scope,
            token,
            now,
            lambda opened: admitted(request, opened),
        )
    except Refused as refused:
        return refused_page(refused)
    opened, brand = visit.opened, visit.brand
    if visit.pack is None:
        return password_form(brand, opened, token)
    page = pages.PackPage(
        brand=brand,
        project=opened.project.name,
        token=token,
        pack=visit.pack,
        credentials_locked=opened.credentials_locked,
        signed_off=opened.signed_off,
    )
    return html(pages.pack_page(page))


@post("/p/{token:str}", status_code=303)
async def enter_password(request: AnyRequest, token: FromPath[str]) -> Response[str]:
    """The pack password's form: right, a cookie for this link and back to the pack; wrong,
    the form again; too many tries, 429."""
    platform = platform_of(request)
    if not is_same_origin(request, public_base_url(platform.settings)):
        return message(403, "Not allowed", "Open the pack from its own page.")
    async with platform.db.read() as session:
        entered = await opened_or_refused(request, session, token)
    if isinstance(entered, Response):
        return entered
    opened, brand = entered.opened, entered.brand
    stored = opened.pack.password_hash
    if stored is None:
        return html("", 303, {"Location": f"/p/{token}"})
    decision = await _hit(platform, opened, "pack-password", PASSWORD_TRIES_PER_MINUTE)
    if not decision.allowed:
        return message(
            429,
            "Too many tries",
            f"Wait {decision.reset_after} seconds before trying the password again.",
            _retry_after(decision),
        )
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    given = (form.get("password") or [""])[0]
    if not given or not await pack_password.password_matches(stored, given):
        return password_form(brand, opened, token, status=401, wrong=True)
    settings = platform.settings
    secure = request.url.scheme == "https" or public_base_url(settings).startswith("https://")
    cookie = Cookie(
        key=pack_password.COOKIE,
        value=pack_password.cookie_value(
            settings.secret_key, opened.link.id, stored, int(time.time())
        ),
        path=f"/p/{token}",
        max_age=pack_password.COOKIE_SECONDS,
        httponly=True,
        secure=secure,
        samesite="strict",
    )
    response = html("", 303, {"Location": f"/p/{token}"})
    response.cookies.append(cookie)
    return response


@post("/p/{token:str}/credentials/{credential_id:str}/reveal", status_code=200)
async def reveal_password(
    request: AnyRequest, token: FromPath[str], credential_id: FromPath[str]
) -> Response[Any]:
    """One credential's password, for the page to show briefly; each reveal is audited."""
    platform = platform_of(request)
    if not is_same_origin(request, public_base_url(platform.settings)):
        return _json({"error": "Reveal only from the pack's own page."}, 403)
    now = utcnow()
    try:
        async with platform.db.read() as session:
            opened = await open_link(session, token, now)
    except Refused as refused:
        status, heading, _ = REFUSALS[refused.why]
        return _json({"error": f"{heading}."}, status)
    if not admitted(request, opened):
        return _json({"error": "Enter the pack password first."}, 401)
    if opened.credentials_locked:
        return _json({"error": "Credentials are available after sign-off."}, 403)
    decision = await _hit(platform, opened, "reveal", REVEALS_PER_MINUTE)
    if not decision.allowed:
        message = f"Too many reveals; wait {decision.reset_after} seconds."
        return _json({"error": message}, 429, _retry_after(decision))
    password = await visits.reveal_password(
        platform.db, platform.secrets, request.scope, opened.link, credential_id
    )
    if password is None:
        return _json({"error": "No such credential in this pack."}, 404)
    return _json({"password": password}, 200)


def _asset(name: str) -> bytes:
    return resources.files("finite.handover.client_page").joinpath("static", name).read_bytes()


@get("/p/page.js", sync_to_thread=False)
def page_script() -> Response[bytes]:
    """Reveal's script (a file, so the page's CSP allows no inline script)."""
    return Response(_asset("page.js"), media_type="text/javascript", headers=ASSET_HEADERS)


@get("/p/page.css", sync_to_thread=False)
def page_style() -> Response[bytes]:
    return Response(_asset("page.css"), media_type="text/css", headers=ASSET_HEADERS)


router = Router(
    "/",
    route_handlers=[client_page, enter_password, reveal_password, page_script, page_style],
)
