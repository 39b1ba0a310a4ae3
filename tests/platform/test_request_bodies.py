"""Request bodies on both surfaces (platform/request_bodies.py): JSON only (415 for any other
type), nested at most MAX_JSON_DEPTH levels (400, never a 500 from a RecursionError), and
nothing written either way. The routes are read from the app's own route table, so a new
endpoint that takes a body is covered without touching this file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from finite.handover.envelope import is_handover_path
from finite.kit.db import Database
from finite.models import Base
from finite.platform.openapi_hints import hints_of
from finite.platform.request_bodies import MAX_JSON_DEPTH, deeper_than, is_json_media_type
from tests.factories import OrgSetup, bearer

Client = AsyncTestClient[Litestar]

BODY_METHODS = ("POST", "PUT", "PATCH")
PATH_VALUES = {
    "module": "leads",
    "key": "no_such_field",
    "role": "no_such_role",
    "filename": "leads.csv",
}


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    takes_body: bool
    json: bool = True  # the body it takes is JSON (the CSV import's is text/csv)

    @property
    def handover(self) -> bool:
        return is_handover_path(self.path)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def body_method_calls(app: Litestar) -> list[Call]:
    """Every POST, PUT and PATCH of both surfaces, its path parameters filled in; `takes_body`
    when the handler reads a JSON body (a `data` parameter or a body declared for OpenAPI)."""
    calls = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith("/api/"):
            continue
        path = route.path_format
        for parameter in route.path_parameters.values():
            value = "1" if parameter.type is int else PATH_VALUES.get(parameter.name, "none_1")
            path = path.replace("{" + parameter.name + "}", value)
        for method, (handler, _) in route.route_handler_map.items():
            if method in BODY_METHODS:
                hints = hints_of(handler.opt)
                takes_body = (
                    "data" in handler.parsed_fn_signature.parameters or hints.body is not None
                )
                json = hints.body_media_type == "application/json"
                calls.append(Call(method, path, takes_body, json))
    return calls


def key_for(call: Call, org: OrgSetup) -> dict[str, str]:
    return bearer(org.handover_key if call.handover else org.crm_key)


def error_of(call: Call, response: Any) -> tuple[str, list[dict[str, Any]]]:
    """(code, details) in the surface's own shape, with the request id."""
    body = response.json()
    if call.handover:
        assert body["data"] is None
        assert body["meta"]["request_id"] == response.headers["X-Request-ID"]
        return body["error"]["code"], body["error"]["details"]
    assert set(body) == {"error", "code", "details", "request_id"}
    assert body["request_id"] == response.headers["X-Request-ID"]
    return body["code"], body["details"]


# Rows that come and go without any call: the audit log's (failed calls are audited) and
# PostgreSQL's count deltas, folded into their counters in the background every second.
_CHANGING_ON_THEIR_OWN = ("audit", "crm_count_deltas")


async def row_counts(db: Database) -> dict[str, int]:
    """Rows in every table but those that change on their own."""
    counts = {}
    async with db.read() as session:
        for table in Base.metadata.sorted_tables:
            if not table.name.startswith(_CHANGING_ON_THEIR_OWN):
                counts[table.name] = (
                    await session.execute(select(func.count()).select_from(table))
                ).scalar_one()
    return counts


def test_the_route_table_has_body_routes_on_both_surfaces(app: Litestar) -> None:
    calls = [call for call in body_method_calls(app) if call.takes_body]
    assert {call.handover for call in calls} == {True, False}
    assert len(calls) >= 20  # a route that stops reading its body would drop out unnoticed


# --- nesting --------------------------------------------------------------------------------


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


DEEP_BODIES = {
    "1,000 levels": nested(1000),
    "1,000 levels in a member": b'{"name": "x", "title": ' + nested(1000) + b"}",
    "one level past the limit": b'{"name": ' + nested(MAX_JSON_DEPTH) + b"}",
    "100,000 levels, unclosed": b"[" * 100_000,
}


