"""Record ids and kept counts (crm/records/counters.py on SQLite, pending_counts.py on
PostgreSQL), on both engines: ids count from 1 per organization and module and never repeat;
an unfiltered list's total is exact through concurrent creates, deletes, batches, rolled-back
creates and folds. On PostgreSQL a create does not wait for another create's transaction."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import func, insert, select

import finite.crm.records.pending_counts as pending_counts
import finite.platform.unit_of_work as unit_of_work_module
from finite.core.auth.authenticate import authenticate
from finite.crm.engine import crm_engine
from finite.crm.fields.service import load_schema
from finite.crm.records import service
from finite.crm.records.count_folder import COUNT_FOLDER
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.models.crm import RecordCountDelta, RecordCounter
from tests.concurrency import concurrent_client
from tests.factories import OrgSetup, bearer

LEADS = "/api/records/leads"


async def total(http: httpx.AsyncClient, key: str, query: str = "") -> int:
    response = await http.get(LEADS + query, headers=bearer(key))
    assert response.status_code == 200, response.text
    found: int = response.json()["total"]
    return found


async def create(http: httpx.AsyncClient, key: str, name: str) -> httpx.Response:
    return await http.post(LEADS, json={"name": name}, headers=bearer(key))


async def fold(db: Database) -> None:
    """What the background folder does (nothing on SQLite, whose counts need no fold)."""
    folder = crm_engine(db).count_folder(db)
    if folder is not None:
        await folder.fold_now()


async def pending(db: Database, org_id: str) -> int:
    async with db.read() as session:
        found = await session.execute(select(func.count()).where(RecordCountDelta.org_id == org_id))
        return int(found.scalar_one())


async def counter(db: Database, org_id: str) -> tuple[int, int]:
    """The leads counter's (last_id, record_count)."""
    async with db.read() as session:
        row = await session.get(RecordCounter, (org_id, "leads"))
        assert row is not None
        return row.last_id, row.record_count


async def test_concurrent_creates_get_distinct_ids_and_an_exact_total(
    app: Litestar, db: Database, org: OrgSetup
) -> None:
    key = org.crm_key
    async with concurrent_client(app) as http:
        created = await asyncio.gather(*(create(http, key, f"Lead {n}") for n in range(32)))
        assert [response.status_code for response in created] == [201] * 32
        ids = sorted(response.json()["id"] for response in created)
        assert ids == list(range(1, 33))  # distinct; no gap, since none rolled back
        assert await total(http, key) == 32
        await fold(db)
        assert await pending(db, org.org_id) == 0
        assert await counter(db, org.org_id) == (32, 32)
        assert await total(http, key) == 32

        # Creates and deletes at once, with a fold running beside them.
        more = [create(http, key, f"More {n}") for n in range(8)]
        gone = [http.delete(f"{LEADS}/{n}", headers=bearer(key)) for n in range(1, 9)]
        folding = asyncio.create_task(fold(db))
        answers = await asyncio.gather(*more, *gone)
        await folding
        assert [answer.status_code for answer in answers] == [201] * 8 + [204] * 8
        assert await total(http, key) == 32
        await fold(db)
        assert await counter(db, org.org_id) == (40, 32)
        assert await total(http, key) == 32


async def test_deletes_and_batches_keep_the_total_exact(
    app: Litestar, db: Database, org: OrgSetup
) -> None:
    key = org.crm_key
    async with concurrent_client(app) as http:
        for n in range(3):
            assert (await create(http, key, f"Single {n}")).status_code == 201
        records = [{"name": f"Batch {n}"} for n in range(10)]
        batch = await http.post(f"{LEADS}/batch", json={"records": records}, headers=bearer(key))
        assert batch.status_code == 200, batch.text
        assert [r["id"] for r in batch.json()["results"]] == list(range(4, 14))
        for record_id in (2, 5):
            deleted = await http.delete(f"{LEADS}/{record_id}", headers=bearer(key))
            assert deleted.status_code == 204
        assert await total(http, key) == 11
        assert await total(http, key, "?page=50") == 11  # no row carries it: counted apart
        await fold(db)
        assert await pending(db, org.org_id) == 0
        assert await counter(db, org.org_id) == (13, 11)
        assert await total(http, key) == 11
        assert await total(http, key, "?page=50") == 11


