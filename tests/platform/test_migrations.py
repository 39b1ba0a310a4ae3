"""Alembic runs on SQLite and PostgreSQL alike: up, down and up again on a fresh database."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import inspect, text

from finite.crm.modules import tables as _crm_module_tables  # noqa: F401  (onto the metadata)
from finite.crm.records.query.search import include_name
from finite.kit.db import Database
from finite.models import Base
from finite.platform.migrations import alembic_config, migrate_to_head


def tables(url: str) -> set[str]:
    async def read() -> set[str]:
        db = Database(url)
        try:
            async with db.engine.connect() as conn:
                names = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
        finally:
            await db.dispose()
        # The FTS5 tables of migration 0004 are not models: left out, as autogenerate does.
        return {name for name in names if include_name(name, "table", {})} - {"alembic_version"}

    return asyncio.run(read())


def test_upgrade_downgrade_upgrade(fresh_url: str) -> None:
    migrate_to_head(fresh_url)
    assert tables(fresh_url) == set(Base.metadata.tables)
    migrate_to_head(fresh_url)  # idempotent
    command.downgrade(alembic_config(fresh_url), "base")
    assert tables(fresh_url) == set()
    migrate_to_head(fresh_url)
    assert tables(fresh_url) == set(Base.metadata.tables)


def test_models_and_migrations_agree(fresh_url: str) -> None:
    """A model change without a migration is caught here."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    migrate_to_head(fresh_url)

    async def diff() -> list[object]:
        db = Database(fresh_url)
        try:
            async with db.engine.connect() as conn:
                return await conn.run_sync(
                    lambda sync: compare_metadata(
                        MigrationContext.configure(sync, opts={"include_name": include_name}),
                        Base.metadata,
                    )
                )
        finally:
            await db.dispose()

    assert asyncio.run(diff()) == []


def test_processes_migrating_one_sqlite_file_take_turns(tmp_path: Path) -> None:
    """`finite serve` and `finite worker` started together both migrate first: on SQLite one
    waits for the other (a lock file) instead of failing on SQLite's write lock or running a
    revision the other already ran."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
    script = "import sys; from finite.platform.migrations import *; migrate_to_head(sys.argv[1])"
    processes = [
        subprocess.Popen([sys.executable, "-c", script, url], stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    errors = [process.communicate(timeout=300)[1] for process in processes]
    assert [process.returncode for process in processes] == [0, 0, 0], [e[-2000:] for e in errors]
    assert "crm_leads" in tables(url)


def test_downgrading_0019_folds_the_pending_record_counts(fresh_url: str) -> None:
    """Dropped unfolded, PostgreSQL's count deltas would be lost from the kept totals."""
    migrate_to_head(fresh_url)

    async def run(*statements: str) -> list[Any]:
        """Each statement in one transaction; the last one's rows."""
        db = Database(fresh_url)
        try:
            async with db.engine.begin() as conn:
                results = [await conn.execute(text(sql)) for sql in statements]
                return list(results[-1].all()) if results[-1].returns_rows else []
        finally:
            await db.dispose()

    asyncio.run(
        run(
            "INSERT INTO organizations (id, name, created_at) VALUES ('org_1', 'O', '2026-01-01')",
            "INSERT INTO crm_counters (org_id, module, last_id, record_count)"
            " VALUES ('org_1', 'leads', 9, 5), ('org_1', 'deals', 2, 2)",
            "INSERT INTO crm_count_deltas (org_id, module, id, delta)"
            " VALUES ('org_1', 'leads', 1, 3), ('org_1', 'leads', 2, 1), ('org_1', 'leads', 3, -1)",
        )
    )
    command.downgrade(alembic_config(fresh_url), "0018")
    counted = asyncio.run(
        run("SELECT module, record_count FROM crm_counters WHERE org_id = 'org_1' ORDER BY module")
    )
    assert counted == [("deals", 2), ("leads", 8)]
