"""The docs pages /api/docs and /api/v1/docs load Swagger UI from this server only (the
`swagger-ui-bundle-v2` package), so they work on a machine without internet access."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from finite.openapi.assets import swagger_ui_version

Client = AsyncTestClient[Litestar]
DOCS_PAGES = ["/api/docs", "/api/v1/docs"]
TYPES = {".css": "text/css", ".js": "text/javascript", ".png": "image/png"}


class References(HTMLParser):
    """Every URL a page makes the browser load: scripts, styles, icons, images."""

    def __init__(self) -> None:
        super().__init__()
        self.loaded: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag in ("script", "img", "iframe") and found.get("src"):
            self.loaded.append(str(found["src"]))
        if tag == "link" and found.get("href"):
            self.loaded.append(str(found["href"]))
        if tag == "a" and found.get("href"):
            self.links.append(str(found["href"]))


def references(page: str) -> References:
    parser = References()
    parser.feed(page)
    return parser


@pytest.mark.parametrize("page", DOCS_PAGES)
async def test_the_docs_pages_name_no_other_host(client: Client, page: str) -> None:
    response = await client.get(page)
    assert response.status_code == 200, response.text
    found = references(response.text)
    assert len(found.loaded) >= 3, found.loaded  # the style sheet and two scripts at least
    for url in found.loaded + found.links:
        parts = urlsplit(url)
        assert (parts.scheme, parts.netloc) == ("", ""), f"{url} is loaded from another host"
        assert url.startswith("/api/"), url
    assert not re.search(r"(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", response.text), (
        "no host anywhere on the page"
    )
    assert "<script>" not in response.text, "no inline script"


@pytest.mark.parametrize("page", DOCS_PAGES)
async def test_every_file_a_docs_page_loads_is_served(client: Client, page: str) -> None:
    listed = references((await client.get(page)).text).loaded
    for url in listed:
        asset = await client.get(url)
        assert asset.status_code == 200, url
        suffix = url[url.rindex(".") :]
        assert asset.headers["content-type"].startswith(TYPES[suffix]), url
        assert "immutable" in asset.headers["cache-control"]
        assert int(asset.headers["content-length"]) > 0
    bundle = next(url for url in listed if url.endswith("/swagger-ui-bundle.js"))
    assert f"/{swagger_ui_version()}/" in bundle, "the version is in the path"


def test_the_packaged_swagger_ui_reads_openapi_3_1() -> None:
    major = int(swagger_ui_version().split(".")[0])
    assert major >= 5, "Swagger UI 4 cannot render an OpenAPI 3.1 document"


@pytest.mark.parametrize(
    "path",
    [
        "/api/docs/assets/0.0.1/swagger-ui.css",  # another version
        "/api/docs/assets/{version}/index.html",  # in the package, not served
        "/api/docs/assets/{version}/swagger-ui-bundle.js.map",
        "/api/docs/assets/{version}/..%2F..%2F__init__.py",
    ],
)
async def test_nothing_else_is_served(client: Client, path: str) -> None:
    response = await client.get(path.format(version=swagger_ui_version()))
    assert response.status_code == 404
