"""kit/fast_read: fixed SELECTs on the driver's connection give exactly what SQLAlchemy gives."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import pytest
from sqlalchemy import bindparam, select, text, update

from finite.kit.db import Database
from finite.kit.fast_read import fetch_rows
from finite.models import ApiKey, Role, Subscription
from tests.factories import OrgSetup

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


async def test_a_connection_the_database_dropped_is_not_reused(db: Database) -> None:
    """After PostgreSQL drops the pool's connections (a restart), the first read fails and the
    next one gets a fresh connection: the dead one is invalidated, not returned to the pool."""
    if db.is_sqlite:
        pytest.skip("PostgreSQL drops connections; SQLite has none to drop")
    probe = select(ApiKey.id).where(ApiKey.org_id == bindparam("org_id"))
    async with db.read() as session:
        assert await fetch_rows(session, probe, {"org_id": "org_none"}) == []
        pid = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    admin = await asyncpg.connect(url)
    try:  # only this pool's connection: other tests' databases are left alone
        await admin.execute("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()
    failed = 0
    for _ in range(3):  # the pool may hold more than one dead connection; each fails once
        try:
            async with db.read() as session:
                assert await fetch_rows(session, probe, {"org_id": "org_none"}) == []
            break
        except AssertionError:
            raise
        except Exception:  # noqa: BLE001 - whatever the driver says about a dead connection
            failed += 1
    else:
        raise AssertionError("every read failed: the dead connection went back to the pool")
    assert failed >= 1
