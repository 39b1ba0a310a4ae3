"""Per-plan request limits: moving window, 429 with exact Retry-After, headers on every answer."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import AsyncIterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from finite.app import create_app
from finite.config import Settings
from finite.core.accounts.service import PlanChoice, set_plan
from finite.core.plans.catalog import CRM_PLANS
from finite.core.ratelimit import limiter
from finite.core.ratelimit.limiter import RateLimiter, redis_client
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.kit.ids import new_id
from tests import backends
from tests.concurrency import concurrent_client
from tests.factories import bearer, make_org

Client = AsyncTestClient[Litestar]
FREE = PlanChoice("free")


@pytest.fixture(params=["memory", "redis"])
def limiter_redis_url(request: pytest.FixtureRequest) -> str | None:
    if request.param == "memory":
        return None
    return str(request.getfixturevalue("redis_url"))


@pytest.fixture
async def limited_client(
    settings: Settings, limiter_redis_url: str | None
) -> AsyncIterator[Client]:
    app = create_app(dataclasses.replace(settings, redis_url=limiter_redis_url))
    async with AsyncTestClient(app) as client:
        yield client


async def test_the_61st_request_in_a_minute_on_free_is_429(
    limited_client: Client, db: Database, peppers: Peppers
) -> None:
    org = await make_org(db, peppers, crm=FREE, handover=PlanChoice("agency"))
    for number in range(1, 61):
        response = await limited_client.get("/api/me", headers=bearer(org.crm_key))
        assert response.status_code == 200, number
        assert response.headers["RateLimit-Policy"] == '"default";q=60;w=60'
        assert response.headers["X-RateLimit-Limit"] == "60"
        assert response.headers["X-RateLimit-Remaining"] == str(60 - number)
        assert response.headers["RateLimit"].startswith(f'"default";r={60 - number};t=')
    refused = await limited_client.get("/api/me", headers=bearer(org.crm_key))
    assert refused.status_code == 429
    body = refused.json()
    assert body["code"] == "RATE_LIMITED"
    assert body["request_id"] == refused.headers["X-Request-ID"]
    retry_after = int(refused.headers["Retry-After"])
    assert 55 <= retry_after <= 60
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    reset_at = int(refused.headers["X-RateLimit-Reset"])
    assert abs(reset_at - (time.time() + retry_after)) <= 2
    # The handover product is counted on its own.
    assert (
        await limited_client.get("/api/v1/auth", headers=bearer(org.handover_key))
    ).status_code == 200


async def test_429_on_the_handover_surface_is_inside_the_envelope(
    limited_client: Client, db: Database, peppers: Peppers
) -> None:
    org = await make_org(db, peppers, handover=PlanChoice("pro"))
    async with db.transaction() as session:
        await set_plan(session, org.org_id, "handover", PlanChoice("pro"), rpm_override=2)
    for _ in range(2):
        assert (
            await limited_client.get("/api/v1/me", headers=bearer(org.handover_key))
        ).status_code == 200
    refused = await limited_client.get("/api/v1/me", headers=bearer(org.handover_key))
    assert refused.status_code == 429
    body = refused.json()
    assert body["data"] is None
    assert body["error"]["code"] == "RATE_LIMITED"
    assert body["meta"]["request_id"] == refused.headers["X-Request-ID"]
    assert int(refused.headers["Retry-After"]) >= 1


async def test_100_parallel_requests_against_60_admit_exactly_60(
    settings: Settings,
    limiter_redis_url: str | None,
    db: Database,
    peppers: Peppers,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Exactness is the point here, not the outage fallback (tested apart): 100 requests opening
    # Redis connections at once on a busy CI machine can pass the 0.5 s production timeout.
    monkeypatch.setattr(limiter, "REDIS_TIMEOUT_SECONDS", 5.0)
    org = await make_org(db, peppers, crm=FREE)
    app = create_app(dataclasses.replace(settings, redis_url=limiter_redis_url))
    async with concurrent_client(app) as client:
        responses = await asyncio.gather(
            *(client.get("/api/me", headers=bearer(org.crm_key)) for _ in range(100))
        )
    statuses = [response.status_code for response in responses]
    assert statuses.count(200) == 60
    assert statuses.count(429) == 40


async def test_other_organizations_are_counted_apart(
    limited_client: Client, db: Database, peppers: Peppers
) -> None:
    first = await make_org(db, peppers, crm=FREE)
    second = await make_org(db, peppers, crm=FREE)
    async with db.transaction() as session:
        await set_plan(session, first.org_id, "crm", FREE, rpm_override=1)
    assert (await limited_client.get("/api/me", headers=bearer(first.crm_key))).status_code == 200
    assert (await limited_client.get("/api/me", headers=bearer(first.crm_key))).status_code == 429
    assert (await limited_client.get("/api/me", headers=bearer(second.crm_key))).status_code == 200


@pytest.mark.parametrize("storage", ["memory", "redis"])
async def test_a_burst_at_the_window_edge_does_not_double_the_limit(
    storage: str, request: pytest.FixtureRequest
) -> None:
    """A fixed window would admit 5 just before a boundary and 5 more just after; ours admits 5."""
    redis_url = None if storage == "memory" else str(request.getfixturevalue("redis_url"))
    window = 2
    client = redis_client(redis_url) if redis_url else None
    limiter = RateLimiter(client, window_seconds=window)
    org_id = new_id("org")
    try:
        # Start just before an even second, the edge of a fixed 2-second window.
        await asyncio.sleep(window - (time.time() % window) - 0.15)
        first = [await limiter.hit(org_id, "crm", 5) for _ in range(5)]
        await asyncio.sleep(0.3)  # now past the fixed-window boundary
        second = [await limiter.hit(org_id, "crm", 5) for _ in range(5)]
        assert all(d.allowed for d in first)
        assert not any(d.allowed for d in second)
        await asyncio.sleep(window)  # the first burst has left the moving window
        assert (await limiter.hit(org_id, "crm", 5)).allowed
    finally:
        if client is not None:
            await client.aclose()


async def test_with_redis_down_requests_are_served_and_still_limited(
    settings: Settings, db: Database, peppers: Peppers, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(dataclasses.replace(settings, redis_url="redis://127.0.0.1:1/0"))
    org = await make_org(db, peppers, crm=FREE)
    async with db.transaction() as session:
        await set_plan(session, org.org_id, "crm", FREE, rpm_override=3)
    caplog.set_level(logging.WARNING, logger="finite.ratelimit")
    async with AsyncTestClient(app) as client:
        statuses = [
            (await client.get("/api/me", headers=bearer(org.crm_key))).status_code for _ in range(4)
        ]
    assert statuses == [200, 200, 200, 429]
    assert app.state.platform.limiter.redis_failures >= 1
    assert any("counting in process memory" in record.message for record in caplog.records)


@pytest.mark.parametrize("plan", list(CRM_PLANS))
async def test_each_crm_plans_numbers_appear_in_the_limits_object(
    client: Client, db: Database, peppers: Peppers, plan: str
) -> None:
    org = await make_org(db, peppers, crm=PlanChoice(plan))
    response = await client.get("/api/keys", headers=bearer(org.crm_key))
    limits = response.json()["limits"]
    expected = CRM_PLANS[plan]
    assert limits["plan"] == plan
    assert limits["status"] == "active"
    assert limits["requests_per_minute"] == expected.requests_per_minute
    assert limits["webhook_endpoints"] == expected.webhook_endpoints
    assert limits["remaining"] == expected.requests_per_minute - 1
    assert response.headers["X-RateLimit-Limit"] == str(expected.requests_per_minute)


async def test_trials_overrides_and_expiry_in_the_limits_object(
    client: Client, db: Database, peppers: Peppers
) -> None:
    from datetime import timedelta

    org = await make_org(db, peppers, crm=PlanChoice("standard", "trial"))
    limits = (await client.get("/api/keys", headers=bearer(org.crm_key))).json()["limits"]
    assert (limits["status"], limits["requests_per_minute"], limits["webhook_endpoints"]) == (
        "trial",
        480,
        25,
    )
    assert limits["trial_ends_at"] is not None

    async with db.transaction() as session:
        lapsed = PlanChoice("standard", "trial", utcnow() - timedelta(seconds=1))
        await set_plan(session, org.org_id, "crm", lapsed)
    limits = (await client.get("/api/keys", headers=bearer(org.crm_key))).json()["limits"]
    assert (limits["status"], limits["effective_plan"], limits["requests_per_minute"]) == (
        "expired",
        "free",
        60,
    )

    async with db.transaction() as session:
        await set_plan(
            session,
            org.org_id,
            "crm",
            PlanChoice("professional"),
            rpm_override=5000,
            webhooks_override=99,
        )
    limits = (await client.get("/api/keys", headers=bearer(org.crm_key))).json()["limits"]
    assert (limits["requests_per_minute"], limits["webhook_endpoints"]) == (5000, 99)


def test_redis_is_reachable_when_ci_requires_it() -> None:
    if backends.REQUIRE_REDIS:
        assert backends.redis_reachable()
