"""The password pages, open before sign-in: /console/password/{token} (an invitation or reset
link sets the password and signs the member in) and /console/forgot (ask for a reset link).

The forgot form answers the same whether or not an account has the email; it is limited per
email and per address (the platform's limiter), since each request may send mail.
"""

from __future__ import annotations

import hashlib

from litestar import Response, get, post
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from finite.console import pages
from finite.console.audit import console_audit_values
from finite.console.cookies import session_cookie
from finite.console.forms import field_errors, form_fields
from finite.console.guards import PUBLIC
from finite.console.password_links import (
    active_members_by_email,
    link_gone,
    open_link,
    send_link,
    use_link,
)
from finite.console.refusals import ConsoleRefusal
from finite.console.sessions import start_session
from finite.console.unit_of_work import console_write
from finite.core.audit.entries import insert_audit_rows
from finite.kit.clock import utcnow
from finite.kit.errors import AppError
from finite.platform.http import AnyRequest
from finite.platform.state import platform_of

ADDRESS_REQUESTS_PER_MINUTE = 10
EMAIL_REQUESTS_PER_MINUTE = 3
_LIMITER_SCOPE = "console-reset"
SENT = (
    "If an account exists for that email, we sent it a link to choose a new password. "
    "The link works once, for 2 hours."
)


def _gone() -> ConsoleRefusal:
    gone = link_gone()
    return ConsoleRefusal(gone.status, "This link does not work", gone.message)


@get("/password/{token:str}", opt={PUBLIC: True})
async def password_form(request: AnyRequest, token: FromPath[str]) -> Response[str]:
    async with platform_of(request).db.read() as session:
        found = await open_link(session, token, utcnow())
    if found is None:
        raise _gone()
    return pages.render(request, None, "password.html", link=found, token=token, errors={})


@post("/password/{token:str}", opt={PUBLIC: True}, status_code=303)
async def set_password_by_link(request: AnyRequest, token: FromPath[str]) -> Response[str]:
    form = await form_fields(request)
    platform = platform_of(request)
    now = utcnow()
    async with platform.db.read() as session:
        found = await open_link(session, token, now)
    if found is None:
        raise _gone()
    password = form.get("password", "")
    errors: dict[str, str] = {}
    if password != form.get("confirm", ""):
        errors["confirm"] = "must be the same password twice"

    # The member is known only once the link is used, so this work audits itself.
    async def work(session: AsyncSession) -> str:
        member = await use_link(session, token, password, now)
        session_id = await start_session(
            session,
            member,
            now,
            client_ip=request.client.host if request.client else None,
            user_agent=request.headers.get("user-agent"),
        )
        action = "password.set" if found.purpose == "invite" else "password.reset"
        values = console_audit_values(
            request.scope,
            org_id=member.org_id,
            member_id=member.id,
            action=action,
            status=303,
            module="members",
        )
        await insert_audit_rows(session, [values])
        return session_id

    if not errors:
        try:
            session_id = await console_write(request, work)
        except AppError as exc:
            if exc.status == 410:
                raise _gone() from exc
            errors = field_errors(exc, "password")
    if errors:
        return pages.render(
            request,
            None,
            "password.html",
            status_code=400,
            link=found,
            token=token,
            errors=errors,
        )
    response = pages.redirect("/console/")
    response.cookies.append(session_cookie(request, platform.settings, session_id))
    return response


@get("/forgot", opt={PUBLIC: True})
async def forgot_form(request: AnyRequest) -> Response[str]:
    return pages.render(request, None, "forgot.html", email="", notice="", error="")


def _email_key(email: str) -> str:
    return hashlib.sha256(email.encode("utf-8", "replace")).hexdigest()[:32]


@post("/forgot", opt={PUBLIC: True}, status_code=200)
async def forgot(request: AnyRequest) -> Response[str]:
    form = await form_fields(request)
    email = form.get("email", "").strip().lower()
    if not email or "@" not in email or len(email) > 320:
        return pages.render(
            request,
            None,
            "forgot.html",
            status_code=400,
            email=email,
            notice="",
            error="Enter the email you sign in with.",
        )
    platform = platform_of(request)
    address = request.client.host if request.client else "unknown"
    for key, limit in (
        (f"address:{address}", ADDRESS_REQUESTS_PER_MINUTE),
        (f"email:{_email_key(email)}", EMAIL_REQUESTS_PER_MINUTE),
    ):
        decision = await platform.limiter.hit(_LIMITER_SCOPE, key, limit)
        if not decision.allowed:
            wait = decision.reset_after
            return pages.render(
                request,
                None,
                "forgot.html",
                status_code=429,
                headers={"Retry-After": str(wait)},
                email=email,
                notice="",
                error=f"Too many reset requests. Wait {wait} seconds, then try again.",
            )
    now = utcnow()

    # One audit row per account with the email, each with that member as actor.
    async def work(session: AsyncSession) -> None:
        for member, org_name in await active_members_by_email(session, email):
            await send_link(session, platform, member, org_name, "reset", now)
            values = console_audit_values(
                request.scope,
                org_id=member.org_id,
                member_id=member.id,
                action="password.reset_asked",
                module="members",
            )
            await insert_audit_rows(session, [values])

    await console_write(request, work)
    return pages.render(request, None, "forgot.html", email="", notice=SENT, error="")


HANDLERS = [password_form, set_password_by_link, forgot_form, forgot]
