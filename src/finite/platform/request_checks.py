"""Checks of every request after its guards and before its handler (Litestar's `before_request`):
what no route can use is refused before any handler sees it.

- A body declared larger than the cap is 413 on every route, not only on those that read their
  body (Litestar checks the cap while reading; a route that takes no body would accept it).
- No id, key or name holds a NUL character, and PostgreSQL refuses one in any text it is sent
  ("invalid byte sequence for encoding UTF8: 0x00"), which would answer 500. So a path with a
  NUL names nothing (404, like any unknown id), and a query value with one is refused (400);
  the search text `q` is the exception, it drops NULs itself.
"""

from __future__ import annotations

from finite.kit.errors import AppError, ErrorDetail, not_found, validation_error
from finite.platform.http import AnyRequest

_CLEANS_ITS_OWN = frozenset({"q"})


def refuse_oversize_body(request: AnyRequest) -> None:
    declared = request.headers.get("content-length", "")
    limit = request.route_handler.resolve_request_max_body_size()  # the app's, or the route's
    if isinstance(limit, int) and declared.isdigit() and int(declared) > limit:
        raise AppError(413, "PAYLOAD_TOO_LARGE", "The request body is too large.")


def refuse_nul_bytes(request: AnyRequest) -> None:
    if "\x00" in request.url.path:
        raise not_found()
    problems = [
        ErrorDetail(name, "must not contain a NUL character")
        for name, value in request.query_params.multi_items()
        if "\x00" in name or ("\x00" in value and name not in _CLEANS_ITS_OWN)
    ]
    if problems:
        raise validation_error(problems)


async def check_request(request: AnyRequest) -> None:
    refuse_oversize_body(request)
    refuse_nul_bytes(request)
