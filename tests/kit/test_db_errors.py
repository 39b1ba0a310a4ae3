"""kit/db_errors: an outage, a refusal or neither, in whatever wrapping the failure arrives.

Real failures where the machine can make them (a refused connection, SQLite's constraints);
asyncpg's errors of a server starting up or shutting down, which only a restart produces (the
drill in tests/platform/test_database_outage.py makes them for real), are built as asyncpg
raises them and wrapped as SQLAlchemy's asyncpg dialect wraps them."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy import text
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_dbapi
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from finite.kit import db_errors
from finite.kit.db import Database
from tests.servers import free_port


def wrapped_as_sqlalchemy_does(error: Exception) -> DBAPIError:
    """asyncpg's error → the dialect's adaptation (raised from it) → SQLAlchemy's DBAPIError."""
    adapted: Any = AsyncAdapt_asyncpg_dbapi.Error(f"{type(error)}: {error}")  # type: ignore[no-untyped-call]
    adapted.pgcode = getattr(error, "sqlstate", None)
    adapted.__cause__ = error
    wrapped = DBAPIError.instance("SELECT 1", {}, adapted, AsyncAdapt_asyncpg_dbapi.Error)
    assert isinstance(wrapped, DBAPIError)
    return wrapped


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.CannotConnectNowError("the database system is starting up"),
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.CrashShutdownError("terminating connection because of crash of another server"),
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.TooManyConnectionsError("sorry, too many clients already"),
        asyncpg.InterfaceError("connection is closed"),
        ConnectionResetError(104, "Connection reset by peer"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_a_server_down_or_restarting_is_unavailable_however_wrapped(error: Exception) -> None:
    assert db_errors.unavailable(error)
    assert db_errors.unavailable(wrapped_as_sqlalchemy_does(error))
    assert not db_errors.refused(wrapped_as_sqlalchemy_does(error))


async def test_a_refused_connection_is_unavailable() -> None:
    db = Database(f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/postgres")
    try:
        with pytest.raises(OSError, match="Connect call failed") as raised:
            async with db.read() as session:
                await session.execute(text("SELECT 1"))
    finally:
        await db.dispose()
    assert db_errors.unavailable(raised.value), repr(raised.value)
    assert "Connect" in db_errors.reason(raised.value)


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.UniqueViolationError("duplicate key value violates unique constraint"),
        asyncpg.NotNullViolationError('null value in column "method" violates not-null'),
        asyncpg.NumericValueOutOfRangeError("value out of range"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_a_constraint_or_a_bad_value_is_refused_not_unavailable(error: Exception) -> None:
    for arriving in (error, wrapped_as_sqlalchemy_does(error)):
        assert db_errors.refused(arriving)
        assert not db_errors.unavailable(arriving)


async def test_sqlite_refuses_a_taken_key_and_a_lock_is_neither(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'errors.db'}")
    try:
        async with db.transaction() as session:
            await session.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
            await session.execute(text("INSERT INTO t VALUES (1)"))
        with pytest.raises(IntegrityError) as taken:
            async with db.transaction() as session:
                await session.execute(text("INSERT INTO t VALUES (1)"))
    finally:
        await db.dispose()
    assert db_errors.refused(taken.value)
    assert not db_errors.unavailable(taken.value)

    locked = OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))
    assert not db_errors.unavailable(locked)  # a turn to wait for, not an outage
    assert not db_errors.refused(locked)


def test_a_bug_is_neither() -> None:
    for error in (ValueError("bad"), KeyError("id"), asyncpg.InterfaceError("another operation")):
        assert not db_errors.unavailable(error)
        assert not db_errors.refused(error)