@pytest.mark.parametrize("body", DEEP_BODIES.values(), ids=DEEP_BODIES.keys())
async def test_deeply_nested_json_is_400_on_every_route_and_writes_nothing(
    app: Litestar, client: Client, db: Database, org: OrgSetup, body: bytes
) -> None:
    before = await row_counts(db)
    wrong = []
    for call in body_method_calls(app):
        headers = {**key_for(call, org), "Content-Type": "application/json"}
        response = await client.request(call.method, call.path, content=body, headers=headers)
        if response.status_code >= 500:
            wrong.append(f"{call}: {response.status_code} {response.text[:200]}")
        elif call.takes_body and not call.json:  # JSON is not its type at all
            if response.status_code != 415:
                wrong.append(f"{call}: {response.status_code} {response.text[:200]}")
        elif call.takes_body:
            code, details = error_of(call, response)
            if response.status_code != 400 or code != "VALIDATION_ERROR":
                wrong.append(f"{call}: {response.status_code} {response.text[:200]}")
            elif body.startswith(b"{") and details[0]["field"] != "body":
                wrong.append(f"{call}: names {details}")
            elif body.startswith(b"{") and "nested too deeply" not in details[0]["message"]:
                wrong.append(f"{call}: says {details}")
    assert wrong == []
    assert await row_counts(db) == before


# --- the body's type ------------------------------------------------------------------------

NOT_JSON = {
    "text/plain": "text/plain",
    "form": "application/x-www-form-urlencoded",
    "multipart": "multipart/form-data; boundary=finite",
    "no Content-Type": None,
    "text/json": "text/json",
    "json as a parameter": "text/plain; format=application/json",
}


@pytest.mark.parametrize("content_type", NOT_JSON.values(), ids=NOT_JSON.keys())
async def test_a_body_that_is_not_json_is_415_on_every_route_and_writes_nothing(
    app: Litestar, client: Client, db: Database, org: OrgSetup, content_type: str | None
) -> None:
    before = await row_counts(db)
    wrong = []
    body = b'{"name": "Not JSON by its type", "url": "http://127.0.0.1:9/hooks"}'
    for call in body_method_calls(app):
        if not call.takes_body:
            continue
        headers = key_for(call, org)
        if content_type is not None:
            headers["Content-Type"] = content_type
        response = await client.request(call.method, call.path, content=body, headers=headers)
        assert "content-type" in response.request.headers or content_type is None
        code, details = error_of(call, response)
        if response.status_code != 415 or code != "UNSUPPORTED_MEDIA_TYPE":
            wrong.append(f"{call}: {response.status_code} {response.text[:200]}")
        elif details[0]["field"] != "Content-Type":
            wrong.append(f"{call}: names {details}")
    assert wrong == []
    assert await row_counts(db) == before


JSON_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "Application/JSON;charset=UTF-8",
    "application/merge-patch+json",
    "application/vnd.finite+json; charset=utf-8",
]


