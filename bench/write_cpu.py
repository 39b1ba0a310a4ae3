"""Process CPU per single create (and update) of a lead, in process: the app driven through
httpx's ASGI transport by one caller, no server, no HTTP parsing. The figure counts the whole
process (the client, the app, its background workers), with time.process_time, which the other
processes on a shared box do not disturb as they do wall time.

    PYTHONPATH=<checkout>/src python bench/write_cpu.py [--database-url postgresql://…/postgres]
        [--count 2000] [--warmup 100]

Each run builds a database of its own, migrated (SQLite in a temporary folder; on PostgreSQL a
new database beside the URL's, dropped at the end), an organization and its key. Run it from
each checkout in turn (before, after, before, after) to compare.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import httpx
from sqlalchemy import make_url, update

import finite
from finite.app import create_app
from finite.config import Settings
from finite.core.accounts.service import PlanChoice, create_org
from finite.core.keys.service import create_key
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.models import Subscription
from finite.platform.migrations import migrate_to_head

SECRET = "bench-secret-key-0123456789abcdef-0123456789"
CREATE_BODY = {
    "name": "Asha Rao",
    "company": "Acme Pumps",
    "email": "asha@acmepumps.in",
    "value": 50000,
}


@asynccontextmanager
async def fresh_database(url: str | None, folder: Path) -> AsyncIterator[str]:
    if url is None:
        yield f"sqlite+aiosqlite:///{folder / 'finite.db'}"
        return
    parsed = make_url(url)
    admin_url = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"write_cpu_{time.time_ns()}"
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield parsed.set(drivername="postgresql+asyncpg", database=name).render_as_string(
            hide_password=False
        )
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def new_key(url: str) -> str:
    db = Database(url)
    peppers = Peppers.from_secrets(SECRET)
    async with db.transaction() as session:
        org, owner = await create_org(
            session,
            "Bench",
            owner_email="owner@example.com",
            owner_name="Owner",
            crm=PlanChoice("enterprise", "active"),
            handover=PlanChoice("agency", "active"),
        )
        key = await create_key(
            session, peppers, org_id=org.id, product="crm", name="bench", member_id=owner.id
        )
        await session.execute(
            update(Subscription).where(Subscription.org_id == org.id).values(rpm_override=10**9)
        )
    await db.dispose()
    return key.token


def report(name: str, samples: list[float]) -> None:
    ms = sorted(sample * 1000 for sample in samples)
    print(
        f"{name:7} n={len(ms)}  mean {statistics.fmean(ms):.3f} ms  "
        f"median {statistics.median(ms):.3f}  p90 {ms[int(len(ms) * 0.9)]:.3f} ms CPU"
    )


async def main(database_url: str | None, count: int, warmup: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        async with fresh_database(database_url, Path(folder)) as url:
            await asyncio.to_thread(migrate_to_head, url)
            token = await new_key(url)
            settings = Settings(
                env="development",
                data_dir=Path(folder),
                database_url=url,
                redis_url=None,
                secret_key=SECRET,
                demo_on_first_run=False,
            )
            app = create_app(settings)
            headers = {"Authorization": f"Bearer {token}"}
            transport = httpx.ASGITransport(app=app)
            async with (
                app.lifespan(),
                httpx.AsyncClient(transport=transport, base_url="http://bench") as client,
            ):
                created: list[tuple[int, int]] = []
                creates: list[float] = []
                for at in range(warmup + count):
                    started = time.process_time()
                    answer = await client.post(
                        "/api/records/leads", json=CREATE_BODY, headers=headers
                    )
                    if at >= warmup:
                        creates.append(time.process_time() - started)
                    assert answer.status_code == 201, answer.text
                    record = answer.json()
                    created.append((record["id"], record["version"]))
                updates: list[float] = []
                for at, (record_id, version) in enumerate(created[: warmup + count]):
                    body = {"name": f"Asha Rao {at}", "version": version}
                    started = time.process_time()
                    answer = await client.put(
                        f"/api/records/leads/{record_id}", json=body, headers=headers
                    )
                    if at >= warmup:
                        updates.append(time.process_time() - started)
                    assert answer.status_code == 200, answer.text
            engine = "postgresql" if database_url else "sqlite"
            print(f"{Path(finite.__file__).parents[2].name} on {engine}:")
            report("create", creates)
            report("update", updates)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", help="PostgreSQL (a new database beside this one)")
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=100)
    args = parser.parse_args()
    asyncio.run(main(args.database_url, args.count, args.warmup))
