"""Real `finite worker` processes on PostgreSQL: a worker killed mid-batch loses nothing (its
leases expire and another worker sends the rest), and two workers side by side never send the
same delivery twice (SKIP LOCKED claims)."""

from __future__ import annotations

import asyncio
import inspect
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from finite.config import ConfigError, load_settings
from finite.core.events.outbox import record_event
from finite.core.plans.entitlement import entitlement_for
from finite.core.webhooks.service import NewEndpoint, create_endpoint
from finite.core.webhooks.worker import DeliveryWorker
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.kit.secretbox import SecretBox
from finite.models.webhooks import WebhookDelivery
from finite.platform.migrations import migrate_to_head
from finite.platform.state import new_worker
from tests import backends
from tests.conftest import TEST_SECRET
from tests.factories import make_org
from tests.servers import server_env
from tests.webhook_receiver import Answer, Receiver

EVENTS = 300
PER_ENDPOINT = inspect.signature(DeliveryWorker).parameters["per_endpoint"].default
STARTUP_SECONDS = 20.0


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database: no other test's events or deliveries in the queue."""
    if not backends.postgres_reachable():
        pytest.skip("PostgreSQL unreachable")
    with backends.fresh_postgres_database() as url:
        migrate_to_head(url)
        yield url


@dataclass
class WorkerProcess:
    process: subprocess.Popen[bytes]
    stderr_path: Path

    @property
    def log(self) -> str:
        return self.stderr_path.read_text()

    async def started(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if "webhook worker" in self.log and "started" in self.log:
                return
            if self.process.poll() is not None:
                pytest.fail(f"worker exited with {self.process.returncode}:\n{self.log}")
            await asyncio.sleep(0.05)
        pytest.fail(f"worker did not start within {STARTUP_SECONDS}s:\n{self.log}")

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[list[WorkerProcess]]:
    started: list[WorkerProcess] = []
    yield started
    for worker in started:
        worker.kill()


def launch(
    workers: list[WorkerProcess], tmp_path: Path, database_url: str, **extra: str
) -> WorkerProcess:
    index = len(workers)
    env = server_env(
        database_url=database_url,
        secret_key=TEST_SECRET,
        allow_private_targets="1",
        env="development",
        demo="0",
        **extra,
    )
    stdout_path, stderr_path = tmp_path / f"worker-{index}.out", tmp_path / f"worker-{index}.err"
    with stdout_path.open("wb") as out, stderr_path.open("wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "finite", "worker"],
            env=env,
            cwd=tmp_path,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
    worker = WorkerProcess(process, stderr_path)
    workers.append(worker)
    return worker


async def org_with_webhook(db: Database, url: str) -> tuple[str, str]:
    org = await make_org(db, Peppers.from_secrets(TEST_SECRET))
    now = utcnow()
    async with db.transaction() as session:
        created = await create_endpoint(
            session,
            SecretBox.from_secrets(TEST_SECRET),
            org_id=org.org_id,
            entitlement=entitlement_for("crm", "enterprise", "active", None, None, None, now),
            new=NewEndpoint(url, ["*"], ["*"], "processes"),
            now=now,
        )
    return org.org_id, created.endpoint.id


async def lead_events(db: Database, org_id: str, count: int) -> None:
    async with db.transaction() as session:
        for number in range(1, count + 1):
            await record_event(
                session,
                org_id=org_id,
                product="crm",
                event="create",
                module="leads",
                record_id=number,
                version=1,
                data={"id": number, "name": f"Lead {number}", "status": "New"},
                changed_fields=[],
            )


async def statuses(db: Database, endpoint_id: str) -> dict[str, int]:
    async with db.read() as session:
        rows = await session.execute(
            select(WebhookDelivery.status, func.count())
            .where(WebhookDelivery.endpoint_id == endpoint_id)
            .group_by(WebhookDelivery.status)
        )
        return {status: int(count) for status, count in rows}


async def all_succeeded(db: Database, endpoint_id: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await statuses(db, endpoint_id) == {"succeeded": EVENTS}:
            return
        await asyncio.sleep(0.2)
    async with db.read() as session:
        errors = (
            await session.scalars(
                select(WebhookDelivery.last_error).where(
                    WebhookDelivery.endpoint_id == endpoint_id,
                    WebhookDelivery.status != "succeeded",
                )
            )
        ).all()
    raise AssertionError(f"not all succeeded: {await statuses(db, endpoint_id)}; {errors[:5]}")


@pytest.mark.slow  # starts real worker processes
async def test_a_killed_worker_loses_no_delivery(
    pg_url: str, tmp_path: Path, rx: Receiver, workers: list[WorkerProcess]
) -> None:
    rx.default = Answer(delay=0.05)  # slow enough that the worker is mid-batch when killed
    db = Database(pg_url)
    try:
        org_id, endpoint_id = await org_with_webhook(db, rx.url)
        await lead_events(db, org_id, EVENTS)
        lease = timedelta(seconds=2)
        first = launch(workers, tmp_path, pg_url, webhook_lease_seconds="2")
        await first.started()
        await rx.until(40, timeout=STARTUP_SECONDS)
        first.kill()
        killed_at = utcnow()
        seen = len(rx.snapshot())
        assert seen < EVENTS, "the worker finished before it could be killed"
        async with db.read() as session:
            held = (
                await session.scalars(
                    select(WebhookDelivery.lease_until).where(
                        WebhookDelivery.endpoint_id == endpoint_id,
                        WebhookDelivery.lease_until.is_not(None),
                    )
                )
            ).all()
        assert held, "the killed worker left claims behind"
        assert all(until is not None and until <= killed_at + lease for until in held)
        assert (await statuses(db, endpoint_id)).get("succeeded", 0) < EVENTS

        second = launch(workers, tmp_path, pg_url, webhook_lease_seconds="2")
        await second.started()
        await all_succeeded(db, endpoint_id, timeout=60)
        await asyncio.sleep(0.3)  # nothing more arrives once all are recorded

        bodies = rx.bodies()
        assert {body["record_id"] for body in bodies} == set(range(1, EVENTS + 1))
        per_delivery = rx.per_delivery()
        assert len(per_delivery) == EVENTS
        # At least once: only deliveries in flight (or not yet recorded) at the kill repeat.
        repeated = [delivery for delivery, count in per_delivery.items() if count > 1]
        assert len(repeated) <= 200
        assert max(per_delivery.values()) <= 2
        # Receivers drop the repeats by `webhook-id`: every send of a delivery carries its id.
        sent = rx.snapshot()
        for request in sent:
            assert request.headers["webhook-id"] == request.json()["delivery_id"]
            assert request.headers["x-finite-delivery"] == request.json()["delivery_id"]
        assert len({request.headers["webhook-id"] for request in sent}) == EVENTS
        assert "Traceback" not in second.log, second.log
    finally:
        await db.dispose()


@pytest.mark.slow  # starts real worker processes
async def test_two_workers_never_send_a_delivery_twice(
    pg_url: str, tmp_path: Path, rx: Receiver, workers: list[WorkerProcess]
) -> None:
    rx.default = Answer(delay=0.1)
    db = Database(pg_url)
    try:
        org_id, endpoint_id = await org_with_webhook(db, rx.url)
        pair = [launch(workers, tmp_path, pg_url), launch(workers, tmp_path, pg_url)]
        for worker in pair:
            await worker.started()
        await lead_events(db, org_id, EVENTS)  # both are polling when the events appear
        await all_succeeded(db, endpoint_id, timeout=60)
        await asyncio.sleep(0.3)

        per_delivery = rx.per_delivery()
        assert len(per_delivery) == EVENTS
        assert set(per_delivery.values()) == {1}, "no delivery was sent twice"
        assert {body["record_id"] for body in rx.bodies()} == set(range(1, EVENTS + 1))
        # One worker keeps at most `per_endpoint` requests in flight to an endpoint: more at once
        # means both were sending side by side.
        assert rx.max_in_flight > PER_ENDPOINT, rx.max_in_flight

        # SIGTERM: each stops cleanly.
        for worker in pair:
            worker.process.send_signal(signal.SIGTERM)
        for worker in pair:
            assert worker.process.wait(timeout=20) == 0, worker.log
            assert "Traceback" not in worker.log, worker.log
            assert "stopped" in worker.log
    finally:
        await db.dispose()


@pytest.mark.parametrize(("value", "seconds"), [(None, 60), ("2", 2)])
def test_the_lease_is_a_setting(tmp_path: Path, value: str | None, seconds: int) -> None:
    environ = {"FINITE_DATA_DIR": str(tmp_path)}
    if value is not None:
        environ["FINITE_WEBHOOK_LEASE_SECONDS"] = value
    settings = load_settings(environ)
    assert settings.webhook_lease_seconds == seconds
    worker = new_worker(
        settings, Database(settings.database_url), SecretBox.from_secrets(TEST_SECRET)
    )
    assert worker.lease == timedelta(seconds=seconds)


@pytest.mark.parametrize("value", ["0", "-5", "soon"])
def test_a_lease_that_is_not_a_positive_number_is_refused(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match="FINITE_WEBHOOK_LEASE_SECONDS"):
        load_settings({"FINITE_DATA_DIR": str(tmp_path), "FINITE_WEBHOOK_LEASE_SECONDS": value})
