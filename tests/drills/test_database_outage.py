"""Drill: PostgreSQL stops (`pg_ctl stop -m immediate`, as a crash) under GET and POST on both
surfaces, then starts again. Meanwhile every answer is 503 UNAVAILABLE with Retry-After in the
surface's format; afterwards the app serves again without a restart, every 2xx POST has its
record, no failed POST left one, every call has its audit row and the chain is intact."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select, text

from finite.app import create_app
from finite.config import Settings
from finite.core.audit.chain import verify_chain
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.models.events import AuditEntry
from finite.platform.migrations import migrate_to_head
from finite.platform.state import Platform
from tests.conftest import TEST_SECRET
from tests.drills import ThrowawayPostgres, throwaway_postgres
from tests.factories import OrgSetup, bearer, make_org
from tests.servers import Servers, server_env

pytestmark = pytest.mark.slow  # starts and stops a PostgreSQL cluster of its own

OUTAGE_SECONDS = 3.0
RECOVERY_TIMEOUT_SECONDS = 30.0


@pytest.fixture
def cluster() -> Any:
    with throwaway_postgres() as running:
        migrate_to_head(running.url)
        yield running


class Calls:
    """Every call the drill makes, and what it got."""

    def __init__(self, client: httpx.AsyncClient, org: OrgSetup) -> None:
        self.client = client
        self.org = org
        self.made: list[tuple[str, str, httpx.Response]] = []  # (surface, method, answer)
        self.serial = 0

    async def round(self) -> list[httpx.Response]:
        """A GET and a POST on each surface."""
        self.serial += 1
        crm, handover = bearer(self.org.crm_key), bearer(self.org.handover_key)
        name = f"drill {self.serial}"
        answers = [
            ("crm", "GET", await self.client.get("/api/records/leads", headers=crm)),
            (
                "crm",
                "POST",
                await self.client.post("/api/records/leads", json={"name": name}, headers=crm),
            ),
            ("handover", "GET", await self.client.get("/api/v1/clients", headers=handover)),
            (
                "handover",
                "POST",
                await self.client.post(
                    "/api/v1/clients",
                    json={"name": name, "email": f"drill{self.serial}@example.com"},
                    headers=handover,
                ),
            ),
        ]
        self.made.extend(answers)
        return [answer for _, _, answer in answers]


def assert_unavailable(surface: str, answer: httpx.Response) -> None:
    assert answer.status_code == 503, (surface, answer.status_code, answer.text)
    retry_after = answer.headers.get("Retry-After", "")
    assert retry_after.isdigit(), answer.headers
    assert 1 <= int(retry_after) <= 30
    request_id = answer.headers["X-Request-ID"]
    body = answer.json()
    if surface == "crm":
        assert body["code"] == "UNAVAILABLE", body
        assert body["request_id"] == request_id
        assert body["error"]
    else:
        assert set(body) == {"data", "meta", "error"}, body
        assert body["data"] is None
        assert body["error"]["code"] == "UNAVAILABLE", body
        assert body["meta"]["request_id"] == request_id


async def test_postgres_restart_answers_503_then_recovers_losing_no_audit_row(
    cluster: ThrowawayPostgres, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """In process: the app's own audit writer and logs are at hand."""
    org = await make_test_org(cluster)
    settings = Settings(
        env="development",
        data_dir=tmp_path,
        database_url=cluster.url,
        redis_url=None,
        secret_key=TEST_SECRET,
        demo_on_first_run=False,
        inline_worker=False,
    )
    app = create_app(settings)
    platform = app.state.platform
    assert isinstance(platform, Platform)
    async with AsyncTestClient(app, timeout=30) as client:
        calls = Calls(client, org)
        caplog.clear()
        await drive_the_outage(cluster, calls)
        tracebacks = [r for r in caplog.records if r.exc_info and r.levelno >= logging.ERROR]
        assert not tracebacks, [r.getMessage() for r in tracebacks]
    # The app has stopped: its audit writer flushed and its sealer sealed what was left.
    assert platform.audit.dropped == 0
    dropped = [r.getMessage() for r in caplog.records if "dropped" in r.getMessage()]
    assert not dropped, dropped
    await check_everything_was_kept(cluster, org, calls)


async def test_a_served_process_rides_out_a_postgres_restart(
    cluster: ThrowawayPostgres, tmp_path: Path, servers: Servers
) -> None:
    """`finite serve` (granian) as deployed: the same drill, judged by its answers and its log."""
    org = await make_test_org(cluster)
    env = server_env(
        env="development",
        data_dir=str(tmp_path / "data"),
        database_url=cluster.url,
        secret_key=TEST_SECRET,
        demo="0",
        inline_worker="0",
    )
    (server,) = await asyncio.to_thread(servers.start, env)
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
        calls = Calls(client, org)
        await drive_the_outage(cluster, calls)
    await asyncio.to_thread(server.stop)  # SIGTERM: the audit writer flushes, the sealer seals
    log = server.stderr + server.stdout
    assert "Traceback" not in log, log[-5000:]
    assert "dropped" not in log, log[-5000:]
    assert "database unavailable on " in log, log[-5000:]  # one warning line per 503
    await check_everything_was_kept(cluster, org, calls)


