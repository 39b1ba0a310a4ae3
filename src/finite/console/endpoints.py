"""Signing in and out, and the home page.

/console/login (the form, and its POST), /console/logout and /console/sessions/end-all (sign out
everywhere), both POST with the session's CSRF token; /console/ lists what the member can
reach. Every answer is a page or a redirect (303), never JSON.
"""

from __future__ import annotations

from importlib import resources

from litestar import Response, get, post
from litestar.params import FromQuery
from sqlalchemy.ext.asyncio import AsyncSession

from finite.console import pages
from finite.console.audit import audit_console_action, console_audit_values
from finite.console.code_page import code_page
from finite.console.cookies import cleared_cookie, session_cookie
from finite.console.guards import PUBLIC, current_user
from finite.console.headers import ASSET_HEADERS
from finite.console.principal import UserDep
from finite.console.sessions import end_member_sessions, end_session
from finite.console.signin import Attempt, SignIn, sign_in
from finite.console.unit_of_work import console_write
from finite.kit.clock import utcnow
from finite.platform.http import AnyRequest
from finite.platform.state import platform_of

HOME = "/console/"
MAX_FIELD = 4096
_DONE = {
    "signed-out": "You are signed out.",
    "signed-out-everywhere": "You are signed out on every device.",
    "expired": "That sign-in has expired: enter your email and password again.",
    "password-changed": "Your password is changed; sign in with the new one.",
}


def safe_next(value: str | None) -> str:
    """Only a console address of this site: never another host (`//evil`, `/\\evil`)."""
    if not value or len(value) > 2000 or any(ord(char) < 32 for char in value) or "\\" in value:
        return HOME
    if value != "/console" and not value.startswith(("/console/", "/console?")):
        return HOME
    if value.startswith("/console/login"):
        return HOME
    return value


def _field(form: dict[str, str], name: str) -> str:
    return form.get(name, "")[:MAX_FIELD]


def _login_page(
    request: AnyRequest,
    *,
    status: int = 200,
    next_path: str = HOME,
    email: str = "",
    error: str = "",
    notice: str = "",
    choices: tuple[tuple[str, str], ...] = (),
    headers: dict[str, str] | None = None,
) -> Response[str]:
    return pages.render(
        request,
        None,
        "login.html",
        status_code=status,
        headers=headers,
        next_path=next_path,
        email=email,
        error=error,
        notice=notice,
        choices=choices,
    )


@get("/login")
async def login_form(
    request: AnyRequest, next: FromQuery[str | None] = None, done: FromQuery[str | None] = None
) -> Response[str]:
    """The sign-in form; already signed in, straight on."""
    next_path = safe_next(next)
    if await current_user(request) is not None:
        return pages.redirect(next_path)
    return _login_page(request, next_path=next_path, notice=_DONE.get(done or "", ""))


def _client_ip(request: AnyRequest) -> str:
    return request.client.host if request.client else "unknown"


def _audit_attempt(request: AnyRequest, result: SignIn, status: int) -> None:
    platform = platform_of(request)
    if result.outcome in ("signed_in", "needs_code") and result.member is not None:
        member = result.member
        platform.audit.add(
            console_audit_values(
                request.scope,
                org_id=member.org_id,
                member_id=member.id,
                action="sign_in" if result.outcome == "signed_in" else "sign_in_password_ok",
                status=status,
            )
        )
        return
    action = "sign_in_limited" if result.outcome == "limited" else "sign_in_failed"
    if result.outcome == "choose_org":
        action = "sign_in_choose_org"
    # Each account the email named learns of the attempt; with none, the unknown caller's log.
    targets: list[tuple[str, str | None]] = [(a.member.org_id, a.member.id) for a in result.tried]
    targets = targets or [("", None)]
    for org_id, member_id in targets:
        platform.audit.add(
            console_audit_values(
                request.scope, org_id=org_id, member_id=member_id, action=action, status=status
            )
        )


@post("/login", opt={PUBLIC: True}, status_code=303)
async def login(request: AnyRequest) -> Response[str]:
    form = {key: value for key, value in (await request.form()).items() if isinstance(value, str)}
    next_path = safe_next(form.get("next"))
    email, password = _field(form, "email").strip(), _field(form, "password")
    if not email or not password:
        return _login_page(
            request,
            status=400,
            next_path=next_path,
            email=email,
            error="Enter your email and your password.",
        )
    platform = platform_of(request)
    attempt = Attempt(
        email=email,
        password=password,
        organization=_field(form, "organization"),
        client_ip=_client_ip(request),
        user_agent=request.headers.get("user-agent"),
    )
    result = await sign_in(platform, attempt, utcnow())
    if result.outcome == "limited":
        _audit_attempt(request, result, 429)
        return _login_page(
            request,
            status=429,
            next_path=next_path,
            email=email,
            error=result.message,
            headers={"Retry-After": str(result.retry_after)},
        )
    if result.outcome == "failed":
        _audit_attempt(request, result, 401)
        return _login_page(
            request, status=401, next_path=next_path, email=email, error=result.message
        )
    if result.outcome == "choose_org":
        _audit_attempt(request, result, 409)
        return _login_page(
            request,
            status=409,
            next_path=next_path,
            email=email,
            error=result.message,
            choices=result.choices,
        )
    if result.outcome == "needs_code":
        assert result.member is not None
        assert result.pending_token is not None
        _audit_attempt(request, result, 200)
        return code_page(request, result.pending_token, next_path)
    assert result.session_id is not None
    _audit_attempt(request, result, 303)
    response = pages.redirect(next_path)
    response.cookies.append(session_cookie(request, platform.settings, result.session_id))
    return response


@post("/logout", status_code=303)
async def logout(request: AnyRequest, user: UserDep) -> Response[str]:
    platform = platform_of(request)

    async def work(session: AsyncSession) -> None:
        await end_session(session, user.org_id, user.session_hash)

    await console_write(request, work)
    audit_console_action(platform, request.scope, user, "sign_out", status=303)
    response = pages.redirect("/console/login?done=signed-out")
    response.cookies.append(cleared_cookie(request, platform.settings))
    return response


@post("/sessions/end-all", status_code=303)
async def sign_out_everywhere(request: AnyRequest, user: UserDep) -> Response[str]:
    platform = platform_of(request)

    async def work(session: AsyncSession) -> int:
        return await end_member_sessions(session, user.org_id, user.member_id)

    ended = await console_write(request, work)
    audit_console_action(
        platform,
        request.scope,
        user,
        "sign_out_everywhere",
        status=303,
        changes={"sessionsEnded": ended},
    )
    response = pages.redirect("/console/login?done=signed-out-everywhere")
    response.cookies.append(cleared_cookie(request, platform.settings))
    return response


@get("/")
async def home(request: AnyRequest, user: UserDep) -> Response[str]:
    return pages.render(request, user, "home.html")


def _asset(name: str) -> bytes:
    return resources.files("finite.console").joinpath("static", name).read_bytes()


@get("/static/console.css", sync_to_thread=False)
def stylesheet() -> Response[bytes]:
    return Response(_asset("console.css"), media_type="text/css", headers=ASSET_HEADERS)


HANDLERS = [login_form, login, logout, sign_out_everywhere, home, stylesheet]
