"""OPTIONS on every path of the app answers `Allow` with every method the path serves, as the
route table and the OpenAPI documents say (read from the app's routes, so new paths are covered
without touching this file), and still needs a valid key on both surfaces."""

from __future__ import annotations

import re

import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient

from finite.handover.envelope import is_handover_path
from tests.factories import OrgSetup, bearer
from tests.platform.test_openapi import CRM_JSON, HANDOVER_JSON, SURFACES, fetch


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """OPTIONS answers do not depend on the database: SQLite is enough."""
    return sqlite_url


PARAMETER = re.compile(r"\{(\w+)(?::\w+)?\}")
SAMPLES = {"module": "leads", "record_id": "1", "filename": "leads.csv"}


def concrete(path_format: str) -> str:
    return PARAMETER.sub(lambda found: SAMPLES.get(found.group(1), "x1"), path_format)


def http_routes(app: Litestar) -> list[HTTPRoute]:
    routes = [route for route in app.routes if isinstance(route, HTTPRoute)]
    assert len(routes) > 30, "the app's routes were read"
    return routes


def key_for(path: str, org: OrgSetup) -> dict[str, str]:
    if is_handover_path(path):
        return bearer(org.handover_key)
    return bearer(org.crm_key) if path.startswith("/api/") else {}


async def test_options_allows_every_method_of_the_path(
    app: Litestar, client: AsyncTestClient[Litestar], org: OrgSetup
) -> None:
    wrong = {}
    for route in http_routes(app):
        path = concrete(route.path_format)
        response = await client.options(path, headers=key_for(path, org))
        assert response.status_code == 204, (path, response.text)
        allowed = {method.strip() for method in response.headers["allow"].split(",")}
        expected = {str(method) for method in route.route_handler_map}
        if allowed != expected:
            wrong[route.path_format] = (sorted(allowed), sorted(expected))
    assert not wrong, wrong


@pytest.mark.parametrize("url", [HANDOVER_JSON, CRM_JSON])
async def test_options_allows_what_the_document_describes(
    client: AsyncTestClient[Litestar], org: OrgSetup, url: str
) -> None:
    _, prefix = SURFACES[url]
    document = await fetch(client, url)
    for path, item in document["paths"].items():
        served = concrete(prefix + path)
        response = await client.options(served, headers=key_for(served, org))
        assert response.status_code == 204, (served, response.text)
        allowed = {method.strip().lower() for method in response.headers["allow"].split(",")}
        assert allowed == set(item) | {"options"}, served


async def test_options_needs_a_valid_key_on_both_surfaces(
    app: Litestar, client: AsyncTestClient[Litestar]
) -> None:
    for route in http_routes(app):
        path = concrete(route.path_format)
        if not path.startswith("/api/") or "openapi.json" in path or "/docs" in path:
            continue
        for headers in ({}, bearer("fsk_not_a_key")):
            response = await client.options(path, headers=headers)
            assert response.status_code == 401, (path, response.status_code)
