"""The process's Prometheus metrics (prometheus-client), built once per process on first use.

Several `finite serve` processes share one scrape through prometheus-client's multiprocess mode:
`finite serve` points PROMETHEUS_MULTIPROC_DIR at a folder of its own, each process writes its
values there (an mmap file per process) and the process that answers /metrics sums them all.
Without that variable (tests, `finite worker`) the values live in this process's memory.

The metric objects are built lazily, in the process that serves: granian forks its workers from
a parent that may have imported prometheus-client before the variable was set, and the library
chooses where values live when the first metric is built.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, values
from prometheus_client.metrics import disable_created_metrics
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
# Seconds: from 1 ms (a cached read) to 10 s (a big export's first byte under load).
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def multiprocess() -> bool:
    return bool(os.environ.get(MULTIPROC_DIR))


class Metrics:
    def __init__(self) -> None:
        multi = multiprocess()
        # Chosen again here, not when prometheus-client was imported (see the module's doc).
        values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]
        disable_created_metrics()  # type: ignore[no-untyped-call]  # `_created` series: noise
        # Multiprocess mode collects from the files at scrape time; a registry would read this
        # process's values alone.
        self.registry: CollectorRegistry | None = None if multi else CollectorRegistry()
        registry = self.registry
        self.http_requests = Counter(
            "finite_http_requests",
            "HTTP requests answered, by route template, method and status.",
            ["route", "method", "status"],
            registry=registry,
        )
        self.http_latency = Histogram(
            "finite_http_request_duration_seconds",
            "Time from a request's arrival to the end of its answer, by route template.",
            ["route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.rate_limit_rejections = Counter(
            "finite_rate_limit_rejections",
            "Requests refused by the rate limiter: 429 (limit) or 503 (unavailable: Redis is down "
            "and the plan fails closed).",
            ["product", "reason"],
            registry=registry,
        )
        self.webhook_deliveries = Counter(
            "finite_webhook_deliveries",
            "Webhook delivery attempts recorded, by the delivery's state after the attempt: "
            "succeeded, failed (a retry is scheduled) or dead (no more retries).",
            ["outcome"],
            registry=registry,
        )
        self.webhook_in_flight = Gauge(
            "finite_webhook_deliveries_in_flight",
            "Webhook deliveries being sent now.",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.mail = Counter(
            "finite_mail",
            "Mail hand-overs recorded, by the mail's state after the attempt: sent, failed (a "
            "retry is scheduled) or dead (no more retries).",
            ["outcome"],
            registry=registry,
        )
        self.audit_backlog = Gauge(
            "finite_audit_backlog_rows",
            "Audit rows buffered in memory, not yet written (they wait while the database is "
            "unavailable).",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.audit_dropped = Counter(
            "finite_audit_dropped_rows",
            "Audit rows dropped: refused by the database, or past the buffer's bound.",
            registry=registry,
        )
        self.db_pool_in_use = Gauge(
            "finite_db_pool_connections_in_use",
            "Database connections checked out of the process's pools, by pool.",
            ["pool"],
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.db_pool_size = Gauge(
            "finite_db_pool_size",
            "Connections each pool keeps open (it may open more under load), by pool.",
            ["pool"],
            registry=registry,
            multiprocess_mode="livesum",
        )


@cache
def metrics() -> Metrics:
    return Metrics()


def process_ended() -> None:
    """Multiprocess mode: this process's gauges leave the sums (counters stay, as they must)."""
    if multiprocess():
        mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


class _Families(Collector):
    def __init__(self, families: Iterable[Metric]) -> None:
        self._families = list(families)

    def collect(self) -> Iterator[Metric]:
        return iter(self._families)


def exposition(extra: Iterable[Metric] = ()) -> bytes:
    """The text format of every process's metrics, and `extra` families read at scrape time."""
    from prometheus_client import generate_latest

    registry = CollectorRegistry(auto_describe=False)
    own = metrics()
    if own.registry is None:
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(_Families(own.registry.collect()))
    registry.register(_Families(extra))
    return generate_latest(registry)


@contextmanager
def multiprocess_folder() -> Iterator[Path]:
    """`finite serve`: every server process writes its values into one folder, summed at each
    scrape. A fresh private folder in the temporary directory, removed at the end; or the
    operator's PROMETHEUS_MULTIPROC_DIR, a folder of the server's alone, emptied at start
    (values of an earlier run would add to this one's)."""
    given = os.environ.get(MULTIPROC_DIR)
    if given:
        folder = Path(given)
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        for stale in folder.glob("*.db"):
            stale.unlink()
        yield folder
        return
    folder = Path(tempfile.mkdtemp(prefix="finite-metrics-"))
    os.environ[MULTIPROC_DIR] = str(folder)
    try:
        yield folder
    finally:
        os.environ.pop(MULTIPROC_DIR, None)
        shutil.rmtree(folder, ignore_errors=True)
