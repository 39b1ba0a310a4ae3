"""Request ids on every answer, and errors in each surface's own shape, never a stack trace."""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar import Litestar, get
from litestar.testing import AsyncTestClient

from finite.app import create_app
from finite.config import Settings
from finite.openapi.endpoints import PUBLIC_PATHS
from tests.factories import OrgSetup, bearer

Client = AsyncTestClient[Litestar]


def assert_crm_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"error", "code", "details", "request_id"}
    assert body["code"] == code
    assert body["request_id"] == response.headers["X-Request-ID"]
    return body


def assert_envelope_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["data"] is None
    assert body["meta"]["request_id"] == response.headers["X-Request-ID"]
    assert body["error"]["code"] == code
    return body


async def test_unknown_paths_answer_not_found_in_the_surfaces_shape(client: Client) -> None:
    assert_crm_error(await client.get("/api/nothing-here"), 404, "NOT_FOUND")
    assert_envelope_error(await client.get("/api/v1/nothing-here"), 404, "NOT_FOUND")
    response = await client.get("/nowhere")
    assert response.status_code == 404
    assert response.headers["X-Request-ID"].startswith("req_")


async def test_wrong_method_is_405(client: Client, org: OrgSetup) -> None:
    assert_crm_error(
        await client.put("/api/me", headers=bearer(org.crm_key)), 405, "METHOD_NOT_ALLOWED"
    )
    assert_envelope_error(
        await client.put("/api/v1/auth", headers=bearer(org.handover_key)),
        405,
        "METHOD_NOT_ALLOWED",
    )


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"a string"', b"null", b""])
async def test_malformed_bodies_are_400_and_create_nothing(
    client: Client, org: OrgSetup, body: bytes
) -> None:
    headers = {**bearer(org.crm_key), "Content-Type": "application/json"}
    assert_crm_error(
        await client.post("/api/keys", content=body, headers=headers), 400, "VALIDATION_ERROR"
    )
    headers = {**bearer(org.handover_key), "Content-Type": "application/json"}
    assert_envelope_error(
        await client.post("/api/v1/keys", content=body, headers=headers), 400, "VALIDATION_ERROR"
    )
    listing = (await client.get("/api/keys", headers=bearer(org.crm_key))).json()
    assert len(listing["keys"]) == 1


async def test_an_oversize_body_is_413(client: Client, org: OrgSetup) -> None:
    body = b'{"name": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    headers = {**bearer(org.crm_key), "Content-Type": "application/json"}
    assert_crm_error(
        await client.post("/api/keys", content=body, headers=headers), 413, "PAYLOAD_TOO_LARGE"
    )


async def test_unknown_fields_are_named(client: Client, org: OrgSetup) -> None:
    response = await client.post(
        "/api/keys", json={"name": "ok", "colour": "red"}, headers=bearer(org.crm_key)
    )
    body = assert_crm_error(response, 400, "VALIDATION_ERROR")
    assert body["details"] == [{"field": "colour", "message": "is not a known field"}]
    response = await client.post("/api/v1/keys", json={"name": 5}, headers=bearer(org.handover_key))
    body = assert_envelope_error(response, 400, "VALIDATION_ERROR")
    assert body["error"]["details"][0]["field"] == "name"


async def test_a_sane_client_request_id_is_echoed_and_an_insane_one_replaced(
    client: Client, org: OrgSetup
) -> None:
    response = await client.get(
        "/api/me", headers={**bearer(org.crm_key), "X-Request-ID": "abc-123.x:y"}
    )
    assert response.headers["X-Request-ID"] == "abc-123.x:y"
    for bad in ("x" * 129, "has space", "semi;colon", ""):
        response = await client.get("/healthz", headers={"X-Request-ID": bad})
        assert response.headers["X-Request-ID"].startswith("req_"), bad
    first = (await client.get("/healthz")).headers["X-Request-ID"]
    second = (await client.get("/healthz")).headers["X-Request-ID"]
    assert first != second


async def test_an_unexpected_exception_is_a_plain_500_without_internals(settings: Settings) -> None:
    app = create_app(settings)

    @get("/api/boom", sync_to_thread=False)
    def boom() -> None:
        raise RuntimeError("secret internal detail /etc/passwd")

    @get("/api/v1/boom", sync_to_thread=False)
    def boom_v1() -> None:
        raise RuntimeError("secret internal detail /etc/passwd")

    app.register(boom)
    app.register(boom_v1)
    async with AsyncTestClient(app) as client:
        crm = await client.get("/api/boom")
        body = assert_crm_error(crm, 500, "INTERNAL")
        assert "secret" not in crm.text
        assert "Traceback" not in crm.text
        assert body["request_id"] in body["error"] or "request id" in body["error"]
        v1 = await client.get("/api/v1/boom")
        assert_envelope_error(v1, 500, "INTERNAL")
        assert "secret" not in v1.text


async def test_every_api_route_requires_a_key(app: Litestar, client: Client) -> None:
    """No endpoint on either surface can be reached without authentication (the API documents
    and their docs pages are public on purpose)."""
    checked = 0
    for route in app.routes:
        if not route.path.startswith("/api") or route.path in PUBLIC_PATHS:
            continue
        path = re.sub(r"\{\w+:int\}", "1", re.sub(r"\{\w+:str\}", "leads", route.path))
        for method in route.methods - {"OPTIONS", "HEAD"}:
            response = await client.request(method, path, json={})
            assert response.status_code == 401, (method, path)
            checked += 1
    assert checked >= 20
