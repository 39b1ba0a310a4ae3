"""Resource limits, in process, over every route: page sizes past the documented maximum, JSON
nested deeply, bodies past the 1 MiB cap (2 and 10 MB), big arrays and strings under it, long
query values. Each answers the documented 4xx in its surface's shape — never a 5xx — and
changes nothing. The server's own limits (headers, slow bodies, memory) are in
test_server_limits.py."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from litestar import Litestar

from finite.app import MAX_BODY_BYTES
from finite.kit.db import Database
from tests.adversarial.routes import BODY_METHODS, Route, api_routes
from tests.adversarial.world import Client, Tenant, World
from tests.platform.test_request_bodies import row_counts

HUGE = 10**9
PAGE_SIZES = ("limit", "per_page")
JSON = {"Content-Type": "application/json"}


def keys_of(tenant: Tenant, route: Route) -> dict[str, str]:
    return tenant.handover if route.handover else tenant.crm


def error_of(route: Route, response: Any) -> tuple[str, list[dict[str, Any]]]:
    """(code, details), checking the surface's error shape and its request id."""
    body = response.json()
    if route.handover:
        assert body["data"] is None, body
        assert body["meta"]["request_id"] == response.headers["X-Request-ID"]
        return body["error"]["code"], body["error"]["details"]
    assert body["request_id"] == response.headers["X-Request-ID"], body
    return body["code"], body["details"]


# Routes that stream a body bigger than the JSON cap, with a cap of their own (and tested there).
OWN_CAP = {
    "POST /api/import/{filename:str}": "a CSV file up to FINITE_IMPORT_MAX_MB: "
    "tests/crm/imports/test_import.py::test_an_upload_past_its_cap_is_413",
}


def body_routes(app: Litestar) -> list[Route]:
    """Every POST, PUT and PATCH (a body past the cap is refused even where none is read)."""
    return [route for route in api_routes(app) if route.method in BODY_METHODS]


async def documented_paths(client: Client) -> dict[str, Any]:
    """Both documents' operations by full path (each document's paths follow its server's)."""
    found = {}
    for url in ("/api/openapi.json", "/api/v1/openapi.json"):
        document = (await client.get(url)).json()
        base = urlsplit(document["servers"][0]["url"]).path.rstrip("/")
        found.update({base + path: item for path, item in document["paths"].items()})
    return found


async def documented_page_sizes(client: Client) -> dict[tuple[str, str], dict[str, Any]]:
    """(path, parameter) → its schema, for every page-size parameter both documents declare."""
    found = {}
    for path, operations in (await documented_paths(client)).items():
        for parameter in operations.get("get", {}).get("parameters", []):
            if parameter.get("in") == "query" and parameter["name"] in PAGE_SIZES:
                found[(path, parameter["name"])] = parameter["schema"]
    return found


async def test_page_sizes_past_the_documented_maximum_are_refused(
    app: Litestar, client: Client, world: World
) -> None:
    a = world.a
    documented = await documented_page_sizes(client)
    assert len(documented) >= 7, documented
    gets = {route.openapi_path: route for route in api_routes(app) if route.method == "GET"}
    for (path, name), schema in documented.items():
        route = gets[path]
        maximum = schema["maximum"]
        assert maximum <= 200, (path, name, schema)
        url = route.fill(a.ids)
        for size in (maximum + 1, HUGE, 10**30, -1, 0):
            response = await client.get(url, params={name: str(size)}, headers=keys_of(a, route))
            assert response.status_code == 400, (path, name, size, response.text)
            code, details = error_of(route, response)
            assert code == "VALIDATION_ERROR"
            assert [d["field"] for d in details] == [name], (path, details)
        biggest = await client.get(url, params={name: str(maximum)}, headers=keys_of(a, route))
        assert biggest.status_code == 200, (path, name, biggest.text)


async def test_bodies_past_the_cap_are_413_on_every_route(
    app: Litestar, client: Client, db: Database, world: World
) -> None:
    """2 MB and 10 MB bodies: 413 PAYLOAD_TOO_LARGE, on routes that read no body too. (Bodies
    without a Content-Length: test_server_limits.py.)"""
    a = world.a
    before = await row_counts(db)
    for size in (2 * MAX_BODY_BYTES, 10 * MAX_BODY_BYTES):
        body = json.dumps({"name": "x" * size}).encode()
        for route in body_routes(app):
            if str(route) in OWN_CAP:
                continue
            response = await client.request(
                route.method, route.fill(a.ids), content=body, headers={**keys_of(a, route), **JSON}
            )
            assert response.status_code == 413, (str(route), response.text[:300])
            assert error_of(route, response)[0] == "PAYLOAD_TOO_LARGE"

    assert await row_counts(db) == before


async def test_deep_json_is_400_on_every_body_route(
    app: Litestar, client: Client, world: World
) -> None:
    a = world.a
    for body in (b"[" * 100_000, b'{"name": ' + b"[" * 5000 + b"]" * 5000 + b"}"):
        for route in body_routes(app):
            if not route.takes_body:
                continue
            response = await client.request(
                route.method, route.fill(a.ids), content=body, headers={**keys_of(a, route), **JSON}
            )
            assert response.status_code == 400, (str(route), response.text[:300])
            code, details = error_of(route, response)
            assert code == "VALIDATION_ERROR"
            assert details[0]["field"] == "body", (str(route), details)


