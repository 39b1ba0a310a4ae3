"""Two real server processes share one rate-limit window through Redis, and stay within it
together while Redis is down."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest

from finite.core.accounts.service import PlanChoice
from finite.core.ratelimit.limiter import redis_client
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.platform.migrations import migrate_to_head
from tests.conftest import TEST_SECRET
from tests.drills import throwaway_redis
from tests.factories import OrgSetup, bearer, make_org
from tests.servers import Servers, server_env

pytestmark = pytest.mark.slow


def free_plan_org(database_url: str) -> OrgSetup:
    async def work() -> OrgSetup:
        db = Database(database_url)
        try:
            return await make_org(db, Peppers.from_secrets(TEST_SECRET), crm=PlanChoice("free"))
        finally:
            await db.dispose()

    return asyncio.run(work())


async def fire(base_urls: list[str], key: str, total: int) -> list[int]:
    """`total` requests at once, spread evenly over the servers."""
    clients = [httpx.AsyncClient(base_url=url, timeout=30) for url in base_urls]
    try:
        responses = await asyncio.gather(
            *(
                clients[number % len(clients)].get("/api/me", headers=bearer(key))
                for number in range(total)
            )
        )
    finally:
        for client in clients:
            await client.aclose()
    return [response.status_code for response in responses]


def test_100_parallel_requests_over_two_processes_admit_at_most_60(
    servers: Servers, tmp_path: Path, redis_url: str
) -> None:
    data_dir = tmp_path / "shared"
    data_dir.mkdir()
    database_url = f"sqlite+aiosqlite:///{data_dir / 'finite.db'}"
    migrate_to_head(database_url)
    org = free_plan_org(database_url)
    env = server_env(
        data_dir=str(data_dir),
        database_url=database_url,
        redis_url=redis_url,
        secret_key=TEST_SECRET,
        demo="0",
    )
    a, b = servers.start(env, count=2)

    statuses = asyncio.run(fire([a.base_url, b.base_url], org.crm_key, 100))
    assert statuses.count(200) == 60, statuses
    assert statuses.count(429) == 40, statuses

    # Either process now refuses, and says when to come back.
    for server in (a, b):
        refused = server.client.get("/api/me", headers=bearer(org.crm_key))
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= 60


async def window_size(url: str, org_id: str) -> int:
    client = redis_client(url)
    try:
        return int(await client.zcard(f"rl:{{{org_id}}}:crm"))
    finally:
        await client.aclose()


def test_with_redis_killed_two_processes_admit_one_limit_between_them(
    servers: Servers, tmp_path: Path
) -> None:
    """The drill of issue 23: Redis dies under load and comes back, the servers run on."""
    data_dir = tmp_path / "shared"
    data_dir.mkdir()
    database_url = f"sqlite+aiosqlite:///{data_dir / 'finite.db'}"
    migrate_to_head(database_url)
    org = free_plan_org(database_url)  # 60 a minute
    with throwaway_redis() as redis_server:
        env = server_env(
            data_dir=str(data_dir),
            database_url=database_url,
            redis_url=redis_server.url,
            secret_key=TEST_SECRET,
            demo="0",
            processes="2",
        )
        a, b = servers.start(env, count=2)
        assert asyncio.run(fire([a.base_url, b.base_url], org.crm_key, 10)) == [200] * 10

        redis_server.kill()
        statuses = asyncio.run(fire([a.base_url, b.base_url], org.crm_key, 100))
        # 30 each (60 / 2), where each process used to admit all 60 on its own.
        assert statuses.count(200) == 60, statuses
        assert statuses.count(429) == 40, statuses

        redis_server.start()  # empty: the 10 requests before the outage are forgotten
        time.sleep(2.5)  # the processes' back-off before they try Redis again
        # Each process's first request adds the 30 it admitted meanwhile to the shared window.
        assert a.client.get("/api/me", headers=bearer(org.crm_key)).status_code == 200
        assert b.client.get("/api/me", headers=bearer(org.crm_key)).status_code == 429
        assert asyncio.run(window_size(redis_server.url, org.org_id)) == 61
    for server in (a, b):
        assert server.stderr.count("Redis rate-limit storage failed") == 1, server.stderr
