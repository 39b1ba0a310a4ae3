"""A stopping server's audit writer and sealer finish the write they are in instead of
interrupting it: the batch being written when the stop came used to be lost (up to 500 rows
of the tamper-evident log), and the interrupted transaction held SQLite's write lock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import event, func, select

from finite.config import Settings
from finite.core.audit.sealer import AuditSealer
from finite.core.audit.writer import FLUSH_BATCH, AuditWriter
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.kit.ids import new_id
from finite.models import AuditEntry
from tests.factories import OrgSetup
from tests.sqlite_locks import write_lock_held_elsewhere

ROWS = FLUSH_BATCH + 10  # a full batch wakes the writer at once; ten more wait behind it


@asynccontextmanager
async def audit_log_locked(db: Database, settings: Settings) -> AsyncIterator[None]:
    """Another process's transaction keeps every insert into the audit log waiting."""
    if db.is_sqlite:
        with write_lock_held_elsewhere(settings):
            yield
        return
    dsn = settings.database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
    locker = await asyncpg.connect(dsn)
    try:
        async with locker.transaction():
            await locker.execute("LOCK TABLE audit_log IN SHARE ROW EXCLUSIVE MODE")
            yield
    finally:
        await locker.close()


def row(org_id: str, marker: str) -> dict[str, Any]:
    return {
        "org_id": org_id,
        "id": new_id("aud"),
        "occurred_at": utcnow(),
        "product": "crm",
        "method": "GET",
        "path": "/api/records/leads",
        "status": 200,
        "request_id": marker,
    }


async def rows_written(db: Database, marker: str) -> int:
    async with db.read() as session:
        query = select(func.count()).where(AuditEntry.request_id == marker)
        return int((await session.execute(query)).scalar_one())


async def test_a_stop_during_a_batch_write_loses_no_row(
    db: Database, settings: Settings, org: OrgSetup
) -> None:
    marker = new_id("req")
    writer = AuditWriter(db)
    await writer.start()
    async with audit_log_locked(db, settings):
        for _ in range(ROWS):
            writer.add(row(org.org_id, marker))
        await asyncio.sleep(0.3)  # the writer is inside its batch, waiting for the lock
        stopping = asyncio.create_task(writer.stop())
        await asyncio.sleep(0.3)
        assert not stopping.done()  # it waits for the batch rather than cancel it
    await asyncio.wait_for(stopping, timeout=20)
    assert await rows_written(db, marker) == ROWS
    assert writer.dropped == 0


async def test_a_stop_during_a_seal_leaves_the_chain_sealed_and_the_lock_free(
    db: Database, settings: Settings, org: OrgSetup
) -> None:
    marker = new_id("req")
    async with db.transaction() as session:
        session.add_all(AuditEntry(**row(org.org_id, marker)) for _ in range(5))
    dropped: list[object] = []  # connections discarded: what an interrupted statement costs
    event.listen(db.engine.sync_engine.pool, "invalidate", lambda *args: dropped.append(args))
    event.listen(db.engine.sync_engine.pool, "close", lambda *args: dropped.append(args))
    sealer = AuditSealer(db, interval=0.05)
    await sealer.start()
    async with audit_log_locked(db, settings):
        await asyncio.sleep(0.3)  # a round has begun and waits for the lock
        stopping = asyncio.create_task(sealer.stop())
        await asyncio.sleep(0.2)
        assert not stopping.done()
    await asyncio.wait_for(stopping, timeout=20)
    assert dropped == []
    async with db.read() as session:
        unsealed = select(func.count()).where(
            AuditEntry.request_id == marker, AuditEntry.seq.is_(None)
        )
        assert (await session.execute(unsealed)).scalar_one() == 0
    async with db.transaction() as session:  # and nothing holds the write lock
        session.add(AuditEntry(**row(org.org_id, marker)))
    assert await rows_written(db, marker) == 6
