"""Webhook deliveries: throughput with N `finite worker` processes, and change → first attempt.

    python bench/webhook_deliveries.py \
        --database-url postgresql://postgres@127.0.0.1:5432/finite_bench_webhooks \
        --workers 2 --events 10000 --endpoints 4

Recreates the database, creates one organization with `--endpoints` webhooks pointing at a
fast local receiver (bench/webhook_receiver.py), then:
1. throughput: queues `--events` outbox events at once, starts the workers, and reports
   deliveries per second between the first and the last attempt;
2. latency: with the workers idle and polling, writes events one transaction at a time at
   `--rate` per second and reports the time from each event's commit to its first attempt.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import make_url

import finite.crm  # noqa: F401  (registers the modules the new organization's roles govern)
from finite.core.accounts.service import PlanChoice, create_org
from finite.core.plans.entitlement import entitlement_for
from finite.core.webhooks import service as webhooks
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.kit.ids import new_id
from finite.kit.secretbox import SecretBox
from finite.models.events import Event
from finite.models.webhooks import WebhookAttempt, WebhookDelivery
from finite.platform.migrations import migrate_to_head

HERE = Path(__file__).resolve().parent
SECRET = "bench-secret-key-0123456789abcdef-0123456789"
PORT = 9911


def recreate_database(url: str) -> None:
    parsed = make_url(url)
    admin = ["psql", "-h", parsed.host or "127.0.0.1", "-U", parsed.username or "postgres", "-q"]
    name = parsed.database
    subprocess.run([*admin, "-c", f"DROP DATABASE IF EXISTS {name}"], check=True)
    subprocess.run([*admin, "-c", f"CREATE DATABASE {name}"], check=True)


async def setup(db: Database, endpoints: int) -> str:
    box = SecretBox.from_secrets(SECRET)
    async with db.transaction() as session:
        org, _owner = await create_org(
            session,
            "Webhook bench",
            owner_email="bench@example.com",
            owner_name="Bench",
            crm=PlanChoice("ultimate", "active"),
            handover=PlanChoice("free", "active"),
        )
        entitlement = entitlement_for("crm", "ultimate", "active", None, None, None, utcnow())
        for number in range(endpoints):
            await webhooks.create_endpoint(
                session,
                box,
                org_id=org.id,
                entitlement=entitlement,
                new=webhooks.NewEndpoint(
                    f"http://127.0.0.1:{PORT}/hook{number}", ["*"], ["*"], "bench"
                ),
                now=utcnow() - timedelta(seconds=1),
            )
    return org.id


def event_row(org_id: str, number: int) -> dict[str, object]:
    return {
        "org_id": org_id,
        "id": new_id("evt"),
        "product": "crm",
        "event": "create",
        "module": "leads",
        "record_id": number,
        "version": 1,
        "occurred_at": utcnow(),
        "data": {"id": number, "name": f"Lead {number}", "company": "Acme Pumps", "status": "New"},
        "changed_fields": ["name", "company"],
        "fanned_out_at": None,
    }


async def queue_events(db: Database, org_id: str, count: int) -> None:
    async with db.transaction() as session:
        for start in range(0, count, 1000):
            rows = [event_row(org_id, n) for n in range(start, min(count, start + 1000))]
            await session.execute(insert(Event), rows)


async def wait_for_succeeded(db: Database, expected: int, within: float) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        async with db.read() as session:
            done = await session.scalar(
                select(func.count())
                .select_from(WebhookDelivery)
                .where(WebhookDelivery.status == "succeeded")
            )
        if done is not None and done >= expected:
            return
        await asyncio.sleep(0.25)
    raise SystemExit(f"timed out waiting for {expected} succeeded deliveries")


async def attempt_span(db: Database) -> tuple[float, int]:
    async with db.read() as session:
        first, last, count = (
            await session.execute(
                select(
                    func.min(WebhookAttempt.attempted_at),
                    func.max(WebhookAttempt.attempted_at),
                    func.count(),
                )
            )
        ).one()
    return (last - first).total_seconds(), int(count)


async def steady_events(db: Database, org_id: str, rate: float, seconds: float) -> list[str]:
    ids = []
    interval = 1 / rate
    started = time.monotonic()
    number = 10_000_000
    while time.monotonic() - started < seconds:
        row = event_row(org_id, number)
        async with db.transaction() as session:
            row["occurred_at"] = utcnow()
            await session.execute(insert(Event), [row])
        ids.append(str(row["id"]))
        number += 1
        next_at = started + len(ids) * interval
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
    return ids


async def first_attempt_latencies(db: Database, event_ids: list[str]) -> list[float]:
    async with db.read() as session:
        rows = await session.execute(
            text(
                "SELECT e.occurred_at, a.attempted_at FROM events e "
                "JOIN webhook_deliveries d ON d.org_id = e.org_id AND d.event_id = e.id "
                "JOIN webhook_attempts a ON a.org_id = d.org_id AND a.delivery_id = d.id "
                "AND a.number = 1 WHERE e.id = ANY(:ids)"
            ),
            {"ids": event_ids},
        )
        return [(attempted - occurred).total_seconds() * 1000 for occurred, attempted in rows]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def start_workers(count: int, database_url: str) -> list[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "FINITE_DATABASE_URL": database_url,
        "FINITE_SECRET_KEY": SECRET,
        "FINITE_ALLOW_PRIVATE_TARGETS": "1",
        "FINITE_LOG_LEVEL": "WARNING",
    }
    return [
        subprocess.Popen([sys.executable, "-m", "finite", "worker"], env=env) for _ in range(count)
    ]


async def main(args: argparse.Namespace) -> None:
    db = Database(args.database_url)
    receiver = subprocess.Popen(  # noqa: ASYNC220 - started once, before measuring
        [sys.executable, str(HERE / "webhook_receiver.py"), "--port", str(PORT)],
        stdout=subprocess.PIPE,
    )
    workers: list[subprocess.Popen[bytes]] = []
    try:
        org_id = await setup(db, args.endpoints)
        await queue_events(db, org_id, args.events)
        expected = args.events * args.endpoints
        workers = start_workers(args.workers, args.database_url)
        await wait_for_succeeded(db, expected, within=600)
        seconds, attempts = await attempt_span(db)
        print(
            f"throughput: {attempts} deliveries by {args.workers} workers in {seconds:.2f} s "
            f"= {attempts / seconds:,.0f} deliveries/s"
        )
        event_ids = await steady_events(db, org_id, args.rate, args.seconds)
        await wait_for_succeeded(db, expected + len(event_ids) * args.endpoints, within=120)
        latencies = await first_attempt_latencies(db, event_ids)
        print(
            f"change → first attempt ({len(latencies)} deliveries at {args.rate:g} events/s): "
            f"p50 {statistics.median(latencies):.0f} ms, p90 {percentile(latencies, 0.9):.0f} ms, "
            f"p99 {percentile(latencies, 0.99):.0f} ms, max {max(latencies):.0f} ms"
        )
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=30)
        receiver.send_signal(signal.SIGTERM)
        receiver.wait(timeout=10)
        await db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--endpoints", type=int, default=4)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    arguments = parser.parse_args()
    recreate_database(arguments.database_url)
    migrate_to_head(arguments.database_url)
    asyncio.run(main(arguments))
