"""/console/account: any signed-in member's own account — two-step sign-in (TOTP) on or off,
the password, and the member's sessions.

- Turning TOTP on: POST /account/totp/setup makes a secret (shown on that answer alone: the
  otpauth:// address, a QR code of it, and the text); POST /account/totp/confirm with a current
  code turns it on and shows the ten recovery codes, once. Turning it off takes the password
  and a code (or a recovery code).
- Changing the password takes the current one; it ends every session, and this browser gets a
  new one, so only the other devices are signed out.
- Each code or password typed here counts against the member's code window
  (second_step.code_limited), as the sign-in's second step does.
Each change is audited with the member as actor (module "account").
"""

from __future__ import annotations

from datetime import datetime

import segno
from litestar import Response, get, post
from litestar.params import FromQuery
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from finite.console import pages
from finite.console.audit import record_console_change
from finite.console.cookies import cleared_cookie, session_cookie
from finite.console.endpoints import MAX_FIELD
from finite.console.principal import ConsoleUser, UserDep
from finite.console.second_step import WRONG_CODE, code_limited, too_many_codes
from finite.console.sessions import end_session, start_session
from finite.console.unit_of_work import Changes, console_change, console_write
from finite.core.accounts.passwords import (
    MIN_LENGTH,
    check_strength,
    password_matches,
    set_password,
)
from finite.core.accounts.second_factor import (
    CodeKind,
    check_code,
    confirm_setup,
    provisioning_uri,
    recovery_codes_left,
    setup_secret,
    start_setup,
    totp_enabled,
    turn_off,
)
from finite.kit.clock import utcnow
from finite.kit.errors import AppError
from finite.models import ConsoleSession, Member, MemberCredential
from finite.platform.http import AnyRequest
from finite.platform.state import platform_of

MODULE = "account"
ACCOUNT = "/console/account"
_DONE = {
    "totp-off": "Two-step sign-in is off.",
    "password-changed": "Your password is changed. Your other sessions are signed out.",
    "session-ended": "That session is signed out.",
}


async def _form(request: AnyRequest) -> dict[str, str]:
    form = await request.form()
    return {key: value[:MAX_FIELD] for key, value in form.items() if isinstance(value, str)}


def _client_ip(request: AnyRequest) -> str:
    return request.client.host if request.client else "unknown"


async def _account_page(
    request: AnyRequest,
    user: ConsoleUser,
    *,
    status: int = 200,
    notice: str = "",
    totp_error: str = "",
    credential_problem: str = "",
) -> Response[str]:
    platform = platform_of(request)
    async with platform.db.read() as session:
        enabled = await totp_enabled(session, user.org_id, user.member_id)
        left = await recovery_codes_left(session, user.org_id, user.member_id) if enabled else 0
        rows = (
            await session.scalars(
                select(ConsoleSession)
                .where(
                    ConsoleSession.org_id == user.org_id,
                    ConsoleSession.member_id == user.member_id,
                )
                .order_by(ConsoleSession.last_seen_at.desc())
            )
        ).all()
    return pages.render(
        request,
        user,
        "account.html",
        status_code=status,
        totp_on=enabled,
        recovery_left=left,
        sessions=rows,
        now=utcnow(),
        notice=notice,
        totp_error=totp_error,
        password_error=credential_problem,
        min_length=MIN_LENGTH,
    )


@get("/account")
async def account(
    request: AnyRequest, user: UserDep, done: FromQuery[str | None] = None
) -> Response[str]:
    return await _account_page(request, user, notice=_DONE.get(done or "", ""))


def _setup_page(
    request: AnyRequest, user: ConsoleUser, secret: str, *, status: int = 200, error: str = ""
) -> Response[str]:
    uri = provisioning_uri(secret, user.email)
    qr = segno.make(uri, error="m").svg_data_uri(scale=5, border=2)
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return pages.render(
        request,
        user,
        "totp_setup.html",
        status_code=status,
        secret=grouped,
        uri=uri,
        qr=qr,
        error=error,
    )


@post("/account/totp/setup", status_code=200)
async def totp_setup(request: AnyRequest, user: UserDep) -> Response[str]:
    platform = platform_of(request)

    async def work(session: AsyncSession) -> str:
        return await start_setup(session, platform.secrets, user.org_id, user.member_id, utcnow())

    secret = await console_write(request, work)
    return _setup_page(request, user, secret)


@post("/account/totp/confirm", status_code=200)
async def totp_confirm(request: AnyRequest, user: UserDep) -> Response[str]:
    platform = platform_of(request)
    code = (await _form(request)).get("code", "")
    limited = await code_limited(platform, user.org_id, user.member_id)

    async def work(session: AsyncSession) -> tuple[tuple[str, ...], Changes]:
        if limited is not None:
            raise AppError(429, "RATE_LIMITED", too_many_codes(limited))
        codes = await confirm_setup(
            session, platform.secrets, user.org_id, user.member_id, code, utcnow()
        )
        return codes, None

    try:
        codes = await console_change(request, user, "totp.enable", work, module=MODULE)
    except AppError as error:
        if error.status == 409:
            raise
        async with platform.db.read() as session:
            secret = await setup_secret(session, platform.secrets, user.org_id, user.member_id)
        if secret is None:
            raise
        message = error.message if error.status == 429 else WRONG_CODE
        return _setup_page(request, user, secret, status=error.status, error=message)
    return pages.render(request, user, "recovery_codes.html", codes=codes)


