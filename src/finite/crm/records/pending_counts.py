"""Record ids and counts on PostgreSQL, where writers run side by side: no row that every
create in an organization locks until it commits.

- Ids are taken on a side connection (Database.side_statement), outside the change's
  transaction: the counter's row is locked for that one statement only. A create that rolls
  back afterwards leaves its id unused, a gap, as a sequence does.
- The count moves by a delta row (+n, -1) written in the change's transaction: inserting rows
  locks nothing another writer waits for. A module's kept count is its counter's record_count
  plus its deltas not yet folded, read in one statement (one snapshot: a fold moves deltas into
  the counter in one statement, so a read sees them on one side or the other, never both).
- fold_pending, every second in each server process (count_folder.py), moves deltas into
  their counters so a list's total sums few rows.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import BigInteger, Table, bindparam, func, insert, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.ext.asyncio import AsyncSession

from finite.crm.records.counters import COUNTERS, KEPT_MODULE, KEPT_ORG
from finite.kit.db import Database, database_of
from finite.models.crm import RecordCountDelta

DELTAS = cast(Table, RecordCountDelta.__table__)
FOLD_BATCH = 10_000  # deltas per fold statement

# On the side connection (its own commit, at once).
_TAKE_IDS = (
    "INSERT INTO crm_counters AS c (org_id, module, last_id, record_count)"
    " VALUES ($1, $2, $3, 0)"
    " ON CONFLICT (org_id, module) DO UPDATE SET last_id = c.last_id + excluded.last_id"
    " RETURNING c.last_id"
)
# Deltas no other fold holds (SKIP LOCKED: processes fold side by side), deleted and added to
# their counters in one statement; counters upserted in key order, so two folds never wait on
# each other in a cycle. The answer: how many deltas were folded.
_FOLD = """
WITH taken AS (
    SELECT org_id, module, id FROM crm_count_deltas LIMIT $1 FOR UPDATE SKIP LOCKED
), folded AS (
    DELETE FROM crm_count_deltas AS d USING taken
    WHERE d.org_id = taken.org_id AND d.module = taken.module AND d.id = taken.id
    RETURNING d.org_id, d.module, d.delta
), counted AS (
    INSERT INTO crm_counters AS c (org_id, module, last_id, record_count)
    SELECT org_id, module, 0, sum(delta) FROM folded
    GROUP BY org_id, module ORDER BY org_id, module
    ON CONFLICT (org_id, module) DO UPDATE SET record_count = c.record_count + excluded.record_count
)
SELECT count(*) FROM folded
"""

# In the change's transaction.
_ADD_DELTA = insert(DELTAS).values(
    org_id=bindparam("org_id"), module=bindparam("module"), delta=bindparam("delta")
)

_counted = (
    select(COUNTERS.c.record_count)
    .where(COUNTERS.c.org_id == KEPT_ORG, COUNTERS.c.module == KEPT_MODULE)
    .scalar_subquery()
)
_pending = (
    select(sql_cast(func.sum(DELTAS.c.delta), BigInteger))  # sum(bigint) is numeric
    .where(DELTAS.c.org_id == KEPT_ORG, DELTAS.c.module == KEPT_MODULE)
    .scalar_subquery()
)
# The kept count as a column (counters.KEPT_TOTAL's counterpart, with the same parameters).
KEPT_TOTAL: Any = (func.coalesce(_counted, 0) + func.coalesce(_pending, 0)).label("kept_total")


async def take_ids(session: AsyncSession, org_id: str, module: str, count: int) -> range:
    """`count` ids taken outside the session's transaction, counted as `count` records more
    by it. The organization must be committed already (the side statement cannot see what the
    transaction wrote), and the transaction must not hold a lock the upsert waits for (the
    organization's row, for update): lock_timeout would end that wait with an error."""
    async with database_of(session).side_statement() as side:
        found = await side.fetch(side.driver, _TAKE_IDS, [org_id, module, count])
    last = int(found[0][0])
    await session.execute(_ADD_DELTA, {"org_id": org_id, "module": module, "delta": count})
    return range(last - count + 1, last + 1)


async def count_one_fewer(session: AsyncSession, org_id: str, module: str) -> None:
    await session.execute(_ADD_DELTA, {"org_id": org_id, "module": module, "delta": -1})


async def fold_pending(db: Database) -> int:
    """Move every committed delta into its counter; returns how many were folded. Each
    statement commits on its own: a fold cut short leaves the rest for the next."""
    folded = 0
    while True:
        async with db.side_statement() as side:
            found = await side.fetch(side.driver, _FOLD, [FOLD_BATCH])
        batch = int(found[0][0])
        folded += batch
        if batch < FOLD_BATCH:
            return folded
