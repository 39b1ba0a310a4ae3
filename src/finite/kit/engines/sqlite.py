"""SQLite (a file in WAL mode, or in memory): statements on the event loop's thread
(kit/sqlite_inline*.py), one writer at a time (kit/sqlite_write_turns.py), WAL checkpoints in
a worker thread (kit/sqlite_checkpoints.py)."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import sqlite3
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import BigInteger, Engine, Select, Table, create_engine, event, insert, make_url
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.pool import PoolResetState
from sqlalchemy.types import TypeEngine

from finite.kit import sqlite_inline, sqlite_inline_driver, sqlite_write_turns
from finite.kit.backups import BackupError, sqlite_backup
from finite.kit.engines.base import JSON_OPTIONS, DatabaseEngine, Upsert, bound_rows
from finite.kit.private_files import create_private, private_sqlite_file
from finite.kit.sqlite_checkpoints import WalIndex
from finite.kit.sqlite_write_turns import FileLock, WriteTurns, lock_path

_IMMEDIATE = "finite_sqlite_immediate"
_NO_BEGIN = "finite_sqlite_no_begin"
# Bound parameters a statement may hold: 32,766 since SQLite 3.32.
MAX_VARIABLES = 32_766
_QUOTE = sqlite.dialect().identifier_preparer.quote


class SqliteEngine(DatabaseEngine):
    name: ClassVar[str] = "sqlite"
    groups_writes: ClassVar[bool] = True

    def __init__(self) -> None:
        # One write transaction at a time (see write_turn), per event loop (an asyncio lock
        # belongs to the loop it was first used on).
        self._write_turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, WriteTurns] = (
            weakref.WeakKeyDictionary()
        )
        self._lock_path: Path | None = None  # a file's: set by create_engine
        self._wal: WalIndex | None = None

    # --- connections ---------------------------------------------------------------------------

    def create_engine(self, url: str, *, echo: bool, pool_size: int) -> AsyncEngine:
        path = make_url(url).database or ":memory:"
        if _is_file(path):
            private_sqlite_file(path)
            self._lock_path = lock_path(path)
            self._wal = WalIndex(path)
        engine = create_async_engine(
            url,
            echo=echo,
            async_creator=lambda: sqlite_inline_driver.connect(path),
            pool_reset_on_return=None,  # _reset_connection decides
            **JSON_OPTIONS,
        )
        event.listen(engine.sync_engine, "connect", _configure_connection)
        if (wal := self._wal) is not None:

            def checkpoint_when_full(dbapi_connection: Any, _record: Any) -> None:
                dbapi_connection.driver_connection.wal_full = wal.full

            event.listen(engine.sync_engine, "connect", checkpoint_when_full)
        event.listen(engine.sync_engine, "begin", _begin_transaction)
        event.listen(engine.sync_engine.pool, "reset", _reset_connection)
        return engine

    def generic_plans_engine(
        self, url: str, engine: AsyncEngine, *, echo: bool, pool_size: int
    ) -> AsyncEngine:
        return engine  # SQLite plans every statement once anyway

    def inline_read_engine(self, url: str, *, echo: bool) -> Engine | None:
        """Plain sqlite3 connections for raw_read() (kit/sqlite_inline.py), on the same file;
        None for an in-memory database, which another connection would not see."""
        parsed = make_url(url)
        if parsed.database in (None, "", ":memory:"):
            return None
        engine = create_engine(
            parsed.set(drivername="sqlite"),
            echo=echo,
            # Used by the event loop's thread and, for a read past its budget, a worker thread:
            # never by two at once (a raw_read() holds its connection until it ends).
            connect_args={"check_same_thread": False},
            # The checkout runs on the event loop's thread: it must never wait for a connection
            # (the ones in use go back only when the loop runs again). Past the pool, open more.
            max_overflow=-1,
            **JSON_OPTIONS,
        )
        event.listen(
            engine, "connect", lambda connection, _record: sqlite_inline.configure(connection)
        )
        return engine

    @contextmanager
    def migration_turn(self, url: str) -> Iterator[None]:
        """Migrations of one file take turns through a lock file beside it. Without it,
        `finite serve` and `finite worker` started together after an upgrade both migrated: the
        second waited 5 s for SQLite's write lock, then failed, while the first rewrote the
        export lines (48 s a million leads)."""
        database = make_url(url).database
        if database is None or not _is_file(database):
            yield
            return
        private_sqlite_file(database)  # before Alembic's connection creates it
        lock_path = Path(f"{database}.migrate-lock")
        with contextlib.suppress(FileExistsError, FileNotFoundError):
            os.close(create_private(lock_path))
        with lock_path.open("a") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)  # waits for another process's migration
            try:
                yield
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)

    @classmethod
    def refused(cls, error: BaseException) -> bool:
        """A constraint or a value SQLite does not take. (Nothing makes an embedded file
        "unavailable": "database is locked" is a turn to wait for, not an outage.)"""
        return isinstance(error, sqlite3.IntegrityError | sqlite3.DataError)

    def autocommit_options(self) -> dict[str, Any]:
        return {_NO_BEGIN: True}

    def backup(self, url: str, target: Path) -> None:
        database = make_url(url).database or ""
        if not _is_file(database):
            raise BackupError("an in-memory SQLite database has no file to back up")
        sqlite_backup(database, target)

    @property
    def write_patience(self) -> float:
        return sqlite_write_turns.WRITE_TURN_TIMEOUT_SECONDS

    @asynccontextmanager
    async def write_turn(self) -> AsyncIterator[None]:
        """Write transactions take turns (kit/sqlite_write_turns.py): this loop's on an asyncio
        lock, then the processes on the database's lock file. They would queue for SQLite's
        write lock anyway, retrying from a worker thread: taking turns here costs no thread and
        no polling. (Measured when that queue was SQLite's busy handler, which sleeps up to
        100 ms between tries: 4 record creations at once waited 125-198 ms on average and up to
        1.9 s; taking turns, 67-75 ms and at most 0.28 s.)"""
        loop = asyncio.get_running_loop()
        turns = self._write_turns.get(loop)
        if turns is None:
            lock = None if self._lock_path is None else FileLock(self._lock_path)
            turns = self._write_turns[loop] = WriteTurns(lock)
        taken = await turns.enter()
        try:
            yield
        finally:
            if taken:
                turns.leave()

    @asynccontextmanager
    async def writing(self, session: AsyncSession, *, bulk: bool) -> AsyncIterator[None]:
        """BEGIN IMMEDIATE, so concurrent writers queue for the write lock instead of failing
        when a read lock would have to be upgraded. Statements run on the event loop's thread
        (kit/sqlite_inline_driver.py); `bulk` runs them in a worker thread, where SQLite's own
        work does not hold the loop."""
        driver: sqlite_inline_driver.InlineConnection | None = None
        connection = await session.connection(execution_options={_IMMEDIATE: True})
        if bulk:
            driver = (await connection.get_raw_connection()).driver_connection
            assert isinstance(driver, sqlite_inline_driver.InlineConnection)
            driver.in_worker_thread = True
        try:
            yield
        finally:
            if driver is not None:
                driver.in_worker_thread = False

    # --- statements ----------------------------------------------------------------------------

    def upsert(self, table: Any) -> Upsert:
        return sqlite.insert(table)

    def locked(self, query: Select[Any]) -> Select[Any]:
        return query

    async def lock_names(self, session: AsyncSession, names: Sequence[str]) -> None:
        """Nothing to take: the write transaction (BEGIN IMMEDIATE, see `writing`) already
        holds the whole database until it ends."""

    async def snapshot(self, session: AsyncSession) -> None:
        """A SQLite transaction reads one snapshot already."""

    async def insert_rows(
        self, session: AsyncSession, table: Table, columns: Sequence[str], rows: Sequence[Any]
    ) -> None:
        await session.execute(insert(table), list(rows))

    async def update_rows(
        self,
        session: AsyncSession,
        table: Table,
        keys: Sequence[str],
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        *,
        unset: str | None = None,
    ) -> int:
        """UPDATE … FROM (VALUES …) (SQLite 3.33; the trigram search needs 3.34 anyway), as many
        rows a statement as its parameters allow."""
        connection = await session.connection()
        names = (*keys, *columns)
        bound = bound_rows(table, names, rows, connection.dialect)
        per_statement = MAX_VARIABLES // len(names)
        changed = 0
        for start in range(0, len(bound), per_statement):
            chunk = bound[start : start + per_statement]
            sql = _update_from_values(table, tuple(keys), tuple(columns), unset, len(chunk))
            parameters = tuple(value for row in chunk for value in row)
            changed += (await connection.exec_driver_sql(sql, parameters)).rowcount
        return changed

    # --- fast reads ----------------------------------------------------------------------------

    def fetch(
        self, connection: sqlite_inline_driver.InlineConnection, sql: str, values: Sequence[Any]
    ) -> Awaitable[Sequence[Any]]:
        return connection.execute_fetchall(sql, values)

    def fetch_inline(
        self, connection: sqlite3.Connection, sql: str, values: Sequence[Any]
    ) -> Awaitable[Sequence[Any]]:
        return sqlite_inline.fetch_all(connection, sql, values)

    # --- column types --------------------------------------------------------------------------

    @classmethod
    def decimal_storage(cls, precision: int, scale: int) -> TypeEngine[Any]:
        # No decimal type (SQLAlchemy would store floats): integers of the smallest unit, exact
        # and still sortable and comparable in SQL.
        return BigInteger()

    @classmethod
    def decimal_to_stored(cls, amount: Decimal, factor: Decimal) -> Any:
        return int(amount * factor)

    @classmethod
    def decimal_reader(cls, factor: Decimal, quantum: Decimal) -> Callable[[Any], Decimal]:
        return lambda value: (Decimal(int(value)) / factor).quantize(quantum)

    @classmethod
    def utc_to_stored(cls, value: datetime) -> datetime:
        return value.replace(tzinfo=None)


def _update_from_values(
    table: Table, keys: tuple[str, ...], columns: tuple[str, ...], unset: str | None, count: int
) -> str:
    """VALUES names its columns column1, column2, …: keys first, then the columns set."""
    quote = _QUOTE  # names from the table's own columns; the values are bound
    target = quote(table.name)
    width = len(keys) + len(columns)
    row = f"({', '.join('?' * width)})"
    conditions = [f"{target}.{quote(name)} = v.column{at}" for at, name in enumerate(keys, 1)]
    if unset is not None:
        conditions.append(f"{target}.{quote(unset)} IS NULL")
    settings = ", ".join(
        f"{quote(name)} = v.column{at}" for at, name in enumerate(columns, len(keys) + 1)
    )
    return (
        f"UPDATE {target} SET {settings} FROM (VALUES {', '.join([row] * count)}) AS v"  # noqa: S608
        f" WHERE {' AND '.join(conditions)}"
    )


def _is_file(database: str) -> bool:
    """A database on disk, not in memory (":memory:", "", or a URI's mode=memory)."""
    return database not in ("", ":memory:") and not database.startswith("file:")


def _reset_connection(dbapi_connection: Any, _record: Any, state: PoolResetState) -> None:
    """Roll back on return to the pool only when a transaction is open. Most connections come
    back without one (read() runs no BEGIN); the pool's unconditional rollback cost ~50 of the
    ~90 µs of CPU a read took when these connections were aiosqlite's."""
    if state.asyncio_safe and dbapi_connection.driver_connection.in_transaction:
        dbapi_connection.rollback()


def _configure_connection(dbapi_connection: Any, _record: Any) -> None:
    # Take over BEGIN from the driver so a write unit of work can ask for IMMEDIATE.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in (
        "PRAGMA journal_mode=WAL",
        "PRAGMA foreign_keys=ON",
        "PRAGMA synchronous=NORMAL",
        # Checkpoints run in a worker thread (InlineConnection.commit), not inside a commit on
        # the event loop's thread (kit/sqlite_checkpoints.py).
        "PRAGMA wal_autocheckpoint=0",
        # No busy timeout (sqlite_inline_driver.connect opens with 0): SQLite's would wait on
        # the event loop's thread; a lock is waited for in a worker thread instead.
    ):
        cursor.execute(pragma)
    cursor.close()


def _begin_transaction(conn: Connection) -> None:
    options = conn.get_execution_options()
    if options.get(_NO_BEGIN, False):
        return
    immediate = options.get(_IMMEDIATE, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
