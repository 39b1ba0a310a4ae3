"""POST /console/login/code: the sign-in's second step. The pending sign-in (pending.py) plus a
code from the member's authenticator app, or an unused recovery code, starts the session.

Codes are limited per account (CODE_TRIES_PER_MINUTE in the platform's limiter, the same
window the account page's code forms count against), so six digits cannot be guessed.
"""

from __future__ import annotations

from litestar import Response, post
from sqlalchemy.ext.asyncio import AsyncSession

from finite.console import pages
from finite.console.audit import console_audit_values
from finite.console.code_page import code_page
from finite.console.cookies import session_cookie
from finite.console.endpoints import MAX_FIELD, safe_next
from finite.console.guards import PUBLIC
from finite.console.pending import pending_member, take_pending
from finite.console.sessions import end_expired_sessions, start_session
from finite.console.unit_of_work import console_write
from finite.core.accounts.second_factor import CodeKind, check_code
from finite.core.ratelimit.limiter import RateDecision
from finite.kit.clock import utcnow
from finite.platform.http import AnyRequest
from finite.platform.state import Platform, platform_of

CODE_TRIES_PER_MINUTE = 5
_LIMITER_SCOPE = "console-code"
WRONG_CODE = "That code is not right, or was used already."
EXPIRED = "This sign-in has expired: enter your email and password again."


async def code_limited(platform: Platform, org_id: str, member_id: str) -> RateDecision | None:
    """Count a code attempt for the member; the decision when it is refused."""
    decision = await platform.limiter.hit(
        _LIMITER_SCOPE, f"member:{org_id}:{member_id}", CODE_TRIES_PER_MINUTE
    )
    return None if decision.allowed else decision


def too_many_codes(decision: RateDecision) -> str:
    return f"Too many codes tried for this account. Wait {decision.reset_after} seconds."


@post("/login/code", opt={PUBLIC: True}, status_code=303)
async def login_code(request: AnyRequest) -> Response[str]:
    form = {key: value for key, value in (await request.form()).items() if isinstance(value, str)}
    next_path = safe_next(form.get("next"))
    token = form.get("pending", "")[:MAX_FIELD]
    code = form.get("code", "")[:MAX_FIELD]
    platform = platform_of(request)
    now = utcnow()
    member = await pending_member(platform.db, token, now)
    if member is None:
        return pages.redirect("/console/login?done=expired")

    def audit(action: str, status: int) -> None:
        platform.audit.add(
            console_audit_values(
                request.scope,
                org_id=member.org_id,
                member_id=member.id,
                action=action,
                status=status,
            )
        )

    limited = await code_limited(platform, member.org_id, member.id)
    if limited is not None:
        audit("sign_in_code_limited", 429)
        return code_page(
            request,
            token,
            next_path,
            status=429,
            error=too_many_codes(limited),
            headers={"Retry-After": str(limited.reset_after)},
        )
    if not code.strip():
        return code_page(request, token, next_path, status=400, error="Enter the code.")

    async def work(session: AsyncSession) -> tuple[CodeKind | None, str | None]:
        kind = await check_code(session, platform.secrets, member.org_id, member.id, code, now)
        taken = kind is not None and await take_pending(session, member, token)
        if not taken:
            return kind, None
        await end_expired_sessions(session, member.org_id, member.id, now)
        session_id = await start_session(
            session,
            member,
            now,
            client_ip=request.client.host if request.client else "unknown",
            user_agent=request.headers.get("user-agent"),
        )
        return kind, session_id

    kind, session_id = await console_write(request, work)
    if kind is None:
        audit("sign_in_code_failed", 401)
        return code_page(request, token, next_path, status=401, error=WRONG_CODE)
    if session_id is None:  # another request with this pending sign-in won
        return pages.redirect("/console/login?done=expired")
    if kind == "recovery":
        audit("recovery_code.use", 303)
    audit("sign_in", 303)
    response = pages.redirect(next_path)
    response.cookies.append(session_cookie(request, platform.settings, session_id))
    return response
