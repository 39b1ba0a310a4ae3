"""FINITE_TRUSTED_PROXIES: behind a reverse proxy every request comes from the proxy's address.
When the peer is one of the trusted proxies, the client's address is taken from
X-Forwarded-For (the nearest address that is not a trusted proxy) and the scheme from
X-Forwarded-Proto, so audit rows, sign-off evidence and reveals name the real client and
cookies know the connection was TLS. Anyone else's X-Forwarded-For is ignored: a client cannot
choose the address recorded for it. granian's own middleware does the work."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from granian.utils.proxies import wrap_asgi_with_proxy_headers
from litestar.types import ASGIApp


def proxy_header_middleware(proxies: tuple[str, ...]) -> list[Callable[[ASGIApp], ASGIApp]]:
    if not proxies:
        return []
    return [partial(wrap_asgi_with_proxy_headers, trusted_hosts=list(proxies))]
