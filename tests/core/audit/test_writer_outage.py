"""The audit writer keeps rows through an outage and drops only what the database refuses.

The failures are the database's own words, arriving the way a restart delivers them (asyncpg's
"the database system is starting up" under SQLAlchemy's DBAPIError, from the batch's insert);
the drill in tests/platform/test_database_outage.py makes them for real with a cluster it stops
and starts."""

from __future__ import annotations

import sqlite3
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy import select
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_dbapi
from sqlalchemy.exc import DBAPIError, OperationalError

from finite.core.audit import writer as writer_module
from finite.core.audit.chain import verify_chain
from finite.core.audit.writer import MAX_ATTEMPTS, AuditWriter
from finite.kit.db import Database
from finite.models import AuditEntry
from tests.factories import OrgSetup, audit_fields


def starting_up() -> DBAPIError:
    """What SQLAlchemy raises while PostgreSQL is starting up after a crash."""
    cause = asyncpg.CannotConnectNowError("the database system is starting up")
    adapted: Any = AsyncAdapt_asyncpg_dbapi.Error(str(cause))  # type: ignore[no-untyped-call]
    adapted.pgcode = cause.sqlstate
    adapted.__cause__ = cause
    wrapped = DBAPIError.instance(None, None, adapted, AsyncAdapt_asyncpg_dbapi.Error)
    assert isinstance(wrapped, DBAPIError)
    return wrapped


def fail_inserts(monkeypatch: pytest.MonkeyPatch, error: Exception, times: int) -> list[int]:
    """The next `times` inserts raise `error` (inside the writer's transaction, which rolls
    back); returns the sizes of the batches tried."""
    real_insert = writer_module._insert
    tried: list[int] = []

    async def failing(session: Any, rows: list[dict[str, Any]]) -> None:
        tried.append(len(rows))
        if len(tried) <= times:
            raise error
        await real_insert(session, rows)

    monkeypatch.setattr(writer_module, "_insert", failing)
    return tried


async def written(db: Database, org_id: str) -> list[str]:
    async with db.read() as session:
        found = await session.scalars(
            select(AuditEntry.id).where(AuditEntry.org_id == org_id).order_by(AuditEntry.seq)
        )
        return list(found.all())


async def test_rows_wait_while_the_database_starts_up_then_are_written(
    db: Database, org: OrgSetup, monkeypatch: pytest.MonkeyPatch
) -> None:
    tried = fail_inserts(monkeypatch, starting_up(), times=3)
    writer = AuditWriter(db)
    rows = [audit_fields(org.org_id) for _ in range(5)]
    for row in rows:
        writer.add(row)
    for _ in range(3):
        await writer.flush()
    assert writer.dropped == 0  # the database is unavailable: the rows wait
    assert tried == [5, 5, 5]  # the whole batch each time, never row by row
    assert await written(db, org.org_id) == []

    await writer.flush()
    assert await written(db, org.org_id) == [row["id"] for row in rows]
    verdict = await verify_chain(db, org.org_id)
    assert (verdict.intact, verdict.rows, verdict.pending) == (True, 5, 0)


async def test_a_row_failing_for_another_reason_waits_and_is_dropped_only_after_its_tries(
    db: Database, org: OrgSetup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Neither an outage nor a refusal (SQLite's "database is locked", a conflict): the row is
    tried again at the next rounds, not dropped at once; one that never goes in is dropped after
    MAX_ATTEMPTS rounds, so it cannot hold the others back for ever."""
    locked = OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))
    fail_inserts(monkeypatch, locked, times=2)  # the batch, then its one row
    writer = AuditWriter(db)
    row = audit_fields(org.org_id)
    writer.add(row)
    assert await writer.flush() is False
    assert writer.dropped == 0
    assert await writer.flush() is True
    assert await written(db, org.org_id) == [row["id"]]

    fail_inserts(monkeypatch, locked, times=1_000)  # never goes in
    stuck = audit_fields(org.org_id)
    writer.add(stuck)
    for _ in range(MAX_ATTEMPTS - 1):
        assert await writer.flush() is False
        assert writer.dropped == 0
    assert await writer.flush() is True
    assert writer.dropped == 1
    assert await written(db, org.org_id) == [row["id"]]
