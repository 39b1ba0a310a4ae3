"""GET /metrics: Prometheus's text format, its token, and what it counts (in process; the
multiprocess sums are in test_metrics_processes.py)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from finite.app import create_app
from finite.config import Settings
from finite.core.accounts.service import PlanChoice, set_plan
from finite.core.audit.writer import AuditWriter
from finite.core.metrics import exposition
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.models.webhooks import WebhookDelivery
from finite.platform.metrics import queue_families
from finite.platform.metrics_sampler import sample
from tests.factories import OrgSetup, bearer
from tests.webhook_receiver import (
    Answer,
    FakeClock,
    Receiver,
    new_worker,
    running_receiver,
    settle_waiting_webhook_work,
)

Client = AsyncTestClient[Litestar]
RECORD_TEMPLATE = "/api/records/{module}/{record_id}"
TOKEN = "metrics-token-0123456789abcdef"


def parse(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample_.name, frozenset(sample_.labels.items())): sample_.value
        for family in text_string_to_metric_families(text)
        for sample_ in family.samples
    }


async def scrape(client: Client, **headers: str) -> dict[tuple[str, frozenset[Any]], float]:
    response = await client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return parse(response.text)


def value(scraped: dict[tuple[str, frozenset[Any]], float], name: str, **labels: str) -> float:
    return scraped.get((name, frozenset(labels.items())), 0.0)


async def create_lead(client: Client, key: str) -> int:
    response = await client.post(
        "/api/records/leads", json={"name": "Asha Rao", "company": "Acme"}, headers=bearer(key)
    )
    assert response.status_code == 201, response.text
    record_id: int = response.json()["id"]
    return record_id


async def test_requests_are_counted_by_route_template_and_status_never_by_raw_path(
    client: Client, org: OrgSetup
) -> None:
    record_id = await create_lead(client, org.crm_key)
    before = await scrape(client)
    assert (
        await client.get(f"/api/records/leads/{record_id}", headers=bearer(org.crm_key))
    ).is_success
    for _ in range(2):
        missing = await client.get("/api/records/leads/987654321", headers=bearer(org.crm_key))
        assert missing.status_code == 404
    assert (await client.get("/no/such/path/424242")).status_code == 404
    response = await client.get("/metrics")
    after = parse(response.text)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    total = "finite_http_requests_total"
    assert delta(total, route=RECORD_TEMPLATE, method="GET", status="200") == 1
    assert delta(total, route=RECORD_TEMPLATE, method="GET", status="404") == 2
    assert delta(total, route="(unmatched)", method="GET", status="404") == 1
    latency = "finite_http_request_duration_seconds_count"
    assert delta(latency, route=RECORD_TEMPLATE, method="GET") == 3
    bucket = "finite_http_request_duration_seconds_bucket"
    assert delta(bucket, route=RECORD_TEMPLATE, method="GET", le="+Inf") == 3
    for raw in (f"/leads/{record_id}", "987654321", "424242", "/no/such"):
        assert raw not in response.text, raw  # ids never become labels


@pytest.fixture
async def guarded(settings: Settings) -> AsyncIterator[Client]:
    app = create_app(dataclasses.replace(settings, metrics_token=TOKEN))
    async with AsyncTestClient(app) as test_client:
        yield test_client


async def test_a_metrics_token_requires_its_bearer(guarded: Client, client: Client) -> None:
    assert (await client.get("/metrics")).status_code == 200  # open by default
    for headers in (
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": f"Bearer {TOKEN}x"},
    ):
        refused = await guarded.get("/metrics", headers=headers)
        assert refused.status_code == 401, headers
        assert refused.headers["WWW-Authenticate"] == "Bearer"
        assert "finite_" not in refused.text
    scraped = await scrape(guarded, Authorization=f"Bearer {TOKEN}")
    assert any(name == "finite_http_requests_total" for name, _ in scraped)


async def test_rate_limit_rejections_are_counted_by_product(
    client: Client, db: Database, org: OrgSetup
) -> None:
    async with db.transaction() as session:
        await set_plan(session, org.org_id, "crm", PlanChoice("enterprise"), rpm_override=1)
    before = await scrape(client)
    statuses = [
        (await client.get("/api/me", headers=bearer(org.crm_key))).status_code for _ in range(3)
    ]
    assert statuses == [200, 429, 429]
    after = await scrape(client)
    name = "finite_rate_limit_rejections_total"
    labels = {"product": "crm", "reason": "limit"}
    assert value(after, name, **labels) - value(before, name, **labels) == 2


async def test_deliveries_by_outcome_and_the_queues_depth_and_age(
    client: Client, db: Database, settings: Settings, org: OrgSetup
) -> None:
    await settle_waiting_webhook_work(db)
    clock = FakeClock()
    worker = new_worker(db, settings, clock)
    receiver: Receiver
    with running_receiver() as receiver:
        created = await client.post(
            "/api/webhooks", json={"url": receiver.url}, headers=bearer(org.crm_key)
        )
        assert created.status_code == 201, created.text
        depth, age = "finite_webhook_queue_depth", "finite_webhook_queue_oldest_age_seconds"
        before = await scrape(client)
        assert value(before, depth, queue="events") == 0
        assert value(before, depth, queue="deliveries") == 0

        await create_lead(client, org.crm_key)  # an event, not yet fanned out
        waiting = await scrape(client)
        assert value(waiting, depth, queue="events") == 1
        assert value(waiting, age, queue="events") >= 0

        receiver.script = [Answer(status=500)]
        try:
            assert await worker.run_once() == 1
            failed = await scrape(client)
            assert value(failed, depth, queue="events") == 0
            assert value(failed, depth, queue="deliveries") == 0  # its retry is not due yet
            await retry_due_30_seconds_ago(db)
            due = await scrape(client)
            assert value(due, depth, queue="deliveries") == 1
            assert value(due, age, queue="deliveries") > 0
            assert await worker.run_once() == 1  # the receiver now answers 200
            after = await scrape(client)
        finally:
            await worker.stop()
    outcome = "finite_webhook_deliveries_total"
    for label, count in (("failed", 1), ("succeeded", 1), ("dead", 0)):
        changed = value(after, outcome, outcome=label) - value(before, outcome, outcome=label)
        assert changed == count, label
    assert value(after, depth, queue="deliveries") == 0
    assert value(after, age, queue="deliveries") == 0


async def retry_due_30_seconds_ago(db: Database) -> None:
    async with db.transaction() as session:
        await session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.status == "failed")
            .values(next_attempt_at=utcnow() - timedelta(seconds=30))
        )


async def test_the_audit_backlog_and_the_pools_in_use_are_sampled(db: Database) -> None:
    writer = AuditWriter(db)  # not started: what it is given waits
    for number in range(3):
        writer.add({"id": f"aud_{number}"})
    pool = "sqlite_reads" if db.is_sqlite else "main"
    async with db.raw_read():
        sample(db, writer, None)
        busy = parse(exposition().decode())
    sample(db, writer, None)
    idle = parse(exposition().decode())
    assert value(busy, "finite_audit_backlog_rows") == 3
    in_use = "finite_db_pool_connections_in_use"
    assert value(busy, in_use, pool=pool) == 1
    assert value(idle, in_use, pool=pool) == 0
    assert value(idle, "finite_db_pool_size", pool=pool) > 0


async def test_the_queues_are_left_out_while_the_database_does_not_answer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    unreachable = Database("postgresql+asyncpg://postgres@127.0.0.1:1/finite")
    try:
        assert await queue_families(unreachable) == []
    finally:
        await unreachable.dispose()
    assert "the webhook queues could not be read" in caplog.text
