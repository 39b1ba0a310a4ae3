"""Drill: the production shape on one machine — two `finite serve` and two `finite worker`
processes on one PostgreSQL database and one Redis (both the drill's own).

Through the API only, as a client sees it: the rate limit is one limit across both servers;
a key revoked on one server is refused by the other at once; every record created on either
server reaches the webhook receiver, though one worker is SIGKILLed while sending, and every
send of a delivery carries the same `webhook-id`."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from finite.core.accounts.service import PlanChoice
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.platform.migrations import migrate_to_head
from tests import backends
from tests.conftest import TEST_SECRET
from tests.drills import ThrowawayRedis, throwaway_redis, wait_for
from tests.drills.test_rate_limit_processes import fire
from tests.drills.test_webhook_workers import WorkerProcess, launch
from tests.factories import OrgSetup, bearer, make_org
from tests.servers import Server, Servers, server_env
from tests.webhook_receiver import Answer, Receiver

pytestmark = pytest.mark.slow

RECORDS = 120
LEASE_SECONDS = "2"
REVOCATION_SECONDS = 1.0


@pytest.fixture
def pg_url() -> Iterator[str]:
    if not backends.postgres_reachable():
        pytest.skip("PostgreSQL unreachable")
    with backends.fresh_postgres_database() as url:
        migrate_to_head(url)
        yield url


@pytest.fixture
def redis_server() -> Iterator[ThrowawayRedis]:
    with throwaway_redis() as running:
        yield running


@pytest.fixture
def workers() -> Iterator[list[WorkerProcess]]:
    started: list[WorkerProcess] = []
    yield started
    for worker in started:
        worker.kill()


def organizations(database_url: str) -> tuple[OrgSetup, OrgSetup]:
    """One on the free plan (60 requests a minute), one on enterprise for the traffic."""

    async def work() -> tuple[OrgSetup, OrgSetup]:
        db = Database(database_url)
        peppers = Peppers.from_secrets(TEST_SECRET)
        try:
            free = await make_org(db, peppers, crm=PlanChoice("free"))
            busy = await make_org(db, peppers, crm=PlanChoice("enterprise"))
            return free, busy
        finally:
            await db.dispose()

    return asyncio.run(work())


def the_fleet(
    servers: Servers, workers: list[WorkerProcess], tmp_path: Path, pg_url: str, redis_url: str
) -> tuple[Server, Server]:
    common = {
        "database_url": pg_url,
        "redis_url": redis_url,
        "secret_key": TEST_SECRET,
        "allow_private_targets": "1",
        "webhook_lease_seconds": LEASE_SECONDS,
        "processes": "2",
    }
    a, b = servers.start(server_env(**common, inline_worker="0", demo="0"), count=2)
    for _ in range(2):
        launch(workers, tmp_path, pg_url, redis_url=redis_url, webhook_lease_seconds=LEASE_SECONDS)
    asyncio.run(_all_started(workers))
    return a, b


async def _all_started(workers: list[WorkerProcess]) -> None:
    for worker in workers:
        await worker.started()


async def create_leads(servers: list[Server], key: str, count: int) -> list[int]:
    """`count` leads, alternately on each server, a few at a time; their ids."""
    clients = [httpx.AsyncClient(base_url=server.base_url, timeout=30) for server in servers]
    ids: list[int] = []
    try:
        for start in range(0, count, 8):
            answers = await asyncio.gather(
                *(
                    clients[number % len(clients)].post(
                        "/api/records/leads", json={"name": f"Fleet {number}"}, headers=bearer(key)
                    )
                    for number in range(start, min(start + 8, count))
                )
            )
            for answer in answers:
                assert answer.status_code == 201, answer.text
                ids.append(int(answer.json()["id"]))
    finally:
        for client in clients:
            await client.aclose()
    return ids


def test_two_servers_and_two_workers_share_limits_revocations_and_every_delivery(
    servers: Servers,
    workers: list[WorkerProcess],
    tmp_path: Path,
    pg_url: str,
    redis_server: ThrowawayRedis,
    rx: Receiver,
) -> None:
    free, busy = organizations(pg_url)
    a, b = the_fleet(servers, workers, tmp_path, pg_url, redis_server.url)

    # One limit across both servers.
    statuses = asyncio.run(fire([a.base_url, b.base_url], free.crm_key, 90))
    assert (statuses.count(200), statuses.count(429)) == (60, 30), statuses

    # A key revoked through one server is refused by the other on its next request, though
    # both had just used it (each server keeps the keys in use between requests).
    created = a.client.post(
        "/api/keys", json={"name": "to revoke"}, headers=bearer(busy.crm_key)
    ).json()
    for server in (a, b):
        assert server.client.get("/api/me", headers=bearer(created["key"])).status_code == 200
    revoked = a.client.delete(f"/api/keys/{created['id']}", headers=bearer(busy.crm_key))
    assert revoked.status_code == 204, revoked.text
    assert a.client.get("/api/me", headers=bearer(created["key"])).status_code == 401
    # The other server hears of it by the database's change notification, sent at the commit.
    wait_for(
        lambda: b.client.get("/api/me", headers=bearer(created["key"])).status_code == 401,
        REVOCATION_SECONDS,
        "the other server still admits a revoked key",
    )

    # Every record created on either server reaches the receiver, though a worker dies.
    rx.default = Answer(delay=0.05)  # slow enough that the worker is mid-batch when killed
    hook = b.client.post(
        "/api/webhooks",
        json={"url": rx.url, "modules": ["leads"], "events": ["create"]},
        headers=bearer(busy.crm_key),
    )
    assert hook.status_code == 201, hook.text
    ids = asyncio.run(create_leads([a, b], busy.crm_key, RECORDS))
    wait_for(lambda: len(rx.snapshot()) >= 10, 30, "no delivery arrived")
    workers[0].kill()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if {body["record_id"] for body in rx.bodies()} >= set(ids):
            break
        time.sleep(0.2)
    delivered = {body["record_id"] for body in rx.bodies()}
    assert delivered == set(ids), f"missing: {sorted(set(ids) - delivered)[:10]}"
    per_delivery = rx.per_delivery()
    assert len(per_delivery) == RECORDS  # repeats of a killed worker's sends share their id
    for request in rx.snapshot():
        assert request.headers["webhook-id"] == request.json()["delivery_id"]
    assert "Traceback" not in workers[1].log, workers[1].log
    for server in (a, b):
        assert "Traceback" not in server.stderr, server.stderr
