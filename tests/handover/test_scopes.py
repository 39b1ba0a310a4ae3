"""Scopes are checked before the body is read, on every handover route."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.testing import AsyncTestClient

from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from tests.factories import OrgSetup, bearer, make_handover_key

Client = AsyncTestClient[Litestar]
ANY_KEY_ROUTES = {"/api/v1/auth", "/api/v1/me"}


def handover_handlers(app: Litestar) -> list[tuple[str, str, dict[str, object]]]:
    found = []
    for route in app.routes:
        if not route.path.startswith("/api/v1/") or "openapi" in route.path:
            continue
        for handler in getattr(route, "route_handlers", []):
            for method in handler.http_methods - {"OPTIONS", "HEAD"}:
                found.append((method, route.path, handler.opt))
    return found


def test_every_route_but_auth_and_me_names_its_scope(app: Litestar) -> None:
    handlers = handover_handlers(app)
    assert len(handlers) > 20
    for method, path, opt in handlers:
        if path in ANY_KEY_ROUTES or path.endswith("/docs"):
            continue
        assert opt.get("scope") in {"read", "write", "admin"}, (method, path)
        if method == "GET":
            assert opt["scope"] in {"read", "admin"}, (method, path)
        else:
            assert opt["scope"] in {"write", "admin"}, (method, path)


async def test_a_read_key_gets_403_even_with_an_invalid_body(
    app: Litestar, client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    read_key = await make_handover_key(db, peppers, org.org_id, ("read",))
    checked = 0
    for method, path, opt in handover_handlers(app):
        if opt.get("scope") not in {"write", "admin"}:
            continue
        url = re.sub(r"\{\w+:str\}", "x_1", path)
        response = await client.request(method, url, content=b"{not json", headers=bearer(read_key))
        assert response.status_code == 403, (method, path, response.text)
        body = response.json()
        assert body["data"] is None
        assert body["error"]["code"] == "FORBIDDEN"
        assert opt["scope"] in body["error"]["message"]
        checked += 1
    assert checked >= 10


async def test_a_write_key_cannot_manage_templates_or_keys(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    write_key = await make_handover_key(db, peppers, org.org_id, ("read", "write"))
    for method, path in (("POST", "/api/v1/templates"), ("GET", "/api/v1/keys")):
        response = await client.request(method, path, json={}, headers=bearer(write_key))
        assert response.status_code == 403, (method, path)
        assert "'admin'" in response.json()["error"]["message"]
