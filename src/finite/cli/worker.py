"""`finite worker`: deliver webhooks. Run any number of them next to `finite serve`."""

from __future__ import annotations

import asyncio
import signal
from typing import Annotated

import typer

from finite.cli.common import settings_or_exit
from finite.config import Settings
from finite.kit.db import Database
from finite.kit.private_files import keep_new_files_private
from finite.kit.secretbox import SecretBox
from finite.platform.logs import configure_logging
from finite.platform.state import new_retention_job, new_worker


def worker(
    concurrency: Annotated[
        int, typer.Option(min=1, max=5000, help="Deliveries in flight at once.")
    ] = 256,
) -> None:
    """Claim due webhook deliveries and send them until stopped (SIGTERM or Ctrl-C); delete
    what retention allows every FINITE_RETENTION_INTERVAL_SECONDS.

    On stop, deliveries in flight finish (at most 15 s) and unstarted claims are given back.
    """
    keep_new_files_private()
    settings = settings_or_exit()
    configure_logging(settings.log_level)
    typer.echo(f"Finite webhook worker ({settings.database_url.split('://')[0]})")
    asyncio.run(_run(settings, concurrency))


async def _run(settings: Settings, concurrency: int) -> None:
    db = Database(settings.database_url, pool_size=settings.db_pool_size)
    retention = new_retention_job(settings, db)
    box = SecretBox.from_secrets(
        settings.secret_key, settings.old_secret_keys, settings.next_secret_keys
    )
    delivery_worker = new_worker(settings, db, box)
    delivery_worker.max_in_flight = concurrency
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    delivery_worker.start()
    retention.start()
    try:
        await stop.wait()
    finally:
        await retention.stop()
        await delivery_worker.stop()
        await db.dispose()
