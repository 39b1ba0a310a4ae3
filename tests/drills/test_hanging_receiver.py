"""Drill: a webhook receiver that accepts connections and never answers.

A real `finite serve` with its delivery worker inside: the hanging receiver's deliveries fail
with "timed out after 15 s" and wait for their retry; meanwhile another organization's webhook
gets every delivery at once and the API answers as fast as before."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from finite.core.webhooks.sender import TOTAL_TIMEOUT
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.platform.migrations import migrate_to_head
from tests.conftest import TEST_SECRET
from tests.drills import wait_for
from tests.factories import OrgSetup, bearer, make_org
from tests.servers import Server, Servers, server_env
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.slow

HUNG = 10  # more than the 8 a worker keeps in flight to one webhook
PROMPT_SECONDS = 5.0  # a healthy webhook's deliveries, and the API, stay within this


@contextmanager
def hanging_receiver() -> Iterator[str]:
    """A loopback HTTP address that reads requests and never answers (nor closes)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held: list[socket.socket] = []
    stopping = threading.Event()

    def accept() -> None:
        while not stopping.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            held.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/hooks"
    finally:
        stopping.set()
        listener.close()
        for connection in held:
            connection.close()


def two_orgs(database_url: str) -> tuple[OrgSetup, OrgSetup]:
    async def work() -> tuple[OrgSetup, OrgSetup]:
        db = Database(database_url)
        peppers = Peppers.from_secrets(TEST_SECRET)
        try:
            return await make_org(db, peppers), await make_org(db, peppers)
        finally:
            await db.dispose()

    return asyncio.run(work())


def add_webhook(server: Server, key: str, url: str) -> str:
    answer = server.client.post(
        "/api/webhooks",
        json={"url": url, "modules": ["leads"], "events": ["create"]},
        headers=bearer(key),
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def create_leads(server: Server, key: str, count: int) -> None:
    for number in range(count):
        answer = server.client.post(
            "/api/records/leads", json={"name": f"Lead {number}"}, headers=bearer(key)
        )
        assert answer.status_code == 201, answer.text


def deliveries(server: Server, key: str, webhook_id: str) -> list[dict[str, Any]]:
    answer = server.client.get(
        f"/api/webhooks/{webhook_id}/deliveries", params={"limit": 100}, headers=bearer(key)
    )
    assert answer.status_code == 200, answer.text
    return list(answer.json()["deliveries"])


def test_a_hanging_receiver_times_out_without_holding_up_anyone_else(
    servers: Servers, tmp_path: Path, rx: Receiver
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    database_url = f"sqlite+aiosqlite:///{data_dir / 'finite.db'}"
    migrate_to_head(database_url)
    stuck, healthy = two_orgs(database_url)
    (server,) = servers.start(
        server_env(
            data_dir=str(data_dir),
            database_url=database_url,
            secret_key=TEST_SECRET,
            allow_private_targets="1",
            inline_worker="1",
            demo="0",
        )
    )
    with hanging_receiver() as hanging_url:
        stuck_hook = add_webhook(server, stuck.crm_key, hanging_url)
        add_webhook(server, healthy.crm_key, rx.url)
        hung_at = time.monotonic()
        create_leads(server, stuck.crm_key, HUNG)
        time.sleep(0.5)  # the worker has taken the hanging deliveries and waits on them

        create_leads(server, healthy.crm_key, 5)
        wait_for(
            lambda: len(rx.snapshot()) == 5,
            PROMPT_SECONDS,
            "a healthy webhook waited behind a hanging one",
        )
        started = time.monotonic()
        listed = server.client.get("/api/records/leads", headers=bearer(healthy.crm_key))
        assert listed.status_code == 200
        assert time.monotonic() - started < PROMPT_SECONDS

        wait_for(
            lambda: any(
                delivery["status"] == "failed"
                for delivery in deliveries(server, stuck.crm_key, stuck_hook)
            ),
            TOTAL_TIMEOUT + 10,
            "the hanging deliveries never timed out",
        )
        assert time.monotonic() - hung_at >= TOTAL_TIMEOUT
        failed = [
            delivery
            for delivery in deliveries(server, stuck.crm_key, stuck_hook)
            if delivery["status"] == "failed"
        ]
        for delivery in failed:
            (attempt,) = delivery["attempts"]
            assert attempt["status_code"] is None
            assert f"timed out after {TOTAL_TIMEOUT:.0f} s" in attempt["error"]
            assert delivery["next_attempt_at"] is not None
    assert "Traceback" not in server.stderr, server.stderr
