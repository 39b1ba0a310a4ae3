"""Re-seal every sealed value under the current key, a batch at a time, while servers run.

A batch is read without a lock, re-sealed in memory, and written back row by row only where
the row still holds the very bytes that were read: a value changed meanwhile (an endpoint's
secret rotated through the API) was sealed by a server anew and is left as it is. Servers that
hold both the old and the new key open either form throughout, so nothing waits or fails.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select, tuple_, update

from finite.core.sealing.registry import SealedColumn
from finite.kit.db import Database
from finite.kit.secretbox import SecretBox, SecretBoxError

BATCH_SIZE = 200


@dataclass(slots=True)
class Resealed:
    resealed: int = 0  # now under the current key
    current: int = 0  # were under it already
    changed: int = 0  # changed by someone else meanwhile (sealed anew by them)
    unopenable: list[str] = field(default_factory=list)  # "org_id/id": unknown key or tampered


async def reseal_column(
    db: Database, box: SecretBox, sealed: SealedColumn, *, batch_size: int = BATCH_SIZE
) -> Resealed:
    table = sealed.table
    key = (table.c.org_id, table.c.id)
    outcome = Resealed()
    after: tuple[str, str] | None = None
    while True:
        query = select(*key, sealed.sealed).where(sealed.sealed.is_not(None))
        if after is not None:
            query = query.where(tuple_(*key) > tuple_(*after))
        async with db.read() as session:
            rows = (await session.execute(query.order_by(*key).limit(batch_size))).all()
        if not rows:
            return outcome
        after = (rows[-1][0], rows[-1][1])
        writes = []
        for org_id, row_id, blob in rows:
            try:
                new = box.reseal(bytes(blob), sealed.binding_of(org_id, row_id))
            except SecretBoxError:
                outcome.unopenable.append(f"{org_id}/{row_id}")
                continue
            if new is None:
                outcome.current += 1
            else:
                writes.append((org_id, row_id, bytes(blob), new))
        if writes:
            async with db.transaction() as session:
                for org_id, row_id, old, new in writes:
                    result = await session.execute(
                        update(table)
                        .where(
                            table.c.org_id == org_id,
                            table.c.id == row_id,
                            sealed.sealed == old,
                        )
                        .values({sealed.column: new})
                    )
                    if getattr(result, "rowcount", 0) == 1:
                        outcome.resealed += 1
                    else:
                        outcome.changed += 1


async def key_counts(db: Database, box: SecretBox, sealed: SealedColumn) -> Counter[str]:
    """How many values of the column are sealed under each key: "current", "previous", or
    "unknown" (a key no longer configured: those values no longer open)."""
    counts: Counter[str] = Counter()
    previous = set(box.key_ids[1:])
    async with db.read(snapshot=True) as session:  # a server-side cursor needs a transaction
        result = await session.stream(
            select(sealed.sealed).where(sealed.sealed.is_not(None)).execution_options(yield_per=500)
        )
        async for (blob,) in result:
            key_id = box.key_id_of(bytes(blob))
            if key_id == box.current.key_id:
                counts["current"] += 1
            elif key_id in previous:
                counts["previous"] += 1
            else:
                counts["unknown"] += 1
    return counts
