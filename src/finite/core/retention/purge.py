"""Delete what retention allows, a small batch per transaction, oldest first.

Each batch is one short transaction: SELECT the keys of the oldest removable rows past their
time (``LIMIT n``, ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so workers running retention side
by side never wait on each other and a row being changed is left for the next pass), then
DELETE exactly those rows, one primary-key lookup each (one executemany). Not one statement
with ``IN (SELECT … LIMIT n)``: PostgreSQL may run such a sub-select again for every outer row
and delete far more than n; nor ``(org_id, id) IN (<n pairs>)``, which PostgreSQL checks row by
row against the whole list (0.7 s a batch of 500 in bench/retention_purge.py). On SQLite the
write transaction holds the database for one batch only; other writers get their turn between
batches.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, and_, bindparam, delete, func, select

from finite.core.retention.registry import Retained, RetentionKind
from finite.kit.db import Database

BATCH_SIZE = 500
PAUSE = 0.01  # seconds between batches: other writers' turn


@dataclass(slots=True)
class Purged:
    """Rows deleted per kind in one pass."""

    deleted: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.deleted.values())


def _old(kind: RetentionKind, cutoff: datetime) -> ColumnElement[bool]:
    condition = kind.age < cutoff
    return condition if kind.removable is None else and_(condition, kind.removable)


async def delete_batch(db: Database, kind: RetentionKind, cutoff: datetime, limit: int) -> int:
    """Delete up to `limit` of the oldest removable rows older than `cutoff`."""
    key = list(kind.table.primary_key.columns)
    old = _old(kind, cutoff)
    chosen = (
        select(*key).where(old).order_by(kind.age).limit(limit).with_for_update(skip_locked=True)
    )
    names = [f"key_{index}" for index in range(len(key))]
    by_key = delete(kind.table).where(
        *(column == bindparam(name) for column, name in zip(key, names, strict=True))
    )
    async with db.transaction(bulk=True) as session:
        keys = [dict(zip(names, row, strict=True)) for row in (await session.execute(chosen))]
        if keys:
            # Locked (PostgreSQL) or under the write lock (SQLite) since the SELECT: no chosen
            # row can have changed, so none needs checking again.
            await session.execute(by_key, keys)
    return len(keys)


async def count_old(db: Database, kind: RetentionKind, cutoff: datetime) -> int:
    async with db.read() as session:
        query = select(func.count()).select_from(kind.table).where(_old(kind, cutoff))
        return int((await session.execute(query)).scalar_one())


async def purge(
    db: Database,
    plan: tuple[Retained, ...],
    now: datetime,
    *,
    batch_size: int = BATCH_SIZE,
    pause: float = PAUSE,
    keep_going: Callable[[], bool] = lambda: True,
    on_batch: Callable[[RetentionKind, int], None] | None = None,
) -> Purged:
    """Delete every kind's old rows, batch after batch, until none is left or `keep_going`
    says stop (checked between batches: a batch is never cut off)."""
    purged = Purged()
    for retained in plan:
        cutoff = retained.cutoff(now)
        if cutoff is None:
            continue
        kind = retained.kind
        purged.deleted[kind.name] = 0
        while keep_going():
            deleted = await delete_batch(db, kind, cutoff, batch_size)
            purged.deleted[kind.name] += deleted
            if on_batch is not None and deleted:
                on_batch(kind, deleted)
            if deleted < batch_size:
                break
            await asyncio.sleep(pause)
    return purged
