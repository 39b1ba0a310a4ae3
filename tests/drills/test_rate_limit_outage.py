"""Redis down (a throwaway redis-server the test kills): each process admits at most its share of
the limit, fail-closed plans answer 503, and counting returns to Redis when it is back, with the
requests admitted meanwhile added to the shared window."""

from __future__ import annotations

import asyncio
import dataclasses
import logging

import pytest
from litestar.testing import AsyncTestClient

from finite.app import create_app
from finite.config import Settings
from finite.core.accounts.service import PlanChoice, set_plan
from finite.core.ratelimit import limiter
from finite.core.ratelimit.limiter import RateLimiter, redis_client
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.kit.ids import new_id
from tests.drills import throwaway_redis
from tests.factories import bearer, make_org

pytestmark = pytest.mark.slow  # starts and kills a redis-server of its own

BACK_OFF = 1.0  # seconds between attempts to reach a Redis that failed (2 s in production)


@pytest.fixture(autouse=True)
def short_back_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limiter, "REDIS_RETRY_AFTER_SECONDS", BACK_OFF)


def outage_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "finite.ratelimit" and record.levelno >= logging.WARNING
    ]


async def window_size(url: str, org_id: str, product: str) -> int:
    client = redis_client(url)
    try:
        return int(await client.zcard(f"rl:{{{org_id}}}:{product}"))
    finally:
        await client.aclose()


async def test_with_redis_down_a_process_admits_its_share_then_counts_in_redis_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="finite.ratelimit")
    org_id = new_id("org")
    with throwaway_redis() as redis_server:
        client = redis_client(redis_server.url)
        # One of two server processes: while Redis is down it may admit 10 / 2 = 5 a minute.
        one_of_two = RateLimiter(client, processes=2)
        try:
            for _ in range(4):
                assert (await one_of_two.hit(org_id, "crm", 10)).allowed
            assert await window_size(redis_server.url, org_id, "crm") == 4

            redis_server.kill()
            during = [await one_of_two.hit(org_id, "crm", 10) for _ in range(20)]
            assert [d.allowed for d in during] == [True] * 5 + [False] * 15
            assert all(d.limit == 10 for d in during)
            assert during[0].remaining == 4
            assert all(1 <= d.reset_after <= 60 for d in during if not d.allowed)
            # Twenty requests, one attempt at the dead Redis: the rest waited out the back-off.
            assert one_of_two.redis_failures == 1

            await asyncio.sleep(BACK_OFF + 0.2)
            assert not (await one_of_two.hit(org_id, "crm", 10)).allowed  # tried again, failed
            assert one_of_two.redis_failures == 2
            assert len(outage_warnings(caplog)) == 1, outage_warnings(caplog)  # logged once

            redis_server.start()  # back, empty: it lost the window with everything else
            await asyncio.sleep(BACK_OFF + 0.2)
            back = await one_of_two.hit(org_id, "crm", 10)
            assert back.allowed
            # Counted in the shared window, which now also holds the 5 admitted in the outage.
            assert back.remaining == 4
            assert await window_size(redis_server.url, org_id, "crm") == 6
            for _ in range(4):
                assert (await one_of_two.hit(org_id, "crm", 10)).allowed
            assert not (await one_of_two.hit(org_id, "crm", 10)).allowed
            assert await window_size(redis_server.url, org_id, "crm") == 10
            assert one_of_two.redis_failures == 2
            messages = [r.getMessage() for r in caplog.records if r.name == "finite.ratelimit"]
            assert len(outage_warnings(caplog)) == 1
            assert any("answers again" in message for message in messages), messages
        finally:
            await client.aclose()


async def test_a_share_is_at_least_one_request() -> None:
    """A limit below the process count still lets each process serve one request a minute."""
    org_id = new_id("org")
    with throwaway_redis() as redis_server:
        client = redis_client(redis_server.url)
        four = RateLimiter(client, processes=4)
        try:
            redis_server.kill()
            decisions = [await four.hit(org_id, "crm", 2) for _ in range(3)]
            assert [d.allowed for d in decisions] == [True, False, False]
        finally:
            await client.aclose()


async def test_fail_closed_plans_answer_503_while_redis_is_down(
    settings: Settings, db: Database, peppers: Peppers
) -> None:
    org = await make_org(db, peppers, crm=PlanChoice("free"), handover=PlanChoice("agency"))
    async with db.transaction() as session:
        await set_plan(session, org.org_id, "handover", PlanChoice("agency"), rpm_override=4)
    with throwaway_redis() as redis_server:
        app = create_app(
            dataclasses.replace(
                settings,
                redis_url=redis_server.url,
                processes=2,
                rate_limit_fail_closed=frozenset({"free"}),
            )
        )
        async with AsyncTestClient(app) as client:
            assert (await client.get("/api/me", headers=bearer(org.crm_key))).status_code == 200

            redis_server.kill()
            refused = await client.get("/api/me", headers=bearer(org.crm_key))
            assert refused.status_code == 503, refused.text
            body = refused.json()
            assert body["code"] == "UNAVAILABLE"
            assert body["request_id"] == refused.headers["X-Request-ID"]
            assert 1 <= int(refused.headers["Retry-After"]) <= 5
            # The handover API inside its envelope; its plan (agency) is not in the list, so it
            # is served up to this process's share, 4 / 2 = 2.
            statuses = [
                (await client.get("/api/v1/me", headers=bearer(org.handover_key))).status_code
                for _ in range(3)
            ]
            assert statuses == [200, 200, 429]

            redis_server.start()
            await asyncio.sleep(BACK_OFF + 0.2)
            again = await client.get("/api/me", headers=bearer(org.crm_key))
            assert again.status_code == 200
            assert again.headers["X-RateLimit-Remaining"] == "59"
            assert await window_size(redis_server.url, org.org_id, "crm") == 1
            # The handover requests this process admitted meanwhile joined the shared window.
            assert await window_size(redis_server.url, org.org_id, "handover") == 2


async def test_a_fail_closed_handover_plan_answers_503_in_the_envelope(
    settings: Settings, db: Database, peppers: Peppers
) -> None:
    org = await make_org(db, peppers, handover=PlanChoice("agency"))
    app = create_app(
        dataclasses.replace(
            settings,
            redis_url="redis://127.0.0.1:1/0",  # nothing listens there
            rate_limit_fail_closed=frozenset({"handover:agency"}),
        )
    )
    async with AsyncTestClient(app) as client:
        refused = await client.get("/api/v1/me", headers=bearer(org.handover_key))
    assert refused.status_code == 503
    body = refused.json()
    assert body["data"] is None
    assert body["error"]["code"] == "UNAVAILABLE"
    assert int(refused.headers["Retry-After"]) >= 1
