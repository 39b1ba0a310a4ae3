"""`finite backup`: a SQLite copy taken while a real server writes opens, holds a consistent
moment, and its audit chain verifies intact; PostgreSQL goes through pg_dump."""

from __future__ import annotations

import asyncio
import shutil
import stat
import subprocess
import threading
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from finite.cli import app as cli_app
from finite.crm.modules.tables import MODULE_TABLES
from finite.kit.backups import libpq_environment
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.platform.migrations import migrate_to_head
from tests.conftest import TEST_SECRET
from tests.factories import OrgSetup, make_org
from tests.servers import Servers, server_env


def _finite(url: str, data_dir: Path, *args: str) -> Result:
    env = {
        "FINITE_ENV": "development",
        "FINITE_DATA_DIR": str(data_dir),
        "FINITE_DATABASE_URL": url,
        "FINITE_SECRET_KEY": TEST_SECRET,
        "FINITE_REDIS_URL": "",
    }
    return CliRunner().invoke(cli_app, list(args), env=env)


def _new_org(url: str) -> OrgSetup:
    async def work() -> OrgSetup:
        db = Database(url)
        try:
            return await make_org(db, Peppers.from_secrets(TEST_SECRET))
        finally:
            await db.dispose()

    return asyncio.run(work())


def _leads(url: str, org_id: str) -> int:
    async def work() -> int:
        db = Database(url)
        leads = MODULE_TABLES["leads"]
        try:
            async with db.read() as session:
                query = select(func.count()).select_from(leads).where(leads.c.org_id == org_id)
                return int((await session.execute(query)).scalar_one())
        finally:
            await db.dispose()

    return asyncio.run(work())


class Writer(threading.Thread):
    """Creates leads through the server until stopped, noting every answer."""

    def __init__(self, base_url: str, key: str) -> None:
        super().__init__(daemon=True)
        self.client = httpx.Client(base_url=base_url, timeout=30)
        self.key = key
        self.statuses: list[int] = []
        self.stop = threading.Event()

    def run(self) -> None:
        number = 0
        while not self.stop.is_set():
            number += 1
            answer = self.client.post(
                "/api/records/leads",
                json={"name": f"Lead {number}", "company": "Backup Drill"},
                headers={"Authorization": f"Bearer {self.key}"},
            )
            self.statuses.append(answer.status_code)

    def wait_for(self, count: int) -> None:
        for _ in range(600):
            if len(self.statuses) >= count:
                return
            self.stop.wait(0.05)
        pytest.fail(f"the server made {len(self.statuses)} writes, not {count}")


def test_a_sqlite_backup_taken_while_the_server_writes_verifies_intact(
    servers: Servers, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o700)
    url = f"sqlite+aiosqlite:///{data_dir / 'finite.db'}"
    migrate_to_head(url)
    org = _new_org(url)
    (server,) = servers.start(
        server_env(data_dir=str(data_dir), secret_key=TEST_SECRET, demo="0", database_url=url)
    )
    writer = Writer(server.base_url, org.crm_key)
    writer.start()
    try:
        writer.wait_for(20)
        before = len(writer.statuses)
        target = tmp_path / "backups" / "finite-backup.db"
        target.parent.mkdir()
        made = _finite(url, data_dir, "backup", str(target))
        assert made.exit_code == 0, made.output
        writer.wait_for(before + 20)  # the server kept writing, never held up
    finally:
        writer.stop.set()
        writer.join(timeout=30)
    assert set(writer.statuses) == {201}
    assert "backed up the sqlite database" in made.output
    assert "holds no secret key" in made.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in target.parent.iterdir()] == ["finite-backup.db"]  # no leftovers

    copy_url = f"sqlite+aiosqlite:///{target}"
    assert before <= _leads(copy_url, org.org_id) < len(writer.statuses)
    verified = _finite(copy_url, tmp_path / "restore", "audit", "verify", "--org", org.org_id)
    assert verified.exit_code == 0, verified.output
    assert "chain intact" in verified.output

    again = _finite(url, data_dir, "backup", str(target))
    assert again.exit_code == 1
    assert "exists; pass --force" in again.output


def test_a_postgresql_backup_is_a_pg_dump_archive(postgres_url: str, tmp_path: Path) -> None:
    if shutil.which("pg_restore") is None:
        pytest.skip("pg_dump / pg_restore not on PATH")
    target = tmp_path / "finite.dump"
    made = _finite(postgres_url, tmp_path / "data", "backup", str(target))
    assert made.exit_code == 0, made.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    listing = subprocess.run(
        ["pg_restore", "--list", str(target)], capture_output=True, text=True, check=True
    )
    assert "TABLE public audit_log" in listing.stdout
    assert "TABLE public webhook_deliveries" in listing.stdout


def test_the_password_goes_to_pg_dump_in_its_environment_not_its_arguments() -> None:
    env = libpq_environment("postgresql+asyncpg://finite:s3cret@db.internal:6432/app?ssl=require")
    assert env == {
        "PGHOST": "db.internal",
        "PGPORT": "6432",
        "PGUSER": "finite",
        "PGPASSWORD": "s3cret",
        "PGDATABASE": "app",
        "PGSSLMODE": "require",
    }
