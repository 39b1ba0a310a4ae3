"""The database handle: one async engine, explicit read and write units of work."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import msgspec
from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import PoolProxiedConnection, PoolResetState
from sqlalchemy.util import greenlet_spawn

from finite.kit import sqlite_inline, sqlite_inline_driver

WRITE_TURN_TIMEOUT_SECONDS = sqlite_inline.PATIENT_BUSY_SECONDS  # as long as a lock is waited for
DEFAULT_POOL_SIZE = 16
_IMMEDIATE = "finite_sqlite_immediate"
_NO_BEGIN = "finite_sqlite_no_begin"


class Database:
    def __init__(self, url: str, *, echo: bool = False, pool_size: int = DEFAULT_POOL_SIZE) -> None:
        """`pool_size`: on PostgreSQL, the connections each of the two pools keeps open (and
        half as many again for bursts). A list request draws from both, one after the other:
        below the requests a process serves at once, connections returned to a full pool are
        closed and reopened on the next burst (10 under 16 callers: ~1-7 new connections a
        second, each a PostgreSQL backend started and an asyncpg setup)."""
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.engine: AsyncEngine = _create_engine(url, echo=echo, pool_size=pool_size)
        # PostgreSQL connections that plan each prepared statement once
        # (crm/records/query/stable_plans says which statements may); SQLite plans every
        # statement once anyway.
        self._generic_plans_engine = (
            self.engine
            if self.is_sqlite
            else _create_engine(url, echo=echo, pool_size=pool_size, generic_plans=True)
        )
        # SQLite: raw_read() connections of their own, read on the event loop's thread.
        self._inline_reads = _create_inline_read_engine(url, echo=echo) if self.is_sqlite else None
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        # SQLite: one write transaction at a time per process (see _write_turn), per event loop
        # (a lock belongs to the loop it was first used on).
        self._write_turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        # Reads run statement by statement, without BEGIN … ROLLBACK: two round trips fewer per
        # request. Each statement still sees one consistent snapshot (PostgreSQL's READ
        # COMMITTED gives a transaction no more than that); read(snapshot=True) keeps one
        # transaction for reads that need several statements to agree or a server-side cursor.
        autocommit = {_NO_BEGIN: True} if self.is_sqlite else {"isolation_level": "AUTOCOMMIT"}
        self._read_sessions = async_sessionmaker(
            self.engine.execution_options(**autocommit), expire_on_commit=False, autoflush=False
        )

    @asynccontextmanager
    async def transaction(self, *, bulk: bool = False) -> AsyncIterator[AsyncSession]:
        """A write unit of work: commits when the block ends, rolls back on any exception.

        On SQLite it starts with BEGIN IMMEDIATE so concurrent writers queue for the write lock
        instead of failing when a read lock would have to be upgraded; within one process they
        take turns first (_write_turn). Its statements run on the event loop's thread
        (kit/sqlite_inline_driver.py); `bulk`, for a unit of work that writes many rows (a
        background batch, a field cleared from every record), runs them in a worker thread,
        where SQLite's own work does not hold the loop.
        """
        async with self._write_turn(), self._sessions() as session:
            driver: sqlite_inline_driver.InlineConnection | None = None
            if self.is_sqlite:
                connection = await session.connection(execution_options={_IMMEDIATE: True})
                if bulk:
                    driver = (await connection.get_raw_connection()).driver_connection
                    assert isinstance(driver, sqlite_inline_driver.InlineConnection)
                    driver.in_worker_thread = True
            try:
                try:
                    yield session
                except BaseException:
                    await session.rollback()
                    raise
                await session.commit()
            finally:
                if driver is not None:
                    driver.in_worker_thread = False

    @asynccontextmanager
    async def _write_turn(self) -> AsyncIterator[None]:
        """SQLite: this process's write transactions take turns on an asyncio lock. They would
        queue for SQLite's write lock anyway, retrying from a worker thread: taking turns here
        costs no thread and no polling. (Measured when that queue was SQLite's busy handler,
        which sleeps up to 100 ms between tries: 4 record creations at once waited 125-198 ms
        on average and up to 1.9 s; taking turns, 67-75 ms and at most 0.28 s.) Past
        WRITE_TURN_TIMEOUT_SECONDS a transaction goes ahead and waits for the lock like another
        process's writer does."""
        if not self.is_sqlite:
            yield
            return
        loop = asyncio.get_running_loop()
        turn = self._write_turns.get(loop)
        if turn is None:
            turn = self._write_turns[loop] = asyncio.Lock()
        taken = False
        try:
            async with asyncio.timeout(WRITE_TURN_TIMEOUT_SECONDS):
                await turn.acquire()
            taken = True
        except TimeoutError:
            pass
        try:
            yield
        finally:
            if taken:
                turn.release()

    @asynccontextmanager
    async def read(self, *, snapshot: bool = False) -> AsyncIterator[AsyncSession]:
        """A read-only unit of work; it never commits. Closing keeps loaded objects usable
        (detached, not expired)."""
        async with (self._sessions if snapshot else self._read_sessions)() as session:
            yield session

    @asynccontextmanager
    async def raw_read(self, *, generic_plans: bool = False) -> AsyncIterator[RawRead]:
        """A pooled connection for kit/fast_read's statements alone, without an ORM session:
        ~0.5 ms of CPU less per use than read() (bench/list_request_parts.py), for the reads
        every request makes. Statements run one by one, outside any transaction.

        `generic_plans`: on PostgreSQL, from a pool whose sessions plan each prepared statement
        once and reuse that plan whatever the values — only for statements whose best plan
        does not depend on their values (a bad fit for the others: the best index for a rare
        value is not the one for a common value).

        On SQLite (a file), a read-only sqlite3 connection whose statements run on the event
        loop's thread (kit/sqlite_inline.py); `generic_plans` means nothing there."""
        if self._inline_reads is not None:
            inline = self._inline_reads.raw_connection()  # a pool checkout: no I/O once open
            try:
                yield RawRead(inline, self._inline_reads.dialect)
            finally:
                inline.close()
            return
        engine = self._generic_plans_engine if generic_plans else self.engine
        proxied = await engine.raw_connection()
        try:
            yield RawRead(proxied, engine.dialect)
        finally:
            # Back to the pool through SQLAlchemy (its reset may await the driver).
            await greenlet_spawn(proxied.close)

    async def dedicated_connection(self) -> Any:
        """PostgreSQL: a new asyncpg connection of its own, outside the pools, made with the
        pools' connection arguments (for LISTEN, which holds its connection for good)."""
        assert not self.is_sqlite
        args, options = self.engine.dialect.create_connect_args(self.engine.url)
        for sqlalchemy_only in (
            "prepared_statement_cache_size",
            "prepared_statement_name_func",
            "async_creator_fn",
        ):
            options.pop(sqlalchemy_only, None)
        return await asyncpg.connect(*args, **options)

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self._inline_reads is not None:
            self._inline_reads.dispose()
        if self._generic_plans_engine is not self.engine:
            await self._generic_plans_engine.dispose()


