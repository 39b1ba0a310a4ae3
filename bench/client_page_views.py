"""Process CPU per client-page view, in process: the app under Litestar's test client (no server,
no wrk), a sent pack (tests/handover/client_page/helpers.py) viewed `--views` times after 50 of
warm-up, `time.process_time()` around them. One process per figure, a fresh database each.

    python bench/client_page_views.py [--postgresql] [--views 1000] [--pairs 5] \\
        --source /path/to/before/src --source src

`--source` (repeatable): each checkout's `src` in turn, `--pairs` times: before and after,
interleaved. `--postgresql` uses a new database on the tests' PostgreSQL (tests/backends.py).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-secret-key-0123456789abcdef-0123456789"


async def views(url: str, data_dir: Path, count: int) -> float:
    """CPU seconds per view. Imports here: only the child runs finite, from its --source."""
    from litestar.testing import AsyncTestClient
    from tests.factories import make_org
    from tests.handover.client_page.helpers import sent_pack

    from finite.app import create_app
    from finite.config import load_settings
    from finite.kit.db import Database
    from finite.kit.derived_keys import Peppers

    settings = load_settings(
        {
            "FINITE_DATA_DIR": str(data_dir),
            "FINITE_DATABASE_URL": url,
            "FINITE_SECRET_KEY": SECRET,
            "FINITE_DEMO": "0",
            "FINITE_INLINE_WORKER": "0",
            "FINITE_LOG_LEVEL": "WARNING",
        }
    )
    db = Database(url)
    try:
        org = await make_org(db, Peppers.from_secrets(SECRET))
        async with AsyncTestClient(create_app(settings)) as client:
            page = (await sent_pack(client, db, settings, org.handover_key)).page
            for _ in range(50):
                assert (await client.get(page)).status_code == 200
            started = time.process_time()
            for _ in range(count):
                await client.get(page)
            spent = time.process_time() - started
            assert (await client.get(page)).status_code == 200
    finally:
        await db.dispose()
    return spent / count


def child(postgresql: bool, count: int) -> None:
    from tests import backends

    from finite.platform.migrations import migrate_to_head

    with tempfile.TemporaryDirectory() as data_dir:
        url = (
            backends.create_postgres_database()
            if postgresql
            else f"sqlite+aiosqlite:///{data_dir}/finite.db"
        )
        try:
            migrate_to_head(url)
            print(f"{asyncio.run(views(url, Path(data_dir), count)) * 1000:.2f}")
        finally:
            if postgresql:
                backends.drop_postgres_database(url)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--postgresql", action="store_true")
    parser.add_argument("--views", type=int, default=1000)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--source", action="append", default=[], help="a checkout's src")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.postgresql, args.views)
        return
    engine = "postgresql" if args.postgresql else "sqlite"
    for number in range(1, args.pairs + 1):
        for source in args.source or [str(ROOT / "src")]:
            env = {**os.environ, "PYTHONPATH": f"{Path(source).resolve()}{os.pathsep}{ROOT}"}
            command = [sys.executable, __file__, "--child", "--views", str(args.views)]
            command += ["--postgresql"] if args.postgresql else []
            found = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
            checkout = Path(source).resolve().parent.name
            lines = found.stdout.split()
            print(f"{number} {engine} {checkout:12} {lines[-1]} ms CPU per view", flush=True)


if __name__ == "__main__":
    main()
