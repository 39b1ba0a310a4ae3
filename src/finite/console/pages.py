"""The console's HTML: Jinja2 templates from templates/ (every value escaped, a missing one an
error), each page with the security headers (headers.py).

Every template extends base.html and gets: `user` (the ConsoleUser, or None before sign-in),
`nav` (the panels the user may open, nav.py), `current_path`, `csrf_token` and `csrf_field()`,
the hidden field each form of a signed-in page carries (the CSRF check, guards.py).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from litestar import Response
from markupsafe import Markup, escape

from finite.console.headers import PAGE_HEADERS
from finite.console.nav import panels_for
from finite.console.principal import ConsoleUser
from finite.platform.http import AnyRequest

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


@cache
def _templates() -> Environment:
    return Environment(
        loader=PackageLoader("finite.console", "templates"),
        autoescape=True,  # every template is HTML
        auto_reload=False,  # templates ship inside the package: no stat() per render
        undefined=StrictUndefined,  # a missing value is a bug, not an empty string
    )


def _csrf_field(token: str) -> Callable[[], Markup]:
    def field() -> Markup:
        return Markup('<input type="hidden" name="{}" value="{}">').format(
            CSRF_FIELD, escape(token)
        )

    return field


def html(body: str, status: int = 200, headers: dict[str, str] | None = None) -> Response[str]:
    return Response(
        body,
        status_code=status,
        media_type="text/html; charset=utf-8",
        headers={**PAGE_HEADERS, **(headers or {})},
    )


def render_text(
    request: AnyRequest, user: ConsoleUser | None, template_name: str, **context: Any
) -> str:
    token = user.csrf_token if user is not None else ""
    values = {
        "user": user,
        "nav": panels_for(user),
        "current_path": request.url.path if request.url.path != "/console" else "/console/",
        "csrf_token": token,
        "csrf_field": _csrf_field(token),
        **context,
    }
    return _templates().get_template(template_name).render(values)


def render(
    request: AnyRequest,
    user: ConsoleUser | None,
    template_name: str,
    /,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Response[str]:
    """A console page: `template_name` (from templates/) with `context`, for `user`."""
    body = render_text(request, user, template_name, **context)
    return html(body, status_code, headers)


def message(
    request: AnyRequest,
    status: int,
    heading: str,
    text: str,
    *,
    user: ConsoleUser | None = None,
    headers: dict[str, str] | None = None,
) -> Response[str]:
    """A short page saying what happened (a refusal, an error)."""
    return render(
        request,
        user,
        "message.html",
        status_code=status,
        headers=headers,
        heading=heading,
        text=text,
    )


def redirect(location: str, headers: dict[str, str] | None = None) -> Response[str]:
    return html("", 303, {"Location": location, **(headers or {})})
