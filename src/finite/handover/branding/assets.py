"""The branding's public files, for the client page and the pack's email (no key): the logo by
its SHA-256 and the stylesheet setting an accent colour. Each address names its content, so
both are cached for a year; the page's CSP (`img-src 'self'`, `style-src 'self'`) allows them
and nothing inline is needed."""

from __future__ import annotations

from litestar import Response, Router, get
from litestar.params import FromPath

from finite.handover.branding.accent import HEX_DIGITS, text_on
from finite.handover.branding.brand import logo_by_hash
from finite.platform.http import AnyRequest
from finite.platform.state import platform_of

_SHA256_LENGTH = 64
_FOREVER = {
    "Cache-Control": "public, max-age=31536000, immutable",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
}


def _not_found() -> Response[bytes]:
    return Response(
        b"Not found",
        status_code=404,
        media_type="text/plain",
        headers={"Cache-Control": "no-store"},
    )


@get("/logos/{sha256:str}")
async def logo(request: AnyRequest, sha256: FromPath[str]) -> Response[bytes]:
    """An organization's logo, by the SHA-256 of its bytes."""
    digest = sha256.lower()
    if len(digest) != _SHA256_LENGTH or any(c not in "0123456789abcdef" for c in digest):
        return _not_found()
    async with platform_of(request).db.read() as session:
        found = await logo_by_hash(session, digest)
    if found is None:
        return _not_found()
    content_type, data = found
    return Response(data, media_type=content_type, headers=_FOREVER)


@get("/theme/{colour:str}", sync_to_thread=False)
def theme(colour: FromPath[str]) -> Response[bytes]:
    """The accent colour `#{colour}` as CSS custom properties (with the text colour on it)."""
    if not HEX_DIGITS.fullmatch(colour):
        return _not_found()
    accent = f"#{colour}"
    css = f":root {{ --accent: {accent}; --on-accent: {text_on(accent)}; }}\n"
    return Response(css.encode(), media_type="text/css", headers=_FOREVER)


router = Router("/branding", route_handlers=[logo, theme])
