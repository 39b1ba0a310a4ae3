"""kit/fast_read: SELECTs on the driver's connection give exactly what SQLAlchemy gives."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import bindparam, event, func, literal_column, select, text, update
from sqlalchemy.util import greenlet_spawn

from finite.crm.engine import crm_engine
from finite.crm.modules.tables import MODULE_TABLES
from finite.crm.records.counters import kept_total_params
from finite.crm.records.query.build import capped_count
from finite.kit.db import Database
from finite.kit.fast_read import AnySelect, fetch_all, fetch_rows
from finite.models import ApiKey, Role, Subscription
from tests.factories import OrgSetup, bearer

# Every kind of value authentication reads: text, JSON lists and objects, aware date-times,
# integers, flags, and NULLs from an outer join.
PROBE = (
    select(
        ApiKey.id,
        ApiKey.scopes,
        ApiKey.revoked_at,
        ApiKey.expires_at,
        Subscription.trial_ends_at,
        Subscription.rpm_override,
        Role.is_admin,
        Role.permissions,
    )
    .join(Subscription, Subscription.org_id == ApiKey.org_id)
    .outerjoin(Role, Role.id == bindparam("role_id"))
    .where(ApiKey.org_id == bindparam("org_id"))
    .order_by(ApiKey.id, Subscription.product)
)


async def test_rows_equal_sqlalchemys_value_for_value(db: Database, org: OrgSetup) -> None:
    moment = datetime(2026, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    async with db.transaction() as session:
        await session.execute(
            update(ApiKey).where(ApiKey.id == org.crm_key_id).values(expires_at=moment)
        )
        await session.execute(
            update(Subscription)
            .where(Subscription.org_id == org.org_id)
            .values(trial_ends_at=moment, rpm_override=1234)
        )
        role_id = (
            await session.execute(select(Role.id).where(Role.org_id == org.org_id).limit(1))
        ).scalar_one()
    for role in (role_id, "no-such-role"):
        params = {"org_id": org.org_id, "role_id": role}
        async with db.read() as session:
            expected = [tuple(row) for row in (await session.execute(PROBE, params)).all()]
            fast = await fetch_rows(session, PROBE, params)
        assert len(fast) >= 2
        assert fast == expected
        for row in fast:
            assert row[3] is None or row[3].tzinfo is not None  # aware, like UTCDateTime's
            assert isinstance(row[1], list)
    async with db.read() as session:
        assert await fetch_rows(session, PROBE, {"org_id": "org_none", "role_id": ""}) == []


async def _read_probe(db: Database, how: str) -> int:
    """Run the probe through a session or a raw read; returns the backend's pid."""
    probe = select(ApiKey.id).where(ApiKey.org_id == bindparam("org_id"))
    if how == "session":
        async with db.read() as session:
            assert await fetch_rows(session, probe, {"org_id": "org_none"}) == []
            return int((await session.execute(text("SELECT pg_backend_pid()"))).scalar_one())
    async with db.raw_read() as connection:
        assert await fetch_rows(connection, probe, {"org_id": "org_none"}) == []
        return int(connection.driver.get_server_pid())


