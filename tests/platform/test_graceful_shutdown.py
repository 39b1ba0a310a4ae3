"""SIGTERM to a real `finite serve`: the request in flight is answered, and the audit rows the
process still holds are written before it exits. SIGTERM to a real `finite worker`: the
delivery in flight is finished and recorded."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from finite.core.events.outbox import record_event
from finite.core.plans.entitlement import entitlement_for
from finite.core.webhooks.service import NewEndpoint, create_endpoint
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.kit.secretbox import SecretBox
from finite.models.events import AuditEntry
from finite.models.webhooks import WebhookDelivery
from finite.platform.migrations import migrate_to_head
from tests import backends
from tests.conftest import TEST_SECRET
from tests.factories import OrgSetup, bearer, make_org
from tests.servers import Servers, server_env
from tests.webhook_receiver import Answer, running_receiver

pytestmark = pytest.mark.slow

SLOW_BODY_SECONDS = 1.5


@pytest.fixture(params=["sqlite", "postgresql"])
def database_of_its_own(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        (tmp_path / "data").mkdir()
        url = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'finite.db'}"
        migrate_to_head(url)
        yield url
        return
    if not backends.postgres_reachable():
        pytest.skip("PostgreSQL unreachable")
    with backends.fresh_postgres_database() as url:
        migrate_to_head(url)
        yield url


def run(database_url: str, work: str, *args: str) -> object:
    async def go() -> object:
        db = Database(database_url)
        try:
            if work == "org":
                return await make_org(db, Peppers.from_secrets(TEST_SECRET))
            async with db.read() as session:
                rows = await session.execute(
                    select(AuditEntry.status, AuditEntry.path).where(
                        AuditEntry.request_id.in_(args)
                    )
                )
                return sorted((status, path) for status, path in rows)
        finally:
            await db.dispose()

    return asyncio.run(go())


def test_sigterm_answers_the_request_in_flight_and_writes_its_audit_row(
    database_of_its_own: str, servers: Servers, tmp_path: Path
) -> None:
    org = run(database_of_its_own, "org")
    assert isinstance(org, OrgSetup)
    env = server_env(
        data_dir=str(tmp_path / "data"),
        database_url=database_of_its_own,
        secret_key=TEST_SECRET,
        demo="0",
        inline_worker="0",
    )
    (server,) = servers.start(env)
    # A read: its audit row waits in the writer's buffer (written every 0.5 s).
    read = server.client.get(
        "/api/me", headers={**bearer(org.crm_key), "X-Request-ID": "shutdown-read"}
    )
    assert read.status_code == 200

    body_started = threading.Event()
    answers: list[httpx.Response | BaseException] = []

    def slow_body() -> Iterator[bytes]:
        yield b'{"Last_Name": "Slow", '
        body_started.set()
        time.sleep(SLOW_BODY_SECONDS)  # SIGTERM arrives meanwhile
        yield b'"Not_A_Field": 1}'

    def send() -> None:
        try:
            answers.append(
                httpx.post(
                    f"{server.base_url}/api/records/leads",
                    headers={
                        **bearer(org.crm_key),
                        "Content-Type": "application/json",
                        "X-Request-ID": "shutdown-slow",
                    },
                    content=slow_body(),
                    timeout=20,
                )
            )
        except BaseException as error:  # noqa: BLE001 - the test reports it
            answers.append(error)

    sender = threading.Thread(target=send)
    sender.start()
    assert body_started.wait(10)
    time.sleep(0.2)  # the server has the request's head and the first part of its body
    server.process.send_signal(signal.SIGTERM)
    sender.join(30)

    (answer,) = answers
    assert isinstance(answer, httpx.Response), repr(answer)
    # Refused for its unknown field: a row the audit writer holds, not the change's own.
    assert answer.status_code == 400, answer.text
    assert answer.headers["X-Request-ID"] == "shutdown-slow"
    assert server.process.wait(timeout=30) == 0, server.stderr
    rows = run(database_of_its_own, "audit", "shutdown-read", "shutdown-slow")
    assert rows == [(200, "/api/me"), (400, "/api/records/leads")], server.stderr


async def one_event_for(database_url: str, url: str) -> str:
    """An organization whose endpoint at `url` has one event to deliver; the endpoint's id."""
    db = Database(database_url)
    try:
        org = await make_org(db, Peppers.from_secrets(TEST_SECRET))
        now = utcnow()
        async with db.transaction() as session:
            created = await create_endpoint(
                session,
                SecretBox.from_secrets(TEST_SECRET),
                org_id=org.org_id,
                entitlement=entitlement_for("crm", "enterprise", "active", None, None, None, now),
                new=NewEndpoint(url, ["*"], ["*"], "shutdown"),
                now=now,
            )
            await record_event(
                session,
                org_id=org.org_id,
                product="crm",
                event="create",
                module="leads",
                record_id=1,
                version=1,
                data={"id": 1, "name": "Lead 1"},
                changed_fields=[],
            )
        return created.endpoint.id
    finally:
        await db.dispose()


async def delivery_statuses(database_url: str, endpoint_id: str) -> list[tuple[str, int]]:
    db = Database(database_url)
    try:
        async with db.read() as session:
            rows = await session.execute(
                select(WebhookDelivery.status, WebhookDelivery.attempt_total).where(
                    WebhookDelivery.endpoint_id == endpoint_id
                )
            )
            return [(status, attempts) for status, attempts in rows]
    finally:
        await db.dispose()


def test_sigterm_lets_the_worker_finish_the_delivery_in_flight(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'finite.db'}"
    migrate_to_head(database_url)
    with running_receiver() as receiver:
        receiver.script = [Answer(delay=SLOW_BODY_SECONDS)]
        endpoint_id = asyncio.run(one_event_for(database_url, receiver.url))
        env = server_env(
            data_dir=str(tmp_path / "data"),
            database_url=database_url,
            secret_key=TEST_SECRET,
            allow_private_targets="1",
        )
        log_path = tmp_path / "worker.log"
        with log_path.open("wb") as log:
            worker = subprocess.Popen(
                [sys.executable, "-m", "finite", "worker"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            receiver.wait_for(1, timeout=20)  # the delivery is in flight: its answer is slow
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(timeout=30) == 0, log_path.read_text()
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    (request,) = receiver.snapshot()
    assert request.answered_at is not None, "the worker waited for the answer"
    statuses = asyncio.run(delivery_statuses(database_url, endpoint_id))
    assert statuses == [("succeeded", 1)], log_path.read_text()