async def _password_right(request: AnyRequest, user: ConsoleUser, password: str) -> bool:
    platform = platform_of(request)
    async with platform.db.read() as session:
        stored = await session.scalar(
            select(MemberCredential.password_hash).where(
                MemberCredential.org_id == user.org_id,
                MemberCredential.member_id == user.member_id,
            )
        )
    return await password_matches(stored, password)


@post("/account/totp/disable", status_code=303)
async def totp_disable(request: AnyRequest, user: UserDep) -> Response[str]:
    platform = platform_of(request)
    form = await _form(request)
    limited = await code_limited(platform, user.org_id, user.member_id)
    if limited is not None:
        return await _account_page(request, user, status=429, totp_error=too_many_codes(limited))
    if not await _password_right(request, user, form.get("password", "")):
        return await _account_page(
            request, user, status=401, totp_error="The password or the code is not right."
        )
    now = utcnow()

    # A wrong code changes nothing and is not audited here, so this work audits itself.
    async def work(session: AsyncSession) -> CodeKind | None:
        kind = await check_code(
            session, platform.secrets, user.org_id, user.member_id, form.get("code", ""), now
        )
        if kind is not None:
            await turn_off(session, user.org_id, user.member_id)
            changes = {"with": "recovery code" if kind == "recovery" else "code"}
            await record_console_change(
                session, request.scope, user, "totp.disable", module=MODULE, changes=changes
            )
        return kind

    kind = await console_write(request, work)
    if kind is None:
        return await _account_page(
            request, user, status=401, totp_error="The password or the code is not right."
        )
    return pages.redirect(f"{ACCOUNT}?done=totp-off")


async def _new_session(request: AnyRequest, user: ConsoleUser, now: datetime) -> str:

    async def work(session: AsyncSession) -> str:
        member = await session.get(Member, (user.org_id, user.member_id))
        assert member is not None
        return await start_session(
            session,
            member,
            now,
            client_ip=_client_ip(request),
            user_agent=request.headers.get("user-agent"),
        )

    return await console_write(request, work)


@post("/account/password", status_code=303)
async def change_password(request: AnyRequest, user: UserDep) -> Response[str]:
    platform = platform_of(request)
    form = await _form(request)
    new = form.get("new_password", "")
    if new != form.get("new_password_again", ""):
        return await _account_page(
            request, user, status=400, credential_problem="The two new passwords are not the same."
        )
    try:
        check_strength(new, "new password")
    except AppError as error:
        reason = "; ".join(f"{d.field} {d.message}" for d in error.details) or error.message
        return await _account_page(request, user, status=400, credential_problem=reason)
    limited = await code_limited(platform, user.org_id, user.member_id)
    if limited is not None:
        return await _account_page(
            request, user, status=429, credential_problem=too_many_codes(limited)
        )
    if not await _password_right(request, user, form.get("current_password", "")):
        return await _account_page(
            request, user, status=401, credential_problem="The current password is not right."
        )
    now = utcnow()

    async def work(session: AsyncSession) -> tuple[None, Changes]:
        await set_password(session, user.org_id, user.member_id, new, now)  # ends every session
        return None, None

    await console_change(request, user, "password.change", work, module=MODULE)
    response = pages.redirect(f"{ACCOUNT}?done=password-changed")
    session_id = await _new_session(request, user, now)
    response.cookies.append(session_cookie(request, platform.settings, session_id))
    return response


@post("/account/sessions/end", status_code=303)
async def end_one_session(request: AnyRequest, user: UserDep) -> Response[str]:
    platform = platform_of(request)
    hashed = (await _form(request)).get("session", "")[:64]

    # Audited only when the session was the member's, so this work audits itself.
    async def work(session: AsyncSession) -> str | None:
        owned = await session.scalar(
            select(ConsoleSession.id).where(
                ConsoleSession.org_id == user.org_id,
                ConsoleSession.member_id == user.member_id,
                ConsoleSession.id == hashed,
            )
        )
        if owned is not None:
            await end_session(session, user.org_id, hashed)
            await record_console_change(
                session,
                request.scope,
                user,
                "session.end",
                module=MODULE,
                changes={"current": hashed == user.session_hash},
            )
        return owned

    owned = await console_write(request, work)
    if owned is None:
        return await _account_page(
            request, user, status=404, notice="That session has ended already."
        )
    if hashed == user.session_hash:
        response = pages.redirect("/console/login?done=signed-out")
        response.cookies.append(cleared_cookie(request, platform.settings))
        return response
    return pages.redirect(f"{ACCOUNT}?done=session-ended")


HANDLERS = [account, totp_setup, totp_confirm, totp_disable, change_password, end_one_session]