@pytest.mark.parametrize("how", ["session", "raw_read"])
async def test_a_connection_the_database_dropped_is_not_reused(db: Database, how: str) -> None:
    """After PostgreSQL drops the pool's connections (a restart), the first read fails and the
    next one gets a fresh connection: the dead one is invalidated, not returned to the pool."""
    if db.is_sqlite:
        pytest.skip("PostgreSQL drops connections; SQLite has none to drop")
    pid = await _read_probe(db, how)
    url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    admin = await asyncpg.connect(url)
    try:  # only this pool's connection: other tests' databases are left alone
        await admin.execute("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()
    failed = 0
    for _ in range(3):  # the pool may hold more than one dead connection; each fails once
        try:
            await _read_probe(db, how)
            break
        except AssertionError:
            raise
        except Exception:  # noqa: BLE001 - whatever the driver says about a dead connection
            failed += 1
    else:
        raise AssertionError("every read failed: the dead connection went back to the pool")
    assert failed >= 1


async def test_built_selects_equal_sqlalchemys(
    client: AsyncTestClient[Litestar], db: Database, org: OrgSetup
) -> None:
    """Statements built per request (literal values, IN lists, decimals, date-times, JSON,
    scalar subqueries, values given at execution) read the same rows as SQLAlchemy; a second
    statement of the same shape gets its own values, not the cached first one's."""
    leads = [
        {"name": "Asha", "value": "1234.56", "annual_revenue": "-0.01", "email_opt_out": True},
        {"name": "Ravi", "employees": 12, "email_opt_out": False},
        {"name": "Chen", "value": "0.10"},
    ]
    for body in leads:
        response = await client.post("/api/records/leads", json=body, headers=bearer(org.crm_key))
        assert response.status_code == 201, response.text
    table = MODULE_TABLES["leads"]
    mine = table.c.org_id == org.org_id
    async with db.transaction() as session:
        await session.execute(
            update(table).where(mine, table.c.name == "Chen").values(custom={"score": "1.5"})
        )
    since = datetime.now(UTC) - timedelta(hours=1)
    everything = select(table).where(mine).order_by(table.c.id)
    kept = crm_engine(db).kept_total
    cases: list[tuple[AnySelect, dict[str, Any] | None, int]] = [
        (everything, None, 3),
        (everything.where(table.c.name.in_(["Asha", "Chen"])), None, 2),
        (everything.where(table.c.name.in_(["Ravi"])), None, 1),  # same shape, other values
        (everything.where(table.c.value >= Decimal("0.10")), None, 2),
        (everything.where(table.c.value >= Decimal("1000")), None, 1),
        (everything.where(table.c.updated_at >= since), None, 3),
        (everything.where(table.c.name.ilike("%A%")), None, 2),  # Asha, Ravi
        (select(table.c.id, kept).where(mine), kept_total_params(org.org_id, "leads"), 3),
        (capped_count(everything.where(table.c.email_opt_out.is_(True)), 1000), None, 1),
        (select(func.max(table.c.value), func.min(table.c.created_at)).where(mine), None, 1),
        (everything.where(table.c.name == "nobody"), None, 0),
    ]
    for statement, params, expected_rows in cases:
        async with db.read() as session:
            expected = [tuple(row) for row in (await session.execute(statement, params)).all()]
            fast = await fetch_all(session, statement, params)
        assert len(fast) == expected_rows, statement
        assert fast == expected, statement
        assert [[type(value) for value in row] for row in fast] == [
            [type(value) for value in row] for row in expected
        ]
    async with db.read() as session:
        rows = await fetch_all(session, select(table.c.value, table.c.custom).where(mine))
    assert {row[0] for row in rows} == {Decimal("1234.56"), None, Decimal("0.10")}
    assert {"score": "1.5"} in [row[1] for row in rows]


async def test_raw_reads_give_their_connection_back(db: Database, org: OrgSetup) -> None:
    """Database.raw_read(): fast_read statements without an ORM session; every connection goes
    back to the pool, also when the block fails."""
    probe = select(ApiKey.id).where(ApiKey.org_id == bindparam("org_id"))
    for _ in range(40):  # more than the pool holds, overflow included
        async with db.raw_read() as connection:
            assert await fetch_rows(connection, probe, {"org_id": org.org_id})

    async def failing_read() -> None:
        async with db.raw_read() as connection:
            await fetch_all(connection, select(ApiKey.id).where(ApiKey.org_id == org.org_id))
            raise LookupError

    with pytest.raises(LookupError):
        await failing_read()
    assert db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_a_cancelled_raw_read_gives_its_connection_back(db: Database) -> None:
    """A client that hangs up cancels its request mid-query: the connection goes back (or is
    dropped), and the next reads work."""
    slow = (
        select(
            literal_column(
                "(WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
                "WHERE x < 5000000) SELECT count(*) FROM c)"
            )
        )
        if db.is_sqlite
        else select(func.pg_sleep(2))
    )

    async def slow_read() -> None:
        async with db.raw_read() as connection:
            await fetch_all(connection, slow)

    reading = asyncio.create_task(slow_read())
    await asyncio.sleep(0.2)
    reading.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reading
    assert db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    for _ in range(12):  # more than one connection's worth: every pooled one still works
        async with db.raw_read() as connection:
            assert await fetch_all(connection, select(literal_column("1"))) == [(1,)]


async def test_a_connection_returned_mid_transaction_comes_back_rolled_back(
    db: Database, org: OrgSetup
) -> None:
    """On SQLite the pool rolls back only connections that hold a transaction (kit/db.py): one
    left open by its user must still not carry its writes, or its lock, to the next user."""
    if not db.is_sqlite:
        pytest.skip("PostgreSQL connections keep SQLAlchemy's rollback on return")
    proxied = await db.engine.raw_connection()
    driver: Any = proxied.driver_connection  # aiosqlite's connection
    await driver.execute("BEGIN IMMEDIATE")
    await driver.execute(
        "UPDATE organizations SET name = 'Never committed' WHERE id = ?", (org.org_id,)
    )
    assert driver.in_transaction
    await greenlet_spawn(proxied.close)
    proxied = await db.engine.raw_connection()
    returned: Any = proxied.driver_connection
    assert returned is driver  # the same connection, back from the pool
    assert not driver.in_transaction
    await greenlet_spawn(proxied.close)
    async with db.transaction() as session:  # the write lock is free again
        name = (
            await session.execute(
                text("SELECT name FROM organizations WHERE id = :id"), {"id": org.org_id}
            )
        ).scalar_one()
    assert name != "Never committed"


async def test_bursts_as_large_as_the_pool_open_no_new_connections(postgres_url: str) -> None:
    """A process keeps `pool_size` connections in each pool: bursts of that many reads at
    once, one after another, reuse them (with the pool smaller than a burst, the connections
    handed back to a full pool were closed and reopened at the next burst)."""
    burst = 16
    db = Database(postgres_url, pool_size=burst)
    opened: list[str] = []
    for engine, pool in ((db.engine, "main"), (db._generic_plans_engine, "generic plans")):
        event.listen(engine.sync_engine, "connect", lambda *_, name=pool: opened.append(name))

    async def read(generic_plans: bool) -> None:
        async with db.raw_read(generic_plans=generic_plans) as connection:
            await fetch_all(connection, select(func.pg_sleep(0.05)))

    try:
        await asyncio.gather(*(read(generic) for generic in (False, True) for _ in range(burst)))
        assert sorted(opened) == ["generic plans"] * burst + ["main"] * burst
        for _ in range(3):
            await asyncio.gather(
                *(read(generic) for generic in (False, True) for _ in range(burst))
            )
        assert len(opened) == 2 * burst
    finally:
        await db.dispose()
