"""Swagger UI for the docs pages, served by this server from the `swagger-ui-bundle-v2` package
(the files of npm's swagger-ui-dist): the pages work on a machine without internet access.

The version is in the path, so the files are cached for a year and a new version gets new URLs.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from litestar import Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from finite.core.audit.context import mark_written
from finite.platform.http import AnyRequest

ASSETS_ROUTE = "/api/docs/assets/{version:str}/{name:str}"
_CACHE_FOREVER = "public, max-age=31536000, immutable"

# Our own start-up script: a file, not inline, so a Content-Security-Policy of `script-src 'self'`
# holds. It reads the document's URL from the page; no validator badge (that calls a public host).
_INIT_JS = b"""window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  SwaggerUIBundle({
    url: root.getAttribute("data-document"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null
  });
});
"""

_SERVED = {  # name: content type; nothing else of the package is reachable
    "swagger-ui.css": "text/css; charset=utf-8",
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "favicon-32x32.png": "image/png",
    "favicon-16x16.png": "image/png",
}
INIT_JS = "finite-docs.js"


@cache
def _bundle() -> tuple[str, dict[str, bytes]]:
    """The packaged Swagger UI's version and the files served, read once."""
    vendor = resources.files("swagger_ui_bundle") / "vendor"
    (folder,) = [entry for entry in vendor.iterdir() if entry.name.startswith("swagger-ui-")]
    files = {name: (folder / name).read_bytes() for name in _SERVED}
    return folder.name.removeprefix("swagger-ui-"), {**files, INIT_JS: _INIT_JS}


def swagger_ui_version() -> str:
    return _bundle()[0]


def asset_url(name: str) -> str:
    return f"/api/docs/assets/{swagger_ui_version()}/{name}"


@get(ASSETS_ROUTE, include_in_schema=False, sync_to_thread=False)
def docs_asset(request: AnyRequest, version: FromPath[str], name: FromPath[str]) -> Response[bytes]:
    mark_written(request.scope)  # public documentation, not a call of any organization's API
    current, files = _bundle()
    body = files.get(name)
    if version != current or body is None:
        raise NotFoundException()
    media_type = _SERVED.get(name, "text/javascript; charset=utf-8")
    return Response(
        body,
        media_type=media_type,
        headers={"Cache-Control": _CACHE_FOREVER, "X-Content-Type-Options": "nosniff"},
    )
