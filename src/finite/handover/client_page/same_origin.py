"""CSRF without a session: a POST to the client page must come from the page itself.

Browsers send `Sec-Fetch-Site` (every current one) or at least `Origin` on a POST; a request
with neither, or naming another site, is refused. The page's own origin is the address the
request came to, or FINITE_PUBLIC_URL's when a proxy in front rewrites the host.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from finite.platform.http import AnyRequest


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def is_same_origin(request: AnyRequest, public_url: str) -> bool:
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site == "same-origin"
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return False
    allowed = {_origin_of(str(request.base_url)), _origin_of(public_url)}
    return origin.lower().rstrip("/") in allowed
