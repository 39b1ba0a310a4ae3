"""Record ids and counts kept in the change's own transaction, on the counter's row
(crm_counters): SQLite's way, whose writers hold the whole database in turn anyway, so the
row's lock until the commit costs nothing more. PostgreSQL's: pending_counts.py."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import BindParameter

from finite.models.crm import RecordCounter

COUNTERS = cast(Table, RecordCounter.__table__)  # Core statements: the ORM's bulk path is slower

# Built once: building a statement per call, and SQLAlchemy's cache key for it, cost more than
# running it (~0.3 ms of a create's CPU).
_new = sqlite.insert(COUNTERS).values(
    org_id=bindparam("org_id"),
    module=bindparam("module"),
    last_id=bindparam("count"),
    record_count=bindparam("count"),
)
_TAKE_IDS = _new.on_conflict_do_update(
    index_elements=["org_id", "module"],
    set_={
        "last_id": COUNTERS.c.last_id + _new.excluded.last_id,
        "record_count": COUNTERS.c.record_count + _new.excluded.record_count,
    },
).returning(COUNTERS.c.last_id)
_ONE_FEWER = (
    update(COUNTERS)
    .where(COUNTERS.c.org_id == bindparam("of_org"), COUNTERS.c.module == bindparam("of_module"))
    .values(record_count=COUNTERS.c.record_count - 1)
)

# The kept count as a column, to read along with another query (every unfiltered list page
# carries it); its parameters are kept_total_params', given at execution.
KEPT_ORG: BindParameter[str] = bindparam("kept_org_id")
KEPT_MODULE: BindParameter[str] = bindparam("kept_module")
KEPT_TOTAL: Any = (
    select(COUNTERS.c.record_count)
    .where(COUNTERS.c.org_id == KEPT_ORG, COUNTERS.c.module == KEPT_MODULE)
    .scalar_subquery()
    .label("kept_total")
)


def kept_total_params(org_id: str, module: str) -> dict[str, str]:
    return {KEPT_ORG.key: org_id, KEPT_MODULE.key: module}


async def take_ids(session: AsyncSession, org_id: str, module: str, count: int) -> range:
    """One upsert: the ids and the count move together, with the transaction."""
    found = await session.execute(_TAKE_IDS, {"org_id": org_id, "module": module, "count": count})
    last = int(found.scalar_one())
    return range(last - count + 1, last + 1)


async def count_one_fewer(session: AsyncSession, org_id: str, module: str) -> None:
    await session.execute(_ONE_FEWER, {"of_org": org_id, "of_module": module})