async def test_a_create_rolled_back_after_taking_its_id_leaves_the_total_exact(
    app: Litestar, db: Database, org: OrgSetup, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = org.crm_key

    async def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("audit storage failed")

    async with concurrent_client(app) as http:
        for n in range(2):
            assert (await create(http, key, f"Lead {n}")).status_code == 201
        monkeypatch.setattr(unit_of_work_module, "insert_audit_entry", broken)
        assert (await create(http, key, "Never")).status_code == 500
        monkeypatch.undo()
        assert await total(http, key) == 2
        await fold(db)
        assert await total(http, key) == 2
        next_id = (await create(http, key, "After")).json()["id"]
        # SQLite's id moved back with the transaction; PostgreSQL's stays a gap, as a
        # sequence's does.
        assert next_id == (3 if db.is_sqlite else 4)
        assert await total(http, key) == 3
        await fold(db)
        assert await total(http, key) == 3
        assert await counter(db, org.org_id) == (next_id, 3)


async def test_a_create_does_not_wait_for_another_creates_transaction(
    app: Litestar, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    if db.is_sqlite:
        pytest.skip("SQLite's writers take turns on the whole database, by design")
    header = [(b"authorization", b"Bearer " + org.crm_key.encode())]
    principal = await authenticate(db, peppers, header, "crm")
    async with concurrent_client(app) as http:
        async with db.transaction() as session:
            schema = await load_schema(session, org.org_id, "leads")
            held = await service.create_record(session, principal, schema, {"name": "Held"})
            # Its transaction still open: before, the counter's row stayed locked until here.
            other = await asyncio.wait_for(create(http, org.crm_key, "Other"), timeout=10)
            assert other.status_code == 201, other.text
            assert other.json()["id"] == held.data["id"] + 1
            assert await total(http, org.crm_key) == 1  # the open one is not counted yet
        assert await total(http, org.crm_key) == 2


async def test_folds_side_by_side_fold_each_delta_once(
    db: Database, org: OrgSetup, monkeypatch: pytest.MonkeyPatch
) -> None:
    if db.is_sqlite:
        pytest.skip("SQLite keeps no deltas")
    monkeypatch.setattr(pending_counts, "FOLD_BATCH", 50)  # each fold loops, interleaved
    async with db.transaction() as session:
        await crm_engine(db).take_record_ids(session, org.org_id, "leads", 600)
        rows = [{"org_id": org.org_id, "module": "leads", "delta": -1} for _ in range(400)]
        await session.execute(insert(RecordCountDelta), rows)
    folded = await asyncio.gather(*(pending_counts.fold_pending(db) for _ in range(3)))
    assert sum(folded) >= 401  # and whatever other tests left in other organizations
    assert await pending(db, org.org_id) == 0
    assert await counter(db, org.org_id) == (600, 200)


async def test_every_server_process_folds_in_the_background(
    app: Litestar, db: Database, org: OrgSetup
) -> None:
    async with concurrent_client(app) as http:
        folder = app.state.platform.upkeep.get(COUNT_FOLDER)
        if db.is_sqlite:
            assert folder is None  # nothing to fold: counts move with each transaction
            return
        assert (await create(http, org.crm_key, "Lead")).status_code == 201
        folder.nudge()
        for _ in range(100):
            if await pending(db, org.org_id) == 0:
                break
            await asyncio.sleep(0.05)
        assert await pending(db, org.org_id) == 0
        assert await counter(db, org.org_id) == (1, 1)
