"""Retention deletes each kind's rows past their days, in small batches, and never a delivery
still pending or retrying (on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from finite.core.retention import RetentionConfigError, registered, retention_plan
from finite.core.retention.kinds import EVENTS, WEBHOOK_ATTEMPTS, WEBHOOK_DELIVERIES
from finite.core.retention.purge import delete_batch, purge
from finite.kit.db import Database
from finite.models.events import Event, IdempotentRequest
from finite.models.webhooks import WebhookDelivery
from tests.core.retention.conftest import Rows

DAYS = timedelta(days=1)


async def test_old_rows_go_and_everything_else_stays(db: Database, rows: Rows) -> None:
    old_event = await rows.event(91 * DAYS)
    unfanned_event = await rows.event(91 * DAYS, fanned_out=False)
    new_event = await rows.event(89 * DAYS)
    succeeded = await rows.delivery(91 * DAYS, "succeeded", attempts=3)
    dead = await rows.delivery(100 * DAYS, "dead")
    pending = await rows.delivery(120 * DAYS, "pending")
    retrying = await rows.delivery(120 * DAYS, "failed", attempts=2)
    recent = await rows.delivery(10 * DAYS, "succeeded")
    old_key = await rows.idempotency_key(25 * timedelta(hours=1))
    new_key = await rows.idempotency_key(23 * timedelta(hours=1))

    purged = await purge(db, retention_plan({}), rows.now, batch_size=2)

    assert await rows.ids(Event) == {unfanned_event, new_event}
    assert old_event not in await rows.ids(Event)
    assert await rows.ids(WebhookDelivery) == {pending, retrying, recent}
    assert succeeded not in await rows.ids(WebhookDelivery)
    assert dead not in await rows.ids(WebhookDelivery)
    assert await rows.attempts_of(succeeded) == 0  # with their delivery
    assert await rows.attempts_of(recent) == 1
    assert await rows.ids(IdempotentRequest) == {new_key}
    assert old_key not in await rows.ids(IdempotentRequest)
    assert purged.deleted["webhook_deliveries"] >= 2
    assert purged.deleted["events"] >= 1


async def test_attempts_of_a_delivery_still_retrying_go_but_the_delivery_stays(
    db: Database, rows: Rows
) -> None:
    retrying = await rows.delivery(95 * DAYS, "failed", attempts=2)
    plan = retention_plan({"webhook_deliveries": 0})  # deliveries kept for good
    await purge(db, plan, rows.now)
    assert retrying in await rows.ids(WebhookDelivery)
    assert await rows.attempts_of(retrying) == 0


async def test_each_statement_deletes_one_small_batch(db: Database, rows: Rows) -> None:
    for _ in range(5):
        await rows.delivery(200 * DAYS, "succeeded")
    cutoff = rows.now - 90 * DAYS
    assert await delete_batch(db, WEBHOOK_DELIVERIES, cutoff, 2) == 2
    assert len(await rows.ids(WebhookDelivery)) == 3
    await delete_batch(db, WEBHOOK_DELIVERIES, cutoff, 1000)
    assert await rows.ids(WebhookDelivery) == set()


async def test_days_come_from_the_settings_and_zero_keeps_for_good(
    db: Database, rows: Rows
) -> None:
    event = await rows.event(40 * DAYS)
    kept = await rows.delivery(400 * DAYS, "succeeded")
    plan = retention_plan({"events": 30, "webhook_deliveries": 0})
    days = {retained.kind.name: retained.days for retained in plan}
    assert days == {
        "events": 30,
        "webhook_deliveries": None,
        "webhook_attempts": 90,
        "mail": 90,
        "idempotency_keys": 1,
        "import_jobs": 30,
        "import_problems": 30,
        "import_uploads": 1,
    }
    purged = await purge(db, plan, rows.now)
    assert event not in await rows.ids(Event)
    assert kept in await rows.ids(WebhookDelivery)
    assert "webhook_deliveries" not in purged.deleted


def test_a_setting_for_no_kind_is_refused() -> None:
    with pytest.raises(RetentionConfigError, match="FINITE_RETENTION_EVENT_DAYS"):
        retention_plan({"event": 10})


def test_the_core_kinds_are_registered() -> None:
    names = {kind.name for kind in registered()}
    assert {EVENTS.name, WEBHOOK_DELIVERIES.name, WEBHOOK_ATTEMPTS.name} <= names
    assert "idempotency_keys" in names
