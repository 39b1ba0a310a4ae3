"""GET /metrics: Prometheus's text format, every server process's figures summed (core/metrics.py).

Open, as Prometheus expects, unless FINITE_METRICS_TOKEN is set: then only
`Authorization: Bearer <token>` gets them. What each process holds in memory (its audit backlog,
its pools' connections in use) is sampled every second, and by the answering process at the
scrape; the webhook queues are read from the database at the scrape.
"""

from __future__ import annotations

import asyncio
import hmac
import logging

from litestar import Response, get
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from finite.core.metrics import exposition
from finite.core.webhooks.backlog import COUNT_CAP, read_backlog
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.platform.http import AnyRequest
from finite.platform.metrics_sampler import sample
from finite.platform.state import platform_of

logger = logging.getLogger("finite.metrics")

_QUEUE_READ_TIMEOUT_SECONDS = 2.0
MEDIA_TYPE = "text/plain; version=0.0.4"  # the text format every Prometheus reads


def token_accepted(authorization: str | None, token: str | None) -> bool:
    """No token configured: open. Otherwise the header must carry it (constant-time compare)."""
    if not token:
        return True
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


def refused() -> Response[bytes]:
    return Response(
        b"a bearer token is required (FINITE_METRICS_TOKEN)\n",
        status_code=401,
        media_type="text/plain",
        headers={"WWW-Authenticate": "Bearer"},
    )


@get("/metrics", include_in_schema=False)
async def metrics_endpoint(request: AnyRequest) -> Response[bytes]:
    platform = platform_of(request)
    if not token_accepted(request.headers.get("authorization"), platform.settings.metrics_token):
        return refused()
    sample(platform.db, platform.audit, platform.worker)
    body = exposition(await queue_families(platform.db))
    return Response(body, media_type=MEDIA_TYPE)  # Litestar adds the charset


async def queue_families(db: Database) -> list[Metric]:
    """The webhook queues' depth and oldest age; none when the database does not answer (the
    scrape still gives the rest)."""
    try:
        async with asyncio.timeout(_QUEUE_READ_TIMEOUT_SECONDS), db.raw_read() as connection:
            backlog = await read_backlog(connection, utcnow())
    except Exception as error:  # noqa: BLE001 - an outage must not fail the scrape
        logger.warning("metrics: the webhook queues could not be read (%s)", type(error).__name__)
        return []
    depth = GaugeMetricFamily(
        "finite_webhook_queue_depth",
        "Items waiting: events not yet fanned out to deliveries, deliveries due now "
        f"(counts stop at {COUNT_CAP}).",
        labels=["queue"],
    )
    depth.add_metric(["events"], backlog.events)
    depth.add_metric(["deliveries"], backlog.deliveries_due)
    age = GaugeMetricFamily(
        "finite_webhook_queue_oldest_age_seconds",
        "How long the oldest item has waited: since the event happened, since the delivery "
        "became due.",
        labels=["queue"],
    )
    age.add_metric(["events"], backlog.oldest_event_seconds)
    age.add_metric(["deliveries"], backlog.oldest_due_seconds)
    return [depth, age]