def big_bodies(a: Tenant) -> list[tuple[str, str, Any]]:
    """Bodies just under the cap: one huge string or one huge array in a field each route
    takes."""
    text = "x" * (MAX_BODY_BYTES - 4096)
    many = list(range(100_000))
    names = ["leads"] * 100_000
    pack = f"/api/v1/projects/{a.ids['project_id']}/pack"
    boundary = {"durationDays": 1, "included": [], "excluded": []}
    return [
        ("POST", "/api/records/leads", {"name": text}),
        ("POST", "/api/records/leads", {"name": "ok", "description": text}),
        ("POST", "/api/records/leads", {"name": many}),
        (
            "POST",
            "/api/records/quotes",
            {
                "subject": "q",
                "line_items": [{"description": "w", "quantity": 1, "list_price": 1}] * 12_000,
            },
        ),
        ("PUT", f"/api/records/leads/{a.ids['record_id']}", {"description": text}),
        ("POST", "/api/webhooks", {"url": "http://127.0.0.1:9/" + text}),
        ("POST", "/api/webhooks", {"url": "http://127.0.0.1:9/", "modules": [*names, "x"]}),
        ("POST", "/api/webhooks", {"url": "http://127.0.0.1:9/", "events": ["x"] * 100_000}),
        ("PUT", "/api/roles/Standard", {"permissions": {f"m{n}": ["view"] for n in range(50_000)}}),
        ("PUT", "/api/roles/Standard", {"permissions": {"leads": ["nope"] * 120_000}}),
        ("POST", "/api/keys", {"name": text}),
        (
            "POST",
            "/api/modules/leads/fields",
            {
                "key": "cf_big",
                "label": "B",
                "type": "picklist",
                "options": [str(n) for n in range(100_000)],
            },
        ),
        ("POST", "/api/v1/clients", {"name": text, "email": "big@example.com"}),
        ("POST", "/api/v1/keys", {"name": "k", "scopes": ["nope"] * 120_000}),
        (
            "PUT",
            pack,
            {"scopeSummary": text, "sections": [], "credentials": [], "supportBoundary": boundary},
        ),
        (
            "PUT",
            pack,
            {
                "scopeSummary": "s",
                "sections": [{"kind": "access", "title": "t"}] * 30_000,
                "credentials": [],
                "supportBoundary": boundary,
            },
        ),
        (
            "PUT",
            pack,
            {
                "scopeSummary": "s",
                "sections": [],
                "credentials": [],
                "supportBoundary": {**boundary, "included": ["x"] * 150_000},
            },
        ),
        ("POST", f"{pack}/credentials", {"platform": "p", "password": text}),
        (
            "POST",
            "/api/v1/templates",
            {
                "name": "t",
                "projectType": "big",
                "sections": [{"kind": "access", "title": "t"}] * 30_000,
            },
        ),
    ]


async def test_big_arrays_and_strings_are_refused_and_change_nothing(
    client: Client, db: Database, world: World
) -> None:
    a = world.a
    before = await row_counts(db)
    for method, path, body in big_bodies(a):
        raw = json.dumps(body).encode()
        assert len(raw) <= MAX_BODY_BYTES, (path, len(raw))
        headers = {**(a.handover if path.startswith("/api/v1/") else a.crm), **JSON}
        response = await client.request(method, path, content=raw, headers=headers)
        assert response.status_code == 400, (method, path, response.text[:300])
        assert len(response.content) < 64 * 1024, (method, path, "the error echoes the input")
    assert await row_counts(db) == before


async def test_long_query_values_are_refused(app: Litestar, client: Client, world: World) -> None:
    """Every GET with a 30 KB value in each query parameter its document names: 400 or, where
    the value is taken as it is (a search), 200 — never 5xx."""
    a = world.a
    long_value = "x" * 30_000
    documents = await documented_paths(client)
    for route in api_routes(app):
        if route.method != "GET":
            continue
        for parameter in documents[route.openapi_path]["get"].get("parameters", []):
            if parameter["in"] != "query":
                continue
            response = await client.get(
                route.fill(a.ids), params={parameter["name"]: long_value}, headers=keys_of(a, route)
            )
            assert response.status_code == 400, (str(route), parameter["name"], response.text[:300])
            # An error may quote the value (in its message and its details), no more.
            assert len(response.content) < 2 * len(long_value) + 4096, str(route)


async def test_a_huge_list_of_one_name_is_stored_once(client: Client, world: World) -> None:
    """100,000 copies of one module or event: accepted as that one name, nothing stored big."""
    body = {"url": "http://127.0.0.1:9/", "modules": ["leads"] * 100_000, "events": ["*"]}
    created = await client.post("/api/webhooks", json=body, headers=world.a.crm)
    assert created.status_code == 201, created.text[:300]
    assert created.json()["modules"] == ["leads"]
    assert len(created.content) < 4096
