"""`finite worker`: deliver webhooks, send mail and run CSV imports; run any number beside
`finite serve`."""

from __future__ import annotations

import asyncio
import signal
from datetime import timedelta
from typing import Annotated

import typer

from finite.cli.common import settings_or_exit
from finite.config import Settings
from finite.core.metrics import process_ended
from finite.crm.imports.runner import ImportRunner
from finite.kit.db import Database
from finite.kit.private_files import keep_new_files_private
from finite.kit.secretbox import SecretBox
from finite.platform.logs import configure_logging
from finite.platform.state import new_mail_worker, new_retention_job, new_worker
from finite.platform.worker_metrics import start_metrics_server


def worker(
    concurrency: Annotated[
        int, typer.Option(min=1, max=5000, help="Deliveries in flight at once.")
    ] = 256,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=65535,
            help="Serve this worker's Prometheus metrics at http://HOST:PORT/metrics "
            "(FINITE_METRICS_TOKEN guards them as the server's).",
        ),
    ] = None,
    metrics_host: Annotated[
        str, typer.Option(help="Address the metrics port binds.")
    ] = "127.0.0.1",
) -> None:
    """Claim due webhook deliveries and mail and send them, and run queued CSV imports, until
    stopped (SIGTERM or Ctrl-C); delete what retention allows every
    FINITE_RETENTION_INTERVAL_SECONDS.

    On stop, deliveries and mail in flight finish (at most 15 s) and unstarted claims are given
    back.
    """
    keep_new_files_private()
    settings = settings_or_exit()
    configure_logging(settings.log_level, settings.log_format)
    typer.echo(f"Finite webhook worker ({settings.database_url.split('://')[0]})")
    exposed = (metrics_host, metrics_port) if metrics_port is not None else None
    asyncio.run(_run(settings, concurrency, exposed))


async def _run(settings: Settings, concurrency: int, metrics_at: tuple[str, int] | None) -> None:
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
    mail_worker = new_mail_worker(settings, db, box)
    mail_worker.start()
    imports = ImportRunner(
        db,
        lease=timedelta(seconds=settings.import_lease_seconds),
        committed=delivery_worker.nudge,
    )
    imports.start()
    retention.start()
    metrics_server = None
    if metrics_at is not None:
        host, port = metrics_at
        metrics_server = await start_metrics_server(
            db, delivery_worker, host=host, port=port, token=settings.metrics_token
        )
        typer.echo(f"metrics at http://{host}:{port}/metrics")
    try:
        await stop.wait()
    finally:
        if metrics_server is not None:
            await metrics_server.cleanup()
        await retention.stop()
        await asyncio.gather(delivery_worker.stop(), mail_worker.stop(), imports.stop())
        await db.dispose()
        process_ended()
