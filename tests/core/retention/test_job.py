"""Retention runs in the background of the worker: a pass soon after start, then every
interval, and a stop waits for the batch in progress."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from litestar import Litestar
from litestar.testing import AsyncTestClient

from finite.app import create_app
from finite.config import Settings
from finite.core.retention import retention_plan
from finite.core.retention.job import RetentionJob
from finite.kit.db import Database
from finite.models.webhooks import WebhookDelivery
from finite.platform.state import Platform
from tests.core.retention.conftest import Rows

DAYS = timedelta(days=1)


async def test_the_job_deletes_in_the_background_until_stopped(db: Database, rows: Rows) -> None:
    old = await rows.delivery(100 * DAYS, "succeeded")
    job = RetentionJob(db, retention_plan({}), interval=3600, batch_size=10, first_delay=0)
    job.start()
    try:
        for _ in range(200):
            if old not in await rows.ids(WebhookDelivery):
                break
            await asyncio.sleep(0.02)
        assert old not in await rows.ids(WebhookDelivery)
    finally:
        await asyncio.wait_for(job.stop(), 5)


async def test_a_server_running_the_worker_inline_runs_retention(settings: Settings) -> None:
    app: Litestar = create_app(replace(settings, inline_worker=True))
    async with AsyncTestClient(app):
        platform = app.state.platform
        assert isinstance(platform, Platform)
        assert platform.retention is not None
    quiet: Litestar = create_app(settings)  # inline_worker off: `finite worker` runs it
    async with AsyncTestClient(quiet):
        assert quiet.state.platform.retention is None
