"""The audit writer inserts the calls that changed nothing already sealed into the chain (one
write per row instead of an insert and a later update), on SQLite and PostgreSQL: what it
hashed in memory must be what `verify` recomputes from the database, it seals together with
the rows of changes waiting, several writers and sealers never share a seq, and a failed
write neither loses the batch nor leaves a gap."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy import select, text

from finite.config import Settings
from finite.core.audit import writer as writer_module
from finite.core.audit.chain import seal_pending, verify_chain
from finite.core.audit.writer import AuditWriter
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.kit.ids import new_id
from finite.models import AuditEntry
from tests.factories import OrgSetup, audit_fields, make_org


def call(org_id: str, **values: Any) -> dict[str, Any]:
    """A call's row as the request hook hands it to the writer (no chain columns)."""
    return audit_fields(org_id, **values)


async def chain(db: Database, org_id: str) -> list[AuditEntry]:
    async with db.read() as session:
        found = await session.scalars(
            select(AuditEntry).where(AuditEntry.org_id == org_id).order_by(AuditEntry.seq)
        )
        return list(found.all())


async def insert_unsealed(db: Database, rows: list[dict[str, Any]]) -> None:
    """Rows of changes, as a change's own transaction leaves them."""
    async with db.transaction() as session:
        session.add_all([AuditEntry(**row) for row in rows])


async def test_calls_are_inserted_sealed_and_verify_from_what_the_database_holds(
    db: Database, org: OrgSetup
) -> None:
    awkward = [
        call(org.org_id, user_agent='Mozilla/5.0 "☃" \\ \u2028 \U0001f600 \x7f'),
        call(org.org_id, path="/api/records/leads/%E2%98%83?q=caf%C3%A9", status=500),
        call(org.org_id, key_id=None, key_name=None, client_ip=None, user_agent=None),
        call(org.org_id, record_id=2**63 - 1, module="deals", action="view"),
        call(org.org_id, occurred_at=utcnow().replace(microsecond=0)),  # no fraction
        {  # only some columns, like a refused call's row: the rest are NULL, hashed as such
            "org_id": org.org_id,
            "id": new_id("aud"),
            "occurred_at": utcnow(),
            "product": "crm",
            "method": "GET",
            "path": "/api/nowhere",
            "status": 404,
            "request_id": new_id("req"),
        },
    ]
    writer = AuditWriter(db)
    for row in awkward:
        writer.add(row)
    await writer.flush()
    rows = await chain(db, org.org_id)
    assert [row.seq for row in rows] == list(range(1, len(awkward) + 1))  # no sealer ran
    verdict = await verify_chain(db, org.org_id)
    assert (verdict.intact, verdict.rows, verdict.pending) == (True, len(awkward), 0)
    assert writer.dropped == 0


async def test_arriving_calls_and_waiting_changes_are_sealed_together_in_time_order(
    db: Database, org: OrgSetup
) -> None:
    start = utcnow() - timedelta(seconds=10)
    at = [start + timedelta(seconds=second) for second in range(5)]
    changes = {"name": {"before": None, "after": "Asha"}}
    await insert_unsealed(
        db,
        [
            call(org.org_id, occurred_at=at[0], action="create", changes=changes),
            call(org.org_id, occurred_at=at[2], action="update", changes=changes),
        ],
    )
    writer = AuditWriter(db)
    writer.add(call(org.org_id, occurred_at=at[3]))
    writer.add(call(org.org_id, occurred_at=at[1]))
    # A row with changes is hashed from the database's copy: left for the sealer.
    writer.add(call(org.org_id, occurred_at=at[4], action="update", changes=changes))
    await writer.flush()
    rows = await chain(db, org.org_id)
    sealed = [row for row in rows if row.seq is not None]
    assert [(row.seq, row.occurred_at) for row in sealed] == list(enumerate(at[:4], start=1))
    assert [row.occurred_at for row in rows if row.seq is None] == [at[4]]
    assert (await verify_chain(db, org.org_id)).pending == 1
    assert await seal_pending(db) == 1
    verdict = await verify_chain(db, org.org_id)
    assert (verdict.intact, verdict.rows, verdict.pending) == (True, 5, 0)


