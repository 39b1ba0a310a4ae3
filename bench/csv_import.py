"""CSV import throughput and memory: a file of leads uploaded to a real `finite serve`.

    python bench/csv_import.py [--database-url postgresql+asyncpg://…/postgres] --rows 1000000
    python bench/csv_import.py --profile 20000      # in process, under cProfile: where time goes

Migrates a fresh database (a temporary SQLite file; with `--database-url` naming a PostgreSQL
server, a new database on it, dropped afterwards), creates an organization and its key, writes
the CSV (tests/crm/imports/rows.py's leads: unique emails, a phone, a value, a status) to a
temporary file, starts `finite serve` (inline worker on, audit and outbox on), streams the file
to POST /api/import/leads.csv and polls the job until it is done. Prints the upload's and the
import's rows per second, and the server's resident memory (every process of it, from /proc)
before the upload and at its peak: the growth is what the import costs in memory.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
from sqlalchemy import select

from finite.core.accounts.service import PlanChoice, create_org
from finite.core.auth.authenticate import principal_of_key
from finite.core.keys.service import create_key
from finite.crm.fields.service import load_schema
from finite.crm.imports.runner import ImportRunner
from finite.crm.imports.service import ImportOptions, new_job, queue_job
from finite.crm.imports.upload import store_upload
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.kit.ids import new_id
from finite.models import ApiKey
from finite.platform.migrations import migrate_to_head

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.crm.imports.rows import lead_rows

SECRET = "bench-secret-" + "x" * 40
CHUNK = 1024 * 1024


async def make_key(url: str) -> tuple[str, str]:
    db = Database(url)
    try:
        async with db.transaction() as session:
            org, owner = await create_org(
                session,
                "Import bench",
                owner_email="owner@import-bench.example",
                owner_name="Bench Owner",
                crm=PlanChoice("ultimate", "active"),
                handover=PlanChoice("free"),
            )
            key = await create_key(
                session,
                Peppers.from_secrets(SECRET),
                org_id=org.id,
                product="crm",
                name="bench",
                member_id=owner.id,
            )
        return org.id, key.token
    finally:
        await db.dispose()


def write_csv(path: Path, rows: int) -> int:
    """In slices, so that a million rows never sit in memory at once."""
    size = 0
    with path.open("w", newline="") as out:
        header_written = False
        for start in range(0, rows, 100_000):
            text, _, _ = lead_rows(min(100_000, rows - start))
            if header_written:
                text = text.split("\r\n", 1)[1]
            text = text.replace("Lead ", f"Lead {start}-").replace("@", f"-{start}@")
            out.write(text)
            size += len(text)
            header_written = True
    return size


def rss_bytes(root: int) -> int:
    """Resident memory of `root` and its descendants (granian's workers)."""
    total = 0
    for pid in [root, *descendants(root)]:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except FileNotFoundError:
            continue
    return total


def descendants(root: int) -> list[int]:
    children: list[int] = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == root:
                children.append(int(entry.name))
    found = list(children)
    for child in children:
        found += descendants(child)
    return found


def file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as source:
        while chunk := source.read(CHUNK):
            yield chunk


def serve(url: str, workdir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FINITE_")}
    env.update(
        FINITE_DATABASE_URL=url,
        FINITE_SECRET_KEY=SECRET,
        FINITE_ENV="development",
        FINITE_DEMO="0",
        FINITE_INLINE_WORKER="1",
        FINITE_DATA_DIR=str(workdir),
        FINITE_LOG_LEVEL="WARNING",
        FINITE_IMPORT_MAX_MB="4096",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "finite", "serve", "--port", str(port)],
        env=env,
        cwd=workdir,
        start_new_session=True,
        stdout=(workdir / "serve.out").open("wb"),
        stderr=(workdir / "serve.err").open("wb"),
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit("the server did not start:\n" + (workdir / "serve.err").read_text())


def run_served(url: str, rows: int, workdir: Path) -> None:
    migrate_to_head(url)
    _, key = asyncio.run(make_key(url))
    csv_path = workdir / "leads.csv"
    size = write_csv(csv_path, rows)
    port = 18000 + secrets.randbelow(2000)
    process = serve(url, workdir, port)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "text/csv"}
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600) as client:
            before = peak = rss_bytes(process.pid)
            started = time.perf_counter()
            response = client.post(
                "/api/import/leads.csv", content=file_chunks(csv_path), headers=headers
            )
            uploaded = time.perf_counter()
            assert response.status_code == 202, response.text
            job_id = response.json()["id"]
            while True:
                job = client.get(f"/api/import/jobs/{job_id}", headers=headers).json()
                peak = max(peak, rss_bytes(process.pid))
                if job["status"] not in ("queued", "running"):
                    break
                time.sleep(0.5)
            finished = time.perf_counter()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
    assert job["status"] == "done", job
    assert job["created"] == rows, job
    engine = url.split(":", 1)[0]
    print(f"{engine}: {rows:,} leads, {size / 1e6:.1f} MB of CSV")
    print(f"  upload  {uploaded - started:7.1f} s  {rows / (uploaded - started):9,.0f} rows/s")
    print(f"  import  {finished - uploaded:7.1f} s  {rows / (finished - uploaded):9,.0f} rows/s")
    print(f"  overall {finished - started:7.1f} s  {rows / (finished - started):9,.0f} rows/s")
    print(
        f"  server RSS {before / 2**20:.0f} MiB before, {peak / 2**20:.0f} MiB at peak: "
        f"+{(peak - before) / 2**20:.0f} MiB"
    )


def run_profiled(url: str, rows: int, workdir: Path) -> None:
    """The upload's storing and the runner, in this process under cProfile."""
    migrate_to_head(url)
    asyncio.run(make_key(url))
    text, _, _ = lead_rows(rows)

    async def body() -> AsyncIterator[bytes]:
        data = text.encode()
        for start in range(0, len(data), CHUNK):
            yield data[start : start + CHUNK]

    async def work() -> None:
        db = Database(url)
        try:
            async with db.read() as session:
                key_id = (await session.scalars(select(ApiKey.id))).one()
            principal = await principal_of_key(db, key_id, "crm")
            async with db.read() as session:
                schema = await load_schema(session, principal.org_id, "leads")
            job_id = new_id("imp")
            started = time.perf_counter()
            upload = await store_upload(db, principal.org_id, job_id, schema, body())
            stored = time.perf_counter()
            job = new_job(principal, schema, job_id, "x.csv", upload, ImportOptions(), "req", None)
            async with db.transaction() as session:
                await queue_job(session, job)
            await ImportRunner(db).run_once()
            done = time.perf_counter()
            print(
                f"store {rows / (stored - started):,.0f} rows/s; "
                f"write {rows / (done - stored):,.0f} rows/s"
            )
        finally:
            await db.dispose()

    profile = cProfile.Profile()
    profile.enable()
    asyncio.run(work())
    profile.disable()
    stats = pstats.Stats(profile)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="a PostgreSQL server (a database is created)")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--profile", type=int, help="profile this many rows in process")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="finite-import-bench-") as folder:
        workdir = Path(folder)
        if args.database_url:
            from tests.backends import create_postgres_database, drop_postgres_database

            url = create_postgres_database()
        else:
            url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
        try:
            if args.profile:
                run_profiled(url, args.profile, workdir)
            else:
                run_served(url, args.rows, workdir)
        finally:
            if args.database_url:
                drop_postgres_database(url)


if __name__ == "__main__":
    main()