async def make_test_org(cluster: ThrowawayPostgres) -> OrgSetup:
    db = Database(cluster.url)
    try:
        return await make_org(db, Peppers.from_secrets(TEST_SECRET))
    finally:
        await db.dispose()


async def drive_the_outage(cluster: ThrowawayPostgres, calls: Calls) -> None:
    """Calls before, during and after `pg_ctl stop -m immediate`, until the app serves again."""
    for answer in await calls.round():
        assert answer.status_code in (200, 201), answer.text

    # Rounds go on without a pause while the cluster stops, stays down and starts up
    # ("the database system is starting up"), as they would from clients.
    loading = True

    async def load() -> None:
        while loading:
            await calls.round()
            await asyncio.sleep(0.01)

    loader = asyncio.create_task(load())
    await asyncio.sleep(0.3)
    await asyncio.to_thread(cluster.stop, "immediate")
    down_from = len(calls.made)
    await asyncio.sleep(OUTAGE_SECONDS)
    down_until = len(calls.made)
    await asyncio.to_thread(cluster.start)
    await asyncio.sleep(1.0)
    loading = False
    await loader

    assert down_until - down_from >= 8, "calls made while the database was down"
    for surface, _, answer in calls.made[down_from + 4 : down_until]:
        assert_unavailable(surface, answer)
    for surface, _, answer in calls.made:
        if answer.status_code >= 500:
            assert_unavailable(surface, answer)  # never a 500

    # Recovery without restarting the app: within the timeout every call succeeds again.
    deadline = time.monotonic() + RECOVERY_TIMEOUT_SECONDS
    healthy_rounds = 0
    while healthy_rounds < 3:
        assert time.monotonic() < deadline, "no recovery after the database came back"
        answers = await calls.round()
        for surface, _, answer in calls.made[-4:]:
            if answer.status_code >= 500:
                assert_unavailable(surface, answer)
        ok = all(answer.status_code in (200, 201) for answer in answers)
        healthy_rounds = healthy_rounds + 1 if ok else 0
        if not ok:
            await asyncio.sleep(0.2)


async def check_everything_was_kept(
    cluster: ThrowawayPostgres, org: OrgSetup, calls: Calls
) -> None:
    db = Database(cluster.url)  # a pool of its own: the app's lost its connections in the restart
    try:
        await _check_everything_was_kept(db, org, calls)
    finally:
        await db.dispose()


async def _check_everything_was_kept(db: Database, org: OrgSetup, calls: Calls) -> None:
    request_ids = [answer.headers["X-Request-ID"] for _, _, answer in calls.made]
    async with db.read() as session:
        # A call the database was down for has no known organization (its key could not be
        # read): its row is in the chain of calls without one (org_id "").
        rows = (
            await session.execute(
                select(AuditEntry.request_id, AuditEntry.status).where(
                    AuditEntry.org_id.in_([org.org_id, ""])
                )
            )
        ).all()
        audited = {request_id: status for request_id, status in rows}
        missing = [rid for rid in request_ids if rid not in audited]
        assert not missing, (
            f"{len(missing)} of {len(request_ids)} calls have no audit row: "
            + ", ".join(
                f"#{index} {surface} {method} {answer.status_code}"
                for index, (surface, method, answer) in enumerate(calls.made)
                if answer.headers["X-Request-ID"] in missing
            )
        )
        for _, _, answer in calls.made:
            assert audited[answer.headers["X-Request-ID"]] == answer.status_code
        assert len(rows) == len(request_ids), "one audit row per call"

        created = {
            "crm": [
                a.json()["id"]
                for s, m, a in calls.made
                if (s, m) == ("crm", "POST") and a.status_code == 201
            ],
            "handover": [
                a.json()["data"]["id"]
                for s, m, a in calls.made
                if (s, m) == ("handover", "POST") and a.status_code == 201
            ],
        }
    failed_posts = sum(1 for _, m, a in calls.made if m == "POST" and a.status_code == 503)
    assert failed_posts > 0
    # Every 2xx POST has its record, and no 503 left a partial one: exactly as many as answered.
    for surface, ids in created.items():
        assert ids, surface
        assert await _count(db, org, surface) == len(ids), surface

    sealed = 0
    for org_id in (org.org_id, ""):
        verdict = await verify_chain(db, org_id)
        assert verdict.intact, (org_id, verdict.broken)
        assert verdict.pending == 0, org_id
        sealed += verdict.rows
    assert sealed == len(request_ids)


async def _count(db: Database, org: OrgSetup, surface: str) -> int:
    table = "crm_leads" if surface == "crm" else "handover_clients"
    async with db.read() as session:
        total = await session.scalar(
            text(f"SELECT count(*) FROM {table} WHERE org_id = :org"), {"org": org.org_id}
        )
    return int(total or 0)