async def test_writers_and_sealers_at_once_never_share_a_seq(
    settings: Settings, db: Database, peppers: Peppers
) -> None:
    """Two processes' writers (each its own engine) and a sealer over the same organizations,
    with rows of changes waiting: every row sealed once, every chain whole."""
    orgs = [(await make_org(db, peppers)).org_id for _ in range(3)]
    changes = {"status": {"before": "New", "after": "Won"}}
    await insert_unsealed(db, [call(org_id, changes=changes) for org_id in orgs for _ in range(5)])
    engines = [Database(settings.database_url) for _ in range(3)]
    writers = [AuditWriter(engine) for engine in engines[:2]]
    for index in range(120):
        for org_id in orgs:
            writers[index % 2].add(call(org_id))
    try:
        await asyncio.gather(
            *(writer.flush() for writer in writers), seal_pending(engines[2], batch=4)
        )
        await seal_pending(db)
    finally:
        for engine in engines:
            await engine.dispose()
    for org_id in orgs:
        assert [row.seq for row in await chain(db, org_id)] == list(range(1, 126))
        verdict = await verify_chain(db, org_id)
        assert (verdict.intact, verdict.rows, verdict.pending) == (True, 125, 0)
    assert [writer.dropped for writer in writers] == [0, 0]


async def test_a_row_the_database_refuses_is_dropped_alone_and_leaves_no_gap(
    db: Database, org: OrgSetup
) -> None:
    taken = call(org.org_id)
    await insert_unsealed(db, [taken])
    writer = AuditWriter(db)
    writer.add(call(org.org_id))
    writer.add({**call(org.org_id), "id": taken["id"]})  # its primary key is taken
    writer.add(call(org.org_id))
    await writer.flush()
    assert writer.dropped == 1
    await seal_pending(db)
    rows = await chain(db, org.org_id)
    assert [row.seq for row in rows] == [1, 2, 3]
    verdict = await verify_chain(db, org.org_id)
    assert (verdict.intact, verdict.rows, verdict.pending) == (True, 3, 0)


async def test_a_connection_lost_during_the_copy_keeps_the_batch_for_the_next_flush(
    db: Database, org: OrgSetup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The COPY runs on the driver's connection, past SQLAlchemy's error handling: a connection
    dropped under it must still read as "database unavailable" (the batch waits) rather than as
    bad rows (dropped one by one). Rolling back on the dead connection is what says so."""
    if db.is_sqlite:
        pytest.skip("PostgreSQL's COPY path")
    sealing = writer_module.seal_arriving  # type: ignore[attr-defined]
    url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    cut = 0

    async def seal_then_lose_the_connection(session: Any, rows: Any) -> None:
        nonlocal cut
        await sealing(session, rows)
        if cut == 0:
            cut += 1
            pid = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            admin = await asyncpg.connect(url)
            try:
                await admin.execute("SELECT pg_terminate_backend($1)", pid)
            finally:
                await admin.close()
            await asyncio.sleep(0.2)  # the termination reaches the writer's connection

    monkeypatch.setattr(writer_module, "seal_arriving", seal_then_lose_the_connection)
    writer = AuditWriter(db)
    for _ in range(5):
        writer.add(call(org.org_id))
    await writer.flush()
    assert cut == 1
    assert (writer.dropped, await chain(db, org.org_id)) == (0, [])
    await writer.flush()
    assert [row.seq for row in await chain(db, org.org_id)] == [1, 2, 3, 4, 5]
    verdict = await verify_chain(db, org.org_id)
    assert (verdict.intact, verdict.rows, verdict.pending) == (True, 5, 0)
