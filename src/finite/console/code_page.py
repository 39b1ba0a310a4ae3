"""The sign-in's second step: the form asking for a code from the authenticator app (or a
recovery code), carrying the pending sign-in's token (pending.py)."""

from __future__ import annotations

from litestar import Response

from finite.console import pages
from finite.platform.http import AnyRequest


def code_page(
    request: AnyRequest,
    pending_token: str,
    next_path: str,
    *,
    status: int = 200,
    error: str = "",
    headers: dict[str, str] | None = None,
) -> Response[str]:
    return pages.render(
        request,
        None,
        "login_code.html",
        status_code=status,
        headers=headers,
        pending_token=pending_token,
        next_path=next_path,
        error=error,
    )
