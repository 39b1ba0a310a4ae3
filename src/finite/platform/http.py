"""What every endpoint module of both surfaces shares: the request and caller types, raw JSON
answers, and how a route declares who may call it."""

from __future__ import annotations

from typing import Any, Final

from litestar import Request, Response
from litestar.di import NamedDependency
from litestar.enums import HttpMethod
from litestar.handlers import BaseRouteHandler

from finite.core.auth.principal import Principal

AnyRequest = Request[Any, Any, Any]
PrincipalDep = NamedDependency[Principal]


class AnyKey:
    """Declared by a route open to every valid key of its surface."""

    def __repr__(self) -> str:
        return "ANY_KEY"

    def __deepcopy__(self, _memo: dict[int, Any]) -> AnyKey:
        return self  # one marker: routers are deep-copied when registered


ANY_KEY: Final = AnyKey()
# A query value's pattern in the documents: the server refuses a NUL in one (request_checks.py).
NO_NUL: Final = "^[^\\x00]*$"


class UndeclaredAccess(RuntimeError):
    """A route under a surface's guard declares nothing: refused (500) rather than left open."""


def declared_access(handler: BaseRouteHandler, key: str) -> object:
    """What the route declares under `opt[key]`. The OPTIONS answers Litestar adds to every path
    need only a valid key, as every route did before routes declared their access."""
    found = handler.opt.get(key)
    if found is not None:
        return found
    if getattr(handler, "http_methods", None) == {HttpMethod.OPTIONS}:
        return ANY_KEY
    raise UndeclaredAccess(f"{handler.handler_name} declares no {key!r}")


def json_response(
    body: bytes, status: int, headers: dict[str, str] | None = None
) -> Response[bytes]:
    return Response(body, status_code=status, media_type="application/json", headers=headers)
