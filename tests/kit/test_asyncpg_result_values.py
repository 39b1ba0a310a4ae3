"""On asyncpg, `UTCDateTime` and `ScaledDecimal` give SQLAlchemy no result processor: the driver
already returns timestamptz as aware UTC datetimes and NUMERIC(p, s) as Decimals of scale s.
This checks that premise on the stored values themselves, through an ORM session and a raw
read alike (on SQLite both types still convert what the driver hands over)."""

from __future__ import annotations

from datetime import UTC, timedelta
from decimal import Decimal

from sqlalchemy import select

from finite.crm.bulk import seed_records
from finite.crm.modules.tables import MODULE_TABLES
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.kit.fast_read import fetch_all
from tests.factories import make_org

DEALS = MODULE_TABLES["deals"]


async def test_datetimes_are_aware_utc_and_decimals_keep_their_scale(
    db: Database, peppers: Peppers
) -> None:
    org = await make_org(db, peppers)
    await seed_records(db, org.org_id, "deals", 40, owner=org.owner_id)
    async with db.transaction() as session:  # whole numbers too: 7 must read back as 7.00
        await session.execute(DEALS.update().where(DEALS.c.id == 1).values(amount=Decimal(7)))
    statement = select(DEALS.c.created_at, DEALS.c.updated_at, DEALS.c.amount).where(
        DEALS.c.org_id == org.org_id
    )
    async with db.read() as session:
        through_orm = [tuple(row) for row in (await session.execute(statement)).all()]
    async with db.raw_read(generic_plans=True) as connection:
        raw = await fetch_all(connection, statement)
    assert sorted(through_orm, key=str) == sorted(raw, key=str)
    amounts = [row[2] for row in raw if row[2] is not None]
    assert Decimal("7.00") in amounts
    assert len(amounts) > 10
    assert all(amount.as_tuple().exponent == -2 for amount in amounts)
    for created, updated, _ in raw:
        for moment in (created, updated):
            assert moment.utcoffset() == timedelta(0)
            assert moment.astimezone(UTC) == moment