async def copy_rows(
    connection: AsyncConnection, table_name: str, columns: Sequence[str], rows: Sequence[Any]
) -> None:
    """PostgreSQL COPY of `rows` (mappings with every column) on the asyncpg connection under
    SQLAlchemy's, within whatever transaction it is in; dicts and lists go as JSON text."""
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None
    records = [tuple(_copy_value(row[column]) for column in columns) for row in rows]
    await driver.copy_records_to_table(table_name, records=records, columns=list(columns))


def _copy_value(value: Any) -> Any:
    return json_dumps(value) if isinstance(value, dict | list) else value


_JSON_ENCODER = msgspec.json.Encoder(decimal_format="number")
_JSON_DECODER = msgspec.json.Decoder(float_hook=Decimal)  # numbers come back digit for digit


def json_dumps(value: Any) -> str:
    """JSON columns keep decimals as numbers and dates as ISO strings."""
    return _JSON_ENCODER.encode(value).decode()


class RawRead:
    """A checked-out pool connection: the driver's own connection and its dialect."""

    __slots__ = ("_proxied", "dialect", "driver")

    def __init__(self, proxied: PoolProxiedConnection, dialect: Dialect) -> None:
        self._proxied = proxied
        self.dialect = dialect
        self.driver: Any = proxied.driver_connection

    async def invalidate(self, error: BaseException) -> None:
        """Discard the connection (the database dropped it, say): the pool opens a new one."""
        await greenlet_spawn(self._proxied.invalidate, error)


