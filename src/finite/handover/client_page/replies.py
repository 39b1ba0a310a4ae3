"""The client page's answers to a browser, each with the page's security headers: an HTML page,
a short message, the page saying why a link opens nothing (404 unknown, 410 replaced or
expired) and the pack password's form."""

from __future__ import annotations

from typing import Any

from litestar import Response

from finite.handover.branding.brand import Brand
from finite.handover.client_page import pages
from finite.handover.client_page.access import Opened, Refusal, Refused
from finite.handover.client_page.headers import PAGE_HEADERS

REFUSALS: dict[Refusal, tuple[int, str, str]] = {
    "unknown": (
        404,
        "This link does not exist",
        "Check that you opened the whole address "
        "from your email, or ask the agency to send the pack again.",
    ),
    "replaced": (
        410,
        "A newer link was sent",
        "This link was replaced by a newer one: "
        "open the most recent email about this handover pack.",
    ),
    "expired": (
        410,
        "This link has expired",
        "Ask the agency to send the pack again; you will get a fresh link by email.",
    ),
}


def html(body: str, status: int = 200, headers: dict[str, str] | None = None) -> Response[str]:
    return Response(
        body,
        status_code=status,
        media_type="text/html; charset=utf-8",
        headers={**PAGE_HEADERS, **(headers or {})},
    )


def message(
    status: int, heading: str, text: str, headers: dict[str, str] | None = None
) -> Response[str]:
    return html(pages.render("message.html", heading=heading, text=text), status, headers)


def refused_page(refused: Refused) -> Response[str]:
    status, heading, text = REFUSALS[refused.why]
    return message(status, heading, text)


def link_page(
    template: str, brand: Brand, opened: Opened, token: str, status: int = 200, **context: Any
) -> Response[str]:
    """A page of the link's pack: the agency, the project and the token, and `context`."""
    page = pages.render(
        template,
        agency=brand.name,
        brand=brand,
        project=opened.project.name,
        token=token,
        **context,
    )
    return html(page, status)


def password_form(
    brand: Brand, opened: Opened, token: str, *, status: int = 200, wrong: bool = False
) -> Response[str]:
    return link_page("password.html", brand, opened, token, status, wrong=wrong)
