"""kit/fast_write: INSERTs and UPDATEs on the driver's connection store, return and fail exactly
as SQLAlchemy's execution does, inside the session's transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    Integer,
    String,
    Table,
    Text,
    bindparam,
    event,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncSession

from finite.crm.modules.tables import MODULE_TABLES
from finite.kit import db_errors
from finite.kit.db import Database
from finite.kit.db_types import UTCDateTime
from finite.kit.fast_write import execute_write
from finite.kit.scaled_decimal import ScaledDecimal
from tests.factories import OrgSetup

INSERTS = {name: insert(table).returning(*table.columns) for name, table in MODULE_TABLES.items()}
UPDATES = {
    name: update(table)
    .where(table.c.org_id == bindparam("match_org_id"), table.c.id == bindparam("match_id"))
    .returning(*table.columns)
    for name, table in MODULE_TABLES.items()
}
LEADS = MODULE_TABLES["leads"]
_FIRST_ID = 10_000_000
Write = Callable[[AsyncSession, Any, dict[str, Any]], Awaitable[list[tuple[Any, ...]]]]


async def through_sqlalchemy(
    session: AsyncSession, statement: Any, params: dict[str, Any]
) -> list[tuple[Any, ...]]:
    found = await session.execute(statement, params)
    return [tuple(row) for row in found.all()] if statement._returning else []


def sample(column: Column[Any], variant: int) -> Any:
    """A value of the column's type: every kind a module's columns hold, awkward ones first
    (a zone other than UTC, microseconds, more decimal places than the scale, JSON numbers
    that are decimals, JSON nulls inside)."""
    kind = column.type
    if column.foreign_keys and column.name != "org_id":
        return None  # a lookup: its target need not exist
    if isinstance(kind, UTCDateTime):
        zone = timezone(timedelta(hours=5, minutes=30))
        return datetime(2026, 5, 6, 7, 8, 9, 123456 + variant, tzinfo=zone)
    if isinstance(kind, ScaledDecimal):
        return Decimal("-1234.56789") + variant
    if isinstance(kind, JSON):
        return {"score": Decimal("1.50"), "tags": ["a", None, 3], "none": None, "n": variant}
    if isinstance(kind, Boolean):
        return variant % 2 == 0
    if isinstance(kind, Date):
        return date(2026, 2, 28) + timedelta(days=variant)
    if isinstance(kind, BigInteger | Integer):
        return 2**40 + variant if isinstance(kind, BigInteger) else 7 + variant
    if isinstance(kind, Text):
        return f"long text ✓ {variant}\nsecond line"
    assert isinstance(kind, String), (column, kind)
    return f"text ✓ {variant}"[: kind.length]


def rows_for(table: Table, org_id: str, record_id: int, seed: int = 0) -> list[dict[str, Any]]:
    """Every column set; every nullable column NULL (JSON's as JSON null, as SQLAlchemy
    binds None); only the required columns (the others left out: SQL NULL)."""
    full = {column.name: sample(column, seed) for column in table.columns}
    required = {"org_id": org_id, "id": record_id, "version": 1, "custom": {}}
    required |= {"created_at": full["created_at"], "updated_at": full["updated_at"]}
    nulls = {name: None for name in full} | required
    return [{**full, **required}, nulls, required]


def shown(rows: list[tuple[Any, ...]]) -> list[list[str]]:
    """Values by type and repr: Decimal('1.50') and Decimal('1.5') differ here."""
    return [[f"{type(value).__name__} {value!r}" for value in row] for row in rows]


async def test_inserts_and_updates_equal_sqlalchemys_for_every_column_type(
    db: Database, org: OrgSetup
) -> None:
    """Every module's table (text, long text, integers, exact decimals, dates, aware
    date-times, flags, JSON objects and lists, NULLs): the rows returned, and the rows stored,
    are SQLAlchemy's, on both engines."""
    next_id = _FIRST_ID
    for module, table in MODULE_TABLES.items():
        for variant in range(3):
            returned: dict[str, list[tuple[Any, ...]]] = {}
            ids: dict[str, int] = {}
            for how, write in (("sqlalchemy", through_sqlalchemy), ("fast", execute_write)):
                next_id += 1
                ids[how] = next_id
                params = rows_for(table, org.org_id, next_id)[variant]
                async with db.transaction() as session:
                    inserted = await write(session, INSERTS[module], params)
                    changes = rows_for(table, org.org_id, next_id, seed=1)[variant - 1]
                    for key in ("org_id", "id"):
                        changes.pop(key)
                    match = {"match_org_id": org.org_id, "match_id": next_id}
                    updated = await write(session, UPDATES[module], {**changes, **match})
                returned[how] = [row[2:] for row in (*inserted, *updated)]  # after org, id
            assert len(returned["fast"]) == 2, module
            assert shown(returned["fast"]) == shown(returned["sqlalchemy"]), (module, variant)
            async with db.read() as session:
                stored = {
                    how: [
                        tuple(row)[2:]
                        for row in await session.execute(
                            select(table).where(table.c.org_id == org.org_id, table.c.id == at)
                        )
                    ]
                    for how, at in ids.items()
                }
                # The stored forms themselves (scaled integers, JSON text, UTC text on SQLite).
                raw = {
                    how: (
                        await session.execute(
                            text(f"SELECT * FROM {table.name} WHERE org_id = :org AND id = :id"),
                            {"org": org.org_id, "id": at},
                        )
                    ).one()[2 : 2 + len(table.columns) - 2]
                    for how, at in ids.items()
                }
            assert shown(stored["fast"]) == shown(stored["sqlalchemy"]), (module, variant)
            assert stored["fast"] == returned["fast"][1:], (module, variant)
            assert shown([raw["fast"]]) == shown([raw["sqlalchemy"]]), (module, variant)


