"""No id, key or name holds a NUL character, and PostgreSQL refuses one in any text it is sent
("invalid byte sequence for encoding UTF8: 0x00"), which would answer 500. So a path with a NUL
names nothing (404, like any unknown id), and a query value with one is refused (400) before a
handler queries with it; the search text `q` is the exception, it drops NULs itself."""

from __future__ import annotations

from finite.kit.errors import ErrorDetail, not_found, validation_error
from finite.platform.http import AnyRequest

_CLEANS_ITS_OWN = frozenset({"q"})


async def refuse_nul_bytes(request: AnyRequest) -> None:
    """Litestar's `before_request` hook: after the guards, before the handler."""
    if "\x00" in request.url.path:
        raise not_found()
    problems = [
        ErrorDetail(name, "must not contain a NUL character")
        for name, value in request.query_params.multi_items()
        if "\x00" in name or ("\x00" in value and name not in _CLEANS_ITS_OWN)
    ]
    if problems:
        raise validation_error(problems)
