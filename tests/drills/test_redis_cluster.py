"""Drill: the rate limits on a three-node Redis Cluster (FINITE_REDIS_CLUSTER=1).

Every key of an organization carries its id as a hash tag (`rl:{org_id}:crm`), so one
organization's windows sit on one slot while the organizations spread over the nodes; the
limit holds exactly across two server processes, and the outage reconciliation (a pipeline of
scripts over many organizations' keys, so many slots) works on a cluster too."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster
from redis.cluster import RedisCluster

from finite.core.ratelimit.limiter import redis_client
from finite.core.ratelimit.redis_window import RedisMovingWindow
from finite.platform.migrations import migrate_to_head
from tests.conftest import TEST_SECRET
from tests.drills import ThrowawayRedisCluster, throwaway_redis_cluster
from tests.drills.test_rate_limit_processes import fire, free_plan_org
from tests.factories import bearer
from tests.servers import Servers, server_env

pytestmark = pytest.mark.slow

ORGANIZATIONS = 3


@pytest.fixture
def cluster() -> ThrowawayRedisCluster:  # type: ignore[misc]
    with throwaway_redis_cluster() as running:
        yield running


def test_two_processes_share_exact_limits_on_a_redis_cluster(
    servers: Servers, tmp_path: Path, cluster: ThrowawayRedisCluster
) -> None:
    data_dir = tmp_path / "shared"
    data_dir.mkdir()
    database_url = f"sqlite+aiosqlite:///{data_dir / 'finite.db'}"
    migrate_to_head(database_url)
    orgs = [free_plan_org(database_url) for _ in range(ORGANIZATIONS)]  # 60 a minute each
    env = server_env(
        data_dir=str(data_dir),
        database_url=database_url,
        redis_url=cluster.url,
        redis_cluster="1",
        secret_key=TEST_SECRET,
        demo="0",
    )
    a, b = servers.start(env, count=2)

    for org in orgs:
        statuses = asyncio.run(fire([a.base_url, b.base_url], org.crm_key, 80))
        assert statuses.count(200) == 60, statuses
        assert statuses.count(429) == 20, statuses
        handover = b.client.get("/api/v1/clients", headers=bearer(org.handover_key))
        assert handover.status_code == 200, handover.text

    with RedisCluster(host="127.0.0.1", port=cluster.ports[0]) as client:
        for org in orgs:
            crm_key, handover_key = f"rl:{{{org.org_id}}}:crm", f"rl:{{{org.org_id}}}:handover"
            # The hash tag decides the slot: both products' windows share the org's slot.
            assert client.keyslot(crm_key) == client.keyslot(org.org_id)
            assert client.keyslot(handover_key) == client.keyslot(org.org_id)
            node = client.get_node_from_key(crm_key)
            assert client.zcard(crm_key) == 60
            assert client.zcard(handover_key) == 1
            assert node.port in cluster.ports
    # Without a hash tag the keys would be spread by their whole name; with it a server process
    # never needs a cross-slot operation for one organization.
    assert not [
        server.stderr for server in (a, b) if "Redis rate-limit storage failed" in server.stderr
    ]


async def test_an_outage_s_hits_are_added_to_a_cluster_across_slots(
    cluster: ThrowawayRedisCluster,
) -> None:
    """What a process counted in memory during an outage goes back to Redis in one pipeline of
    scripts; on a cluster the pipeline spans the slots of many organizations."""
    client = redis_client(cluster.url, cluster=True)
    assert isinstance(client, AsyncRedisCluster)
    try:
        window = RedisMovingWindow(client)
        hits = {f"rl:{{org-{number}}}:crm": [1.0, 2.0, 3.0] for number in range(20)}
        await window.add(hits, window_seconds=60)
        counts = [int(await client.zcard(key)) for key in hits]
        slots = {client.keyslot(key) for key in hits}
    finally:
        await client.aclose()
    assert counts == [3] * 20
    assert len(slots) > 1  # the keys really did span several slots