async def test_a_write_without_returning_returns_nothing(db: Database, org: OrgSetup) -> None:
    async with db.transaction() as session:
        params = rows_for(LEADS, org.org_id, _FIRST_ID - 1)[2]
        assert await execute_write(session, insert(LEADS), params) == []


async def test_a_write_first_in_its_transaction_rolls_back_with_it(
    db: Database, org: OrgSetup
) -> None:
    """On PostgreSQL SQLAlchemy's asyncpg adapter sends BEGIN with its first statement: a
    statement run before it on asyncpg's own connection would commit alone."""

    async def written_then_failed() -> None:
        async with db.transaction() as session:
            await execute_write(session, INSERTS["leads"], rows_for(LEADS, org.org_id, 5)[2])
            raise LookupError

    with pytest.raises(LookupError):
        await written_then_failed()
    async with db.read() as session:
        found = await session.execute(select(LEADS.c.id).where(LEADS.c.org_id == org.org_id))
        assert found.all() == []


async def test_a_savepoint_rolls_back_only_its_own_writes(db: Database, org: OrgSetup) -> None:
    """The connection is looked up once per transaction (kit/fast_read.py: driver_of), but a
    savepoint's first write still goes through SQLAlchemy, which sends its SAVEPOINT then."""

    async def written_then_failed(session: AsyncSession) -> None:
        async with session.begin_nested():
            await execute_write(session, INSERTS["leads"], rows_for(LEADS, org.org_id, 2)[2])
            raise LookupError

    async with db.transaction() as session:
        await execute_write(session, INSERTS["leads"], rows_for(LEADS, org.org_id, 1)[2])
        with pytest.raises(LookupError):
            await written_then_failed(session)
        async with session.begin_nested():
            await execute_write(session, INSERTS["leads"], rows_for(LEADS, org.org_id, 3)[2])
        await execute_write(session, INSERTS["leads"], rows_for(LEADS, org.org_id, 4)[2])
    async with db.read() as session:
        ids = await session.execute(select(LEADS.c.id).where(LEADS.c.org_id == org.org_id))
        assert sorted(ids.scalars()) == [1, 3, 4]


async def failures(session: AsyncSession, write: Write, org_id: str) -> list[BaseException]:
    """A duplicate key, a broken foreign key, a NULL in a NOT NULL column and a naive
    date-time, each in a savepoint; the transaction goes on after each."""
    lead = rows_for(LEADS, org_id, 1)[2]
    contacts = MODULE_TABLES["contacts"]
    attempts = [
        (INSERTS["leads"], lead),  # the duplicate
        (INSERTS["contacts"], {**rows_for(contacts, org_id, 2)[2], "account_id": 999_999}),
        (INSERTS["leads"], {**rows_for(LEADS, org_id, 3)[2], "version": None}),
        (INSERTS["leads"], {**rows_for(LEADS, org_id, 4)[2], "created_at": datetime(2026, 1, 1)}),
    ]
    raised: list[BaseException] = []
    for statement, params in attempts:
        try:
            async with session.begin_nested():
                await write(session, statement, params)
        except Exception as error:  # noqa: BLE001 - compared below
            raised.append(error)
    return raised


