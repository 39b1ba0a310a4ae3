"""`finite retention run|show`, and the settings that name a kind retention does not know."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

from sqlalchemy import select
from typer.testing import CliRunner, Result

from finite.cli import app as cli_app
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.kit.ids import new_id
from finite.models.events import Event
from tests.conftest import TEST_SECRET, Invoke
from tests.factories import make_org

T = TypeVar("T")


def _with_db(database_url: str, work: Callable[[Database], Awaitable[T]]) -> T:
    async def run() -> T:
        db = Database(database_url)
        try:
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(run())


async def _event(db: Database, org_id: str, occurred_at: datetime) -> str:
    event_id = new_id("evt")
    async with db.transaction() as session:
        session.add(
            Event(
                org_id=org_id,
                id=event_id,
                product="crm",
                event="record.created",
                module="leads",
                record_id=1,
                version=1,
                occurred_at=occurred_at,
                data={},
                changed_fields=[],
                fanned_out_at=occurred_at,
            )
        )
    return event_id


async def _events(db: Database, org_id: str) -> set[str]:
    async with db.read() as session:
        return set((await session.scalars(select(Event.id).where(Event.org_id == org_id))).all())


def test_run_deletes_old_rows_and_dry_run_only_counts(cli: Invoke, database_url: str) -> None:
    async def setup(db: Database) -> tuple[str, str, str]:
        org_id = (await make_org(db, Peppers.from_secrets(TEST_SECRET))).org_id
        old = await _event(db, org_id, utcnow() - timedelta(days=91))
        return org_id, old, await _event(db, org_id, utcnow() - timedelta(days=1))

    org_id, old, new = _with_db(database_url, setup)

    counted = cli("retention", "run", "--dry-run")
    assert counted.exit_code == 0, counted.output
    assert "events: " in counted.output
    assert "would be deleted (kept 90 days)" in counted.output
    assert _with_db(database_url, lambda db: _events(db, org_id)) == {old, new}

    result = cli("retention", "run")
    assert result.exit_code == 0, result.output
    assert "events: " in result.output
    assert "deleted (kept 90 days)" in result.output
    assert "webhook_deliveries: " in result.output
    assert "idempotency_keys: " in result.output
    assert _with_db(database_url, lambda db: _events(db, org_id)) == {new}


def test_show_lists_each_kind_with_its_setting(database_url: str, tmp_path: Path) -> None:
    result = _invoke(database_url, tmp_path, {"FINITE_RETENTION_EVENTS_DAYS": "0"}, "show")
    assert result.exit_code == 0, result.output
    assert "events: kept for good (FINITE_RETENTION_EVENTS_DAYS)" in result.output
    assert "webhook_attempts: kept 90 days (FINITE_RETENTION_WEBHOOK_ATTEMPTS_DAYS)" in (
        result.output
    )
    assert "idempotency_keys: kept 1 day (" in result.output


def test_a_setting_for_no_kind_stops_the_command(database_url: str, tmp_path: Path) -> None:
    result = _invoke(database_url, tmp_path, {"FINITE_RETENTION_EVENT_DAYS": "5"}, "run")
    assert result.exit_code == 2
    assert "FINITE_RETENTION_EVENT_DAYS: no such kind of row" in result.output


def _invoke(database_url: str, tmp_path: Path, extra: dict[str, str], command: str) -> Result:
    env = {
        "FINITE_ENV": "development",
        "FINITE_DATA_DIR": str(tmp_path / "data"),
        "FINITE_DATABASE_URL": database_url,
        "FINITE_SECRET_KEY": TEST_SECRET,
        "FINITE_REDIS_URL": "",
        **extra,
    }
    return CliRunner().invoke(cli_app, ["retention", command], env=env)
