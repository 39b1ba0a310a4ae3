"""CONSOLE_ROUTER: every console route, under /console. A panel adds its handlers (or a
Controller) to the ROUTE_HANDLERS list below; each then has the `user` dependency, the CSRF
guard, the security headers and the console's error pages (HTML, never the API's JSON)."""

from __future__ import annotations

from typing import Any

from litestar import Response, Router
from litestar.di import Provide
from litestar.exceptions import HTTPException, ValidationException

from finite.console import pages
from finite.console.account import HANDLERS as ACCOUNT_HANDLERS
from finite.console.audit_log import HANDLERS as AUDIT_LOG
from finite.console.endpoints import HANDLERS
from finite.console.guards import console_user, csrf_protect, sign_in_address
from finite.console.headers import PAGE_HEADERS
from finite.console.keys_panel import KEY_HANDLERS
from finite.console.members_panel import HANDLERS as MEMBERS_HANDLERS
from finite.console.password_pages import HANDLERS as PASSWORD_HANDLERS
from finite.console.plan import plan_page
from finite.console.refusals import ConsoleRefusal, SignInRequired
from finite.console.roles_panel import HANDLERS as ROLES_HANDLERS
from finite.console.second_step import login_code
from finite.console.webhooks.endpoints import HANDLERS as WEBHOOKS
from finite.kit.errors import AppError
from finite.platform.errors import handle_unexpected
from finite.platform.http import AnyRequest

ROUTE_HANDLERS: list[Any] = [
    *HANDLERS,  # sign-in, sign-out, home, the stylesheet
    # The panels' handlers go here.
    *KEY_HANDLERS,  # Admin → API keys (CRM), Settings → Security (handover keys)
    *AUDIT_LOG,  # /audit, /audit.csv, /audit/verify
    plan_page,  # /plan
    login_code,  # the sign-in's second step (two-step sign-in)
    *ACCOUNT_HANDLERS,  # /account: two-step sign-in, password, sessions
    *MEMBERS_HANDLERS,  # /members: invite, change role, deactivate
    *ROLES_HANDLERS,  # /roles: the role x module x action grid
    *PASSWORD_HANDLERS,  # /password/{token}, /forgot: one-time password links
    *WEBHOOKS,  # Admin → Webhooks
]


def _sign_in_first(_request: AnyRequest, exc: SignInRequired) -> Response[str]:
    return pages.redirect(sign_in_address(exc.next_path))


def _refused(request: AnyRequest, exc: ConsoleRefusal) -> Response[str]:
    return pages.message(request, exc.status, exc.heading, exc.text, headers=exc.headers)


def _app_error(request: AnyRequest, exc: AppError) -> Response[str]:
    details = "; ".join(
        f"{detail.field}: {detail.message}" if detail.field else detail.message
        for detail in exc.details
    )
    text = f"{exc.message} {details}".strip() if details and details != exc.message else exc.message
    return pages.message(request, exc.status, "That did not work", text, headers=exc.headers)


def _http_error(request: AnyRequest, exc: HTTPException) -> Response[Any]:
    if exc.status_code >= 500:
        return handle_unexpected(request, exc)
    if isinstance(exc, ValidationException):
        text = "Something in the request is not valid; go back and check the form."
    else:
        text = str(exc.detail) if exc.detail else "The request could not be answered."
    return pages.message(request, exc.status_code, "That did not work", text)


def _with_headers(response: Response[Any]) -> Response[Any]:
    """Every console answer gets the page headers, unless it set its own (the stylesheet)."""
    for name, value in PAGE_HEADERS.items():
        if name not in response.headers:
            response.headers[name] = value
    return response


def console_router(route_handlers: list[Any], path: str = "/console") -> Router:
    """A router with everything the console's routes share (tests mount their own pages)."""
    return Router(
        path,
        route_handlers=route_handlers,
        dependencies={"user": Provide(console_user)},
        guards=[csrf_protect],
        exception_handlers={
            SignInRequired: _sign_in_first,
            ConsoleRefusal: _refused,
            AppError: _app_error,
            HTTPException: _http_error,
        },
        after_request=_with_headers,
        include_in_schema=False,
    )


CONSOLE_ROUTER = console_router(ROUTE_HANDLERS)