async def test_failures_are_raised_as_sqlalchemy_raises_them(db: Database, org: OrgSetup) -> None:
    """The same exception classes (IntegrityError for constraints, StatementError for a value
    a bind processor refuses), around the same DB-API errors; the transaction stays usable in
    a savepoint (handover/unique.py's pattern) and what it wrote after them commits."""
    async with db.transaction() as session:
        await through_sqlalchemy(session, INSERTS["leads"], rows_for(LEADS, org.org_id, 1)[2])
    found: dict[str, list[BaseException]] = {}
    for how, write in (("sqlalchemy", through_sqlalchemy), ("fast", execute_write)):
        async with db.transaction() as session:
            found[how] = await failures(session, write, org.org_id)
            after = 100 if how == "fast" else 101
            await write(session, INSERTS["leads"], rows_for(LEADS, org.org_id, after)[2])
    assert [type(error) for error in found["fast"]] == [
        type(error) for error in found["sqlalchemy"]
    ]
    assert [type(error) for error in found["fast"]] == [
        IntegrityError,
        IntegrityError,
        IntegrityError,
        StatementError,
    ]
    for fast, expected in zip(found["fast"], found["sqlalchemy"], strict=True):
        assert isinstance(fast, StatementError)
        assert isinstance(expected, StatementError)
        assert type(fast.orig) is type(expected.orig)
        assert db_errors.refused(fast) == db_errors.refused(expected)
        assert not db_errors.unavailable(fast)
    assert db_errors.refused(found["fast"][0])
    async with db.read() as session:
        ids = await session.execute(select(LEADS.c.id).where(LEADS.c.org_id == org.org_id))
        assert sorted(ids.scalars()) == [1, 100, 101]


async def test_a_dropped_connection_is_an_outage_and_is_not_reused(
    db: Database, org: OrgSetup
) -> None:
    """PostgreSQL drops the connection mid-transaction (a restart): the write fails as an
    outage (kit/db_errors.py: 503), the connection is invalidated, and the next transaction
    gets a new one."""
    if db.is_sqlite:
        pytest.skip("PostgreSQL drops connections; SQLite has none to drop")
    url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    dropped: list[int] = []

    async def write_on_a_dropped_connection() -> None:
        async with db.transaction() as session:
            pid = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            dropped.append(pid)
            admin = await asyncpg.connect(url)
            try:
                await admin.execute("SELECT pg_terminate_backend($1)", pid)
            finally:
                await admin.close()
            await execute_write(session, INSERTS["leads"], rows_for(LEADS, org.org_id, 7)[2])

    with pytest.raises(DBAPIError) as raised:
        await write_on_a_dropped_connection()
    assert raised.value.connection_invalidated
    assert db_errors.unavailable(raised.value)
    async with db.transaction() as session:
        await execute_write(session, INSERTS["leads"], rows_for(LEADS, org.org_id, 8)[2])
        assert (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one() not in dropped
    async with db.read() as session:
        ids = await session.execute(select(LEADS.c.id).where(LEADS.c.org_id == org.org_id))
        assert list(ids.scalars()) == [8]


async def test_after_execute_hooks_see_each_write(db: Database, org: OrgSetup) -> None:
    """core/auth/principal_cache.py retires cached keys when a write touches the tables they
    are read from: it hears of writes through after_execute, however they ran."""
    heard: list[tuple[Any, dict[str, Any]]] = []

    def hear(_connection: Any, statement: Any, _multi: Any, params: Any, *_rest: Any) -> None:
        heard.append((statement, dict(params)))

    event.listen(db.engine.sync_engine, "after_execute", hear)
    try:
        params = rows_for(LEADS, org.org_id, 11)[2]
        async with db.transaction() as session:
            await execute_write(session, INSERTS["leads"], params)
    finally:
        event.remove(db.engine.sync_engine, "after_execute", hear)
    assert (INSERTS["leads"], params) in heard
