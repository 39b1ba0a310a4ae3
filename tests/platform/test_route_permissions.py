"""Every route of both surfaces declares who may call it — a CRM permission in
``opt["permission"]``, a handover scope in ``opt["scope"]``, or ANY_KEY — read from the app's
own route table, so a new route without one fails here."""

from __future__ import annotations

from litestar import Litestar
from litestar.routes import HTTPRoute

from finite.crm.auth import PERMISSION, Admin, ModuleAction
from finite.handover.auth import SCOPE
from finite.handover.envelope import is_handover_path
from finite.openapi.endpoints import PUBLIC_PATHS
from finite.platform.http import AnyKey

HANDOVER_SCOPES = {"read", "write", "admin"}


def _declared_by(path: str) -> str | None:
    """The `opt` key a path's surface checks; None for paths outside both surfaces."""
    if path in PUBLIC_PATHS:
        return None
    if is_handover_path(path):
        return SCOPE
    if path == "/api" or path.startswith("/api/"):
        return PERMISSION
    return None


def _undeclared(app: Litestar) -> list[str]:
    found = []
    for route in app.routes:
        key = _declared_by(route.path)
        if key is None or not isinstance(route, HTTPRoute):
            continue
        for method, (handler, _) in route.route_handler_map.items():
            if method == "OPTIONS":  # Litestar's own answer, for any valid key
                continue
            declared = handler.opt.get(key)
            valid = (
                isinstance(declared, ModuleAction | Admin | AnyKey)
                if key == PERMISSION
                else isinstance(declared, AnyKey) or declared in HANDOVER_SCOPES
            )
            if not valid:
                found.append(f"{method} {route.path}: {key}={declared!r}")
    return found


def test_every_api_route_declares_who_may_call_it(app: Litestar) -> None:
    assert _undeclared(app) == []


def test_both_surfaces_are_checked(app: Litestar) -> None:
    surfaces = {_declared_by(route.path) for route in app.routes}
    assert {PERMISSION, SCOPE} <= surfaces