@pytest.mark.parametrize("content_type", JSON_TYPES)
async def test_json_types_are_taken_on_both_surfaces(
    client: Client, org: OrgSetup, content_type: str
) -> None:
    headers = {**bearer(org.crm_key), "Content-Type": content_type}
    created = await client.post("/api/keys", content=b'{"name": "typed"}', headers=headers)
    assert created.status_code == 201, created.text
    headers = {**bearer(org.handover_key), "Content-Type": content_type}
    created = await client.post(
        "/api/v1/clients",
        content=b'{"name": "Typed", "email": "typed@example.com"}',
        headers=headers,
    )
    assert created.status_code == 201, created.text
    client_id = created.json()["data"]["id"]
    changed = await client.patch(
        f"/api/v1/clients/{client_id}", content=b'{"name": "Retyped"}', headers=headers
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["data"]["name"] == "Retyped"


async def test_calls_without_a_body_need_no_content_type(client: Client, org: OrgSetup) -> None:
    created = await client.post(
        "/api/webhooks", json={"url": "http://127.0.0.1:9/hooks"}, headers=bearer(org.crm_key)
    )
    assert created.status_code == 201, created.text
    webhook = f"/api/webhooks/{created.json()['id']}"
    rotated = await client.post(f"{webhook}/rotate-secret", headers=bearer(org.crm_key))
    assert "content-type" not in rotated.request.headers
    assert rotated.status_code == 200, rotated.text
    deleted = await client.delete(webhook, headers=bearer(org.crm_key))
    assert deleted.status_code == 204, deleted.text
    # A route that takes a body, sent none: the body is missing (400), not of the wrong type.
    for path, key in (("/api/keys", org.crm_key), ("/api/v1/clients", org.handover_key)):
        response = await client.post(path, headers=bearer(key))
        assert response.status_code == 400, response.text


async def test_malformed_json_names_the_body_on_both_surfaces(
    client: Client, org: OrgSetup
) -> None:
    for path, key in (("/api/keys", org.crm_key), ("/api/v1/keys", org.handover_key)):
        call = Call("POST", path, takes_body=True)
        headers = {**bearer(key), "Content-Type": "application/json"}
        response = await client.post(path, content=b'{"name": ', headers=headers)
        assert response.status_code == 400, response.text
        assert error_of(call, response) == (
            "VALIDATION_ERROR",
            [{"field": "body", "message": "must be valid JSON"}],
        )


# --- the checks themselves ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "is_json"),
    [
        ("application/json", True),
        (" application/json ; charset=utf-8", True),
        ("APPLICATION/JSON", True),
        ("application/problem+json", True),
        ("application/+json", False),
        ("application/jsonp", False),
        ("application/json-seq", False),
        ("text/json", False),
        ("text/plain", False),
        ("application/x-www-form-urlencoded", False),
        ("", False),
    ],
)
def test_json_media_types(content_type: str, is_json: bool) -> None:
    assert is_json_media_type(content_type) is is_json


@pytest.mark.parametrize(
    ("raw", "too_deep"),
    [
        (nested(MAX_JSON_DEPTH), False),
        (nested(MAX_JSON_DEPTH + 1), True),
        (b'{"a": ' * (MAX_JSON_DEPTH - 1) + b"[]" + b"}" * (MAX_JSON_DEPTH - 1), False),
        (b'[{"a": ' * 16 + b"1" + b"}]" * 16, False),
        (b'[{"a": ' * 16 + b"[]" + b"}]" * 16, True),
        (b"[" + b",".join([nested(MAX_JSON_DEPTH - 1)] * 500) + b"]", False),
        (b"[" + b",".join([b"[]"] * 500 + [nested(MAX_JSON_DEPTH)]) + b"]", True),
        (b'["' + b"[" * 100 + b'"]', False),  # brackets inside a string
        (b'"' + b"{" * 100 + b'"', False),
    ],
)
def test_nesting_depth(raw: bytes, too_deep: bool) -> None:
    assert deeper_than(MAX_JSON_DEPTH, raw, msgspec.json.decode(raw)) is too_deep


@pytest.mark.parametrize("url", ["/api/openapi.json", "/api/v1/openapi.json"])
async def test_the_documents_show_415_where_a_body_is_taken(client: Client, url: str) -> None:
    document = (await client.get(url)).json()
    with_body = 0
    for item in document["paths"].values():
        for method, operation in item.items():
            if method in {"post", "put", "patch", "delete"}:
                takes_body = "requestBody" in operation
                assert ("415" in operation["responses"]) is takes_body, (method, operation)
                with_body += takes_body
    assert with_body >= 5
    assert (
        "UNSUPPORTED_MEDIA_TYPE"
        in document["components"]["responses"]["UnsupportedMediaType"]["description"]
    )
