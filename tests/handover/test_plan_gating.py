"""Handover plan gating: Free has no API, Pro has auth/me/Zapier, Agency has everything."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from finite.core.accounts.service import PlanChoice
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from tests.factories import bearer, make_org

Client = AsyncTestClient[Litestar]


async def test_free_plan_has_no_api_access(client: Client, db: Database, peppers: Peppers) -> None:
    org = await make_org(db, peppers, handover=PlanChoice("free"))
    for path in ("/api/v1/auth", "/api/v1/me", "/api/v1/keys"):
        response = await client.get(path, headers=bearer(org.handover_key))
        assert response.status_code == 403, path
        body = response.json()
        assert body["data"] is None
        assert body["error"]["code"] == "PLAN_LIMIT"
        assert "free" in body["error"]["message"]


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/api/v1/auth", True),
        ("/api/v1/me", True),
        ("/api/v1/keys", False),
    ],
)
async def test_pro_plan_allows_auth_me_and_zapier_only(
    client: Client, db: Database, peppers: Peppers, path: str, allowed: bool
) -> None:
    org = await make_org(db, peppers, handover=PlanChoice("pro"))
    response = await client.get(path, headers=bearer(org.handover_key))
    if allowed:
        assert response.status_code == 200
    else:
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "PLAN_LIMIT"


async def test_agency_plan_has_the_full_api(client: Client, org: object) -> None:
    from tests.factories import OrgSetup

    assert isinstance(org, OrgSetup)
    for path in ("/api/v1/auth", "/api/v1/me", "/api/v1/keys"):
        response = await client.get(path, headers=bearer(org.handover_key))
        assert response.status_code == 200, path


async def test_an_expired_handover_trial_falls_back_to_free(
    client: Client, db: Database, peppers: Peppers
) -> None:
    from datetime import timedelta

    from finite.kit.clock import utcnow

    org = await make_org(
        db, peppers, handover=PlanChoice("agency", "trial", utcnow() - timedelta(minutes=1))
    )
    response = await client.get("/api/v1/auth", headers=bearer(org.handover_key))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "PLAN_LIMIT"


def test_the_pro_plan_reaches_exactly_auth_me_and_the_zapier_routes(app: Litestar) -> None:
    """Declared on each route (opt `plan`): every /api/v1/zapier route and nothing else but
    /auth and /me, so a new route is Agency-only unless it says otherwise."""
    from litestar.routes import HTTPRoute

    from finite.handover.plan_gate import PLAN, ZAPIER

    pro, zapier = set(), set()
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith("/api/v1/"):
            continue
        for method, (handler, _) in route.route_handler_map.items():
            if method == "OPTIONS":
                continue
            declared = handler.opt.get(PLAN)
            assert declared in (None, ZAPIER), (method, route.path, declared)
            if declared == ZAPIER:
                pro.add(f"{method} {route.path}")
            if route.path.startswith("/api/v1/zapier/"):
                zapier.add(f"{method} {route.path}")
    assert {
        "POST /api/v1/zapier/actions/create-project",
        "POST /api/v1/zapier/actions/send-pack",
    } <= zapier
    assert pro == {"GET /api/v1/auth", "GET /api/v1/me"} | zapier
