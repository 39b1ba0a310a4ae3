"""Signing off on the client page: GET /p/{token}/sign-off shows the form (name, email, the
versioned consent to confirm), POST records the sign-off once with its evidence (handover/
signoffs), moves the project to `signed_off`, audits it and records `signoff.completed`.

The POST must come from the page itself (same origin) and carry the form token of this link
(signoff_form.py); the pack password gate applies as on the pack. Signing again shows the
sign-off already made, never a second one.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from litestar import Response, Router, get, post
from litestar.params import FromPath

from finite.config import public_base_url
from finite.handover.branding.brand import Brand
from finite.handover.client_page import signoff_form, visits
from finite.handover.client_page.access import Opened, Refused
from finite.handover.client_page.consent import CONSENT_TEXT, CONSENT_VERSION
from finite.handover.client_page.gate import Entered, opened_or_refused
from finite.handover.client_page.replies import (
    html,
    link_page,
    message,
    password_form,
    refused_page,
)
from finite.handover.client_page.same_origin import is_same_origin
from finite.handover.signoffs import repository as signoffs
from finite.kit.clock import iso_millis
from finite.kit.errors import AppError
from finite.models import Signoff
from finite.platform.http import AnyRequest
from finite.platform.state import platform_of

MAX_FORM_BYTES = 16_384


async def _signing(
    request: AnyRequest, token: str
) -> tuple[Entered, Signoff | None] | Response[str]:
    """The link opened and past the pack password, and the sign-off already made if any."""
    async with platform_of(request).db.read() as session:
        entered = await opened_or_refused(request, session, token)
        if isinstance(entered, Response):
            return entered
        opened = entered.opened
        existing = await signoffs.of_project(session, opened.link.org_id, opened.project.id)
    if not entered.admitted:
        return password_form(entered.brand, opened, token, status=401)
    return entered, existing


def _signed_page(agency: Brand, opened: Opened, token: str, row: Signoff) -> Response[str]:
    return link_page(
        "signed.html",
        agency,
        opened,
        token,
        signer=row.signer_name,
        signed_at=iso_millis(row.signed_at),
    )


def _form_page(
    secret: str, agency: Brand, opened: Opened, token: str, status: int = 200, **filled: Any
) -> Response[str]:
    return link_page(
        "sign_off.html",
        agency,
        opened,
        token,
        status,
        form_token=signoff_form.form_token(secret, opened.link.id),
        consent_version=CONSENT_VERSION,
        consent_text=CONSENT_TEXT,
        signer_name=filled.get("name", ""),
        signer_email=filled.get("email", ""),
        consent=filled.get("consent", False),
        errors=filled.get("errors", {}),
    )


@get("/p/{token:str}/sign-off")
async def sign_off_form(request: AnyRequest, token: FromPath[str]) -> Response[str]:
    """The form, or the sign-off already made."""
    signing = await _signing(request, token)
    if isinstance(signing, Response):
        return signing
    entered, existing = signing
    opened, agency = entered.opened, entered.brand
    if existing is not None:
        return _signed_page(agency, opened, token, existing)
    return _form_page(platform_of(request).settings.secret_key, agency, opened, token)


@post("/p/{token:str}/sign-off", status_code=303)
async def sign_off(request: AnyRequest, token: FromPath[str]) -> Response[str]:
    """Record the sign-off and go to the certificate; a bad field, the form again (400)."""
    platform = platform_of(request)
    secret = platform.settings.secret_key
    if not is_same_origin(request, public_base_url(platform.settings)):
        return message(403, "Not allowed", "Sign off from the pack's own page.")
    signing = await _signing(request, token)
    if isinstance(signing, Response):
        return signing
    entered, existing = signing
    opened, agency = entered.opened, entered.brand
    body = await request.body()
    form = parse_qs(body[:MAX_FORM_BYTES].decode("utf-8", "replace"), keep_blank_values=True)
    if not signoff_form.token_matches(secret, opened.link.id, (form.get("form_token") or [""])[0]):
        return message(403, "Not allowed", "Open the sign-off form again and submit it.")
    if existing is not None:
        return _signed_page(agency, opened, token, existing)
    filled = signoff_form.check(form)
    if filled.errors:
        return _form_page(
            secret,
            agency,
            opened,
            token,
            400,
            name=filled.name,
            email=filled.email,
            consent=filled.consent,
            errors=filled.errors,
        )
    link = opened.link
    try:
        await visits.sign_off(
            platform.db,
            request.scope,
            token,
            visits.Signing(
                name=filled.name,
                email=filled.email,
                ip_address=request.client.host[:64] if request.client else None,
                user_agent=(request.headers.get("user-agent") or None),
                consent_text=CONSENT_TEXT,
                consent_version=CONSENT_VERSION,
            ),
        )
    except Refused as refused:
        return refused_page(refused)
    except AppError as error:
        if error.code != "CONFLICT":  # a concurrent POST signed first: show its sign-off
            raise
        async with platform.db.read() as session:
            existing = await signoffs.of_project(session, link.org_id, link.project_id)
        assert existing is not None
        return _signed_page(agency, opened, token, existing)
    return html("", 303, {"Location": f"/p/{token}/certificate"})


router = Router("/", route_handlers=[sign_off_form, sign_off])
