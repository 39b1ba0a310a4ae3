"""Creates in one organization, many at once, through the repository alone: a transaction that
takes an id, inserts the lead and commits — the span the per-organization counter row stayed
locked before PostgreSQL took ids beside the transaction. No HTTP and no server: what the
counter itself allows when the servers' CPU is not the limit.

    python bench/record_ids.py --database-url postgresql://…/writes_bench --org Bench \\
        [--source <checkout>/src --source src] [--rounds 2] [--seconds 8] [--concurrency 32]

Each run prints creates a second, p50 and p99 of a transaction, and this process's CPU per
create. `--source` (repeatable) runs each checkout in a process of its own, every round:
before and after, interleaved. On PostgreSQL the run folds what it counted at its end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path


async def measure(url: str, org: str, seconds: float, concurrency: int) -> str:
    from sqlalchemy import select

    import finite.crm  # noqa: F401 - the CRM's engine classes
    from finite.crm.engine import crm_engine
    from finite.crm.records import repository
    from finite.kit.clock import utcnow
    from finite.kit.db import Database
    from finite.models import Organization

    db = Database(url, pool_size=concurrency)
    org_id = org
    if not org.startswith("org_"):
        async with db.read() as session:
            named = select(Organization.id).where(Organization.name == org)
            org_id = (await session.execute(named)).scalar_one()
    latencies: list[float] = []
    stop_at = 0.0

    async def writer() -> None:
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            async with db.transaction() as session:
                record_id = await repository.next_record_id(session, org_id, "leads")
                now = utcnow()
                row = {"org_id": org_id, "id": record_id, "version": 1, "created_at": now}
                row.update(updated_at=now, name="Bench lead", custom={})
                await repository.insert_record(session, "leads", row)
            latencies.append(time.perf_counter() - started)

    stop_at = time.perf_counter() + 1.0  # warm-up: connections opened, statements prepared
    await asyncio.gather(*(writer() for _ in range(concurrency)))
    latencies.clear()
    cpu, wall = time.process_time(), time.perf_counter()
    stop_at = wall + seconds
    await asyncio.gather(*(writer() for _ in range(concurrency)))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    folder = getattr(crm_engine(db), "count_folder", lambda _db: None)(db)
    if folder is not None:
        await folder.fold_now()
    await db.dispose()
    latencies.sort()
    done = len(latencies)
    return (
        f"{done / wall:7.0f} creates/s  p50 {1000 * latencies[done // 2]:7.1f} ms  "
        f"p99 {1000 * latencies[int(done * 0.99)]:7.1f} ms  CPU {1000 * cpu / done:5.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--org", default="Bench", help="a seeded organization (id or name)")
    parser.add_argument("--source", action="append", default=[], help="a checkout's src")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # a child run
    args = parser.parse_args()
    settings = (args.database_url, args.org, args.seconds, args.concurrency)
    if args.one or not args.source:
        print(asyncio.run(measure(*settings)), flush=True)
        return
    for round_number in range(1, args.rounds + 1):
        for source in args.source:
            env = {**os.environ, "PYTHONPATH": source}
            child = [sys.executable, __file__, "--one", *sys.argv[1:]]
            found = subprocess.run(child, env=env, capture_output=True, text=True, check=True)
            label = Path(source).resolve().parent.name
            print(f"round {round_number} {label:12} {found.stdout.strip()}", flush=True)


if __name__ == "__main__":
    main()
