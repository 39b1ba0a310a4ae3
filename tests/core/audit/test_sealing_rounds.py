"""A sealing round sets its rows' links in one statement (UPDATE … FROM, kit/engines/), on SQLite
and PostgreSQL: many rows of several organizations, rounds of SEAL_BATCH rows, chains that were
already sealed continued, and a row that is no longer waiting never overwritten."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from typing import Any, cast

import pytest
from sqlalchemy import Table, event, select, update

from finite.core.audit.chain import (
    CONTENT_COLUMNS,
    GENESIS,
    SEAL_BATCH,
    SealingError,
    canonical,
    link_hash,
    seal_org,
    seal_pending,
    verify_chain,
)
from finite.kit.clock import utcnow
from finite.kit.db import Database, engine_of
from finite.kit.derived_keys import Peppers
from finite.kit.engines.base import DatabaseEngine
from finite.models import AuditChainHead, AuditEntry
from tests.factories import audit_fields, make_org

_TABLE = cast(Table, AuditEntry.__table__)


def change_row(org_id: str, at: Any, number: int) -> dict[str, Any]:
    """A change's row as the unit of work leaves it: unsealed, with its field diff."""
    return audit_fields(
        org_id,
        occurred_at=at,
        method="POST",
        path="/api/records/leads/batch",
        status=201,
        action="create",
        record_id=number,
        changes={
            "name": {"before": None, "after": f"Lead {number}"},
            "value": {"before": None, "after": Decimal("50000.10")},
            "tags": {"before": None, "after": ["a", "b"]},
        },
    )


async def insert_unsealed(db: Database, rows: list[dict[str, Any]]) -> None:
    async with db.transaction() as session:
        await engine_of(session).insert_rows(session, _TABLE, tuple(rows[0]), rows)


@contextmanager
def audit_updates(db: Database) -> Iterator[list[tuple[str, bool]]]:
    """The UPDATEs of audit_log sent to the database: (statement, sent as executemany)."""
    seen: list[tuple[str, bool]] = []

    def before(*args: Any) -> None:
        statement, executemany = args[2], args[5]
        if statement.lstrip().upper().startswith("UPDATE") and "audit_log" in statement:
            seen.append((statement, executemany))

    event.listen(db.engine.sync_engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", before)


async def chain_rows(db: Database, org_id: str) -> list[AuditEntry]:
    async with db.read() as session:
        found = await session.scalars(
            select(AuditEntry).where(AuditEntry.org_id == org_id).order_by(AuditEntry.seq)
        )
        return list(found.all())


async def test_one_round_seals_many_rows_of_several_organizations_one_statement_each(
    db: Database, peppers: Peppers
) -> None:
    first, second, third = [await make_org(db, peppers) for _ in range(3)]
    start, rng = utcnow(), random.Random(25)
    # The first organization's chain is under way: the round continues it from its head.
    await insert_unsealed(db, [change_row(first.org_id, start, n) for n in range(5)])
    assert await seal_pending(db) == 5
    counts = {first.org_id: SEAL_BATCH + 300, second.org_id: 250, third.org_id: 1}
    rows = [
        # Shuffled, and several rows per instant: the chain follows (occurred_at, id).
        change_row(org_id, start + timedelta(milliseconds=rng.randrange(count // 4 + 1)), n)
        for org_id, count in counts.items()
        for n in range(count)
    ]
    rng.shuffle(rows)
    await insert_unsealed(db, rows)

    with audit_updates(db) as updates:
        assert await seal_pending(db) == len(rows)

    # Rounds of SEAL_BATCH rows at most, each one statement, whatever its count of rows.
    assert len(updates) == 4, [statement[:80] for statement, _ in updates]
    assert not any(executemany for _, executemany in updates)
    for org_id, count in counts.items():
        sealed = await chain_rows(db, org_id)
        earlier = 5 if org_id == first.org_id else 0
        assert [row.seq for row in sealed] == list(range(1, earlier + count + 1))
        later = sealed[earlier:]
        order = [(row.occurred_at, row.id) for row in later]
        assert order == sorted(order)
        previous = str(sealed[earlier - 1].hash) if earlier else GENESIS
        for row in later:
            content = {name: getattr(row, name) for name in CONTENT_COLUMNS}
            assert row.prev_hash == previous
            assert row.hash == link_hash(previous, canonical(content))
            previous = str(row.hash)
        verdict = await verify_chain(db, org_id)
        assert (verdict.intact, verdict.rows, verdict.pending) == (True, earlier + count, 0)


@pytest.mark.parametrize("sealed_index", [0, 2])
async def test_a_row_that_is_no_longer_waiting_is_left_alone(
    db: Database, peppers: Peppers, sealed_index: int
) -> None:
    """The statement sets only rows whose seq is still NULL, and says how many it set."""
    org = await make_org(db, peppers)
    rows = [change_row(org.org_id, utcnow(), n) for n in range(3)]
    await insert_unsealed(db, rows)
    taken = rows[sealed_index]["id"]
    async with db.transaction() as session:
        await session.execute(
            update(AuditEntry).where(AuditEntry.id == taken).values(seq=7, hash="f" * 64)
        )
        links = [(org.org_id, row["id"], 100 + n, "a" * 64, "b" * 64) for n, row in enumerate(rows)]
        changed = await engine_of(session).update_rows(
            session, _TABLE, ("org_id", "id"), ("seq", "prev_hash", "hash"), links, unset="seq"
        )
    assert changed == 2
    stored = {row.id: (row.seq, row.hash) for row in await chain_rows(db, org.org_id)}
    assert stored[taken] == (7, "f" * 64)
    others = [100 + n for n in range(3) if n != sealed_index]
    assert sorted(seq or 0 for seq, _ in stored.values()) == [7, *others]


async def test_a_round_whose_rows_changed_under_it_rolls_back(
    db: Database, peppers: Peppers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Were a waiting row sealed by another between the round's read and its update, the round
    would leave a gap in the chain: it refuses, and everything stays waiting."""
    org = await make_org(db, peppers)
    rows = [change_row(org.org_id, utcnow(), n) for n in range(4)]
    await insert_unsealed(db, rows)
    engine_class = type(db.backend)
    original = engine_class.update_rows

    async def sealed_meanwhile(self: DatabaseEngine, session: Any, *args: Any, **kw: Any) -> int:
        await session.execute(
            update(AuditEntry).where(AuditEntry.id == rows[1]["id"]).values(seq=99)
        )
        return await original(self, session, *args, **kw)

    monkeypatch.setattr(engine_class, "update_rows", sealed_meanwhile)
    with pytest.raises(SealingError, match="1 of 4 waiting audit rows"):
        async with db.transaction() as session:
            await seal_org(session, org.org_id)
    monkeypatch.undo()
    async with db.read() as session:
        assert await session.get(AuditChainHead, org.org_id) is None
    assert all(row.seq is None for row in await chain_rows(db, org.org_id))
    assert await seal_pending(db) == 4
    assert (await verify_chain(db, org.org_id)).intact