def dialect_name(source: AsyncSession | RawRead) -> str:
    if isinstance(source, RawRead):
        return source.dialect.name
    return source.get_bind().dialect.name


def _create_engine(
    url: str, *, echo: bool, pool_size: int, generic_plans: bool = False
) -> AsyncEngine:
    json_options: dict[str, Any] = {
        "json_serializer": json_dumps,
        "json_deserializer": _JSON_DECODER.decode,
    }
    if not url.startswith("sqlite"):
        settings = {"plan_cache_mode": "force_generic_plan"} if generic_plans else {}
        return create_async_engine(
            url,
            echo=echo,
            connect_args={"server_settings": settings},
            pool_size=pool_size,
            max_overflow=pool_size // 2,
            # No pre-ping: it costs a round trip per checkout. Connections are recycled, and a
            # dropped one fails its request, is discarded, and the next checkout reconnects.
            pool_recycle=1800,
            **json_options,
        )
    path = make_url(url).database or ":memory:"
    engine = create_async_engine(
        url,
        echo=echo,
        async_creator=lambda: sqlite_inline_driver.connect(path),
        pool_reset_on_return=None,  # _reset_sqlite_connection decides
        **json_options,
    )
    event.listen(engine.sync_engine, "connect", _configure_sqlite_connection)
    event.listen(engine.sync_engine, "begin", _begin_sqlite_transaction)
    event.listen(engine.sync_engine.pool, "reset", _reset_sqlite_connection)
    return engine


def _create_inline_read_engine(url: str, *, echo: bool) -> Engine | None:
    """Plain sqlite3 connections for raw_read() (kit/sqlite_inline.py), on the same file; None
    for an in-memory database, which another connection would not see."""
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
        json_serializer=json_dumps,
        json_deserializer=_JSON_DECODER.decode,
    )
    event.listen(engine, "connect", lambda connection, _record: sqlite_inline.configure(connection))
    return engine


def _reset_sqlite_connection(dbapi_connection: Any, _record: Any, state: PoolResetState) -> None:
    """Roll back on return to the pool only when a transaction is open. Most connections come
    back without one (read() runs no BEGIN); the pool's unconditional rollback cost ~50 of the
    ~90 µs of CPU a read took when these connections were aiosqlite's."""
    if state.asyncio_safe and dbapi_connection.driver_connection.in_transaction:
        dbapi_connection.rollback()


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # Take over BEGIN from the driver so a write unit of work can ask for IMMEDIATE.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in (
        "PRAGMA journal_mode=WAL",
        "PRAGMA foreign_keys=ON",
        "PRAGMA synchronous=NORMAL",
        # No busy timeout (sqlite_inline_driver.connect opens with 0): SQLite's would wait on
        # the event loop's thread; a lock is waited for in a worker thread instead.
    ):
        cursor.execute(pragma)
    cursor.close()


def _begin_sqlite_transaction(conn: Connection) -> None:
    options = conn.get_execution_options()
    if options.get(_NO_BEGIN, False):
        return
    immediate = options.get(_IMMEDIATE, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
