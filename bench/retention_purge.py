"""Retention: how fast old webhook history goes, and how long each batch holds its locks.

    python bench/retention_purge.py --database-url sqlite:////tmp/retention.db --deliveries 100000
    python bench/retention_purge.py \
        --database-url postgresql://postgres@127.0.0.1:5432/finite_bench_retention

Recreates the database (PostgreSQL: drops and creates it; SQLite: a new file), loads one
organization with `--deliveries` finished deliveries 100 days old (two attempts each) and as
many events, plus a tenth as many recent ones that must stay, then runs one retention pass and
reports rows per second and the slowest batch (the longest a writer may wait behind it).
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, insert, select
from sqlalchemy.engine import make_url

from finite.config import normalize_database_url
from finite.core.retention import retention_plan
from finite.core.retention.purge import purge
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.models.accounts import Organization
from finite.models.events import Event
from finite.models.webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from finite.platform.migrations import migrate_to_head

CHUNK = 5_000


def recreate(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        Path(parsed.database or "").unlink(missing_ok=True)
        return
    name = parsed.database
    admin = ["psql", "-h", parsed.host or "127.0.0.1", "-U", parsed.username or "postgres"]
    subprocess.run([*admin, "-c", f"DROP DATABASE IF EXISTS {name}"], check=True)
    subprocess.run([*admin, "-c", f"CREATE DATABASE {name}"], check=True)


async def load(db: Database, deliveries: int) -> None:
    now = utcnow()
    async with db.transaction() as session:
        session.add(Organization(id="org_bench", name="Bench", created_at=now))
        await session.flush()
        session.add(
            WebhookEndpoint(
                org_id="org_bench",
                id="ep_bench",
                product="crm",
                url="https://example.com/h",
                description="",
                modules=["*"],
                events=["*"],
                secret_sealed=b"x",
                status="active",
                created_at=now,
                updated_at=now,
            )
        )
    for start in range(0, deliveries + deliveries // 10, CHUNK):
        rows, attempts, events = [], [], []
        for number in range(start, min(start + CHUNK, deliveries + deliveries // 10)):
            when = now - timedelta(days=100 if number < deliveries else 1)
            rows.append(
                {
                    "org_id": "org_bench",
                    "id": f"dlv_{number:09d}",
                    "endpoint_id": "ep_bench",
                    "event": "record.created",
                    "payload": '{"data": {"id": 1}}',
                    "status": "succeeded",
                    "attempts_in_round": 2,
                    "attempt_total": 2,
                    "created_at": when,
                }
            )
            attempts += [
                {
                    "org_id": "org_bench",
                    "delivery_id": f"dlv_{number:09d}",
                    "id": f"att_{number:09d}_{n}",
                    "number": n,
                    "attempted_at": when,
                    "status_code": 200,
                    "latency_ms": 3,
                }
                for n in (1, 2)
            ]
            events.append(
                {
                    "org_id": "org_bench",
                    "id": f"evt_{number:09d}",
                    "product": "crm",
                    "event": "record.created",
                    "module": "leads",
                    "record_id": number,
                    "version": 1,
                    "occurred_at": when,
                    "data": {},
                    "changed_fields": [],
                    "fanned_out_at": when,
                }
            )
        async with db.transaction(bulk=True) as session:
            await session.execute(insert(WebhookDelivery), rows)
            await session.execute(insert(WebhookAttempt), attempts)
            await session.execute(insert(Event), events)


async def main(url: str, deliveries: int, batch_size: int) -> None:
    db = Database(url)
    try:
        await load(db, deliveries)
        batches: list[float] = []
        last = time.perf_counter()

        def on_batch(_kind: object, _deleted: int) -> None:
            nonlocal last
            now = time.perf_counter()
            batches.append(now - last)
            last = now

        started = time.perf_counter()
        purged = await purge(
            db, retention_plan({}), utcnow(), batch_size=batch_size, on_batch=on_batch
        )
        elapsed = time.perf_counter() - started
        async with db.read() as session:
            left = (await session.execute(select(func.count()).select_from(WebhookDelivery))).one()
    finally:
        await db.dispose()
    print(f"{db.backend.name}: deleted {purged.deleted} in {elapsed:.1f} s")
    deleted_rows = purged.total + 2 * purged.deleted.get("webhook_deliveries", 0)  # + attempts
    print(f"  {deleted_rows / elapsed:,.0f} rows/s (attempts deleted with their deliveries)")
    ordered = sorted(batches)
    median, p99 = ordered[len(ordered) // 2], ordered[int(len(ordered) * 0.99)]
    print(
        f"  batches: {len(batches)}, each (with the pause between batches) median"
        f" {median * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, slowest {ordered[-1] * 1000:.0f} ms"
    )
    print(f"  deliveries left: {left[0]} (the recent tenth)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--deliveries", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=500)
    args = parser.parse_args()
    recreate(normalize_database_url(args.database_url))
    migrate_to_head(normalize_database_url(args.database_url))
    asyncio.run(main(normalize_database_url(args.database_url), args.deliveries, args.batch_size))
