"""The database handle: one async engine, explicit read and write units of work.

What differs between SQLite and PostgreSQL lives in kit/engines/ (one class per engine): the
handle builds its engine object from the URL once, here, and asks it, never the URL again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.pool import Pool, PoolProxiedConnection
from sqlalchemy.util import greenlet_spawn

from finite.kit.engines import engine_for, engine_for_url
from finite.kit.engines.base import DatabaseEngine, json_dumps
from finite.kit.write_groups import WriteGroups

__all__ = ["DEFAULT_POOL_SIZE", "Database", "RawRead", "database_of", "engine_of", "json_dumps"]

DEFAULT_POOL_SIZE = 16
_DATABASE = "finite_database"  # the session's Database, in its `info`

Fetch = Callable[[Any, str, Sequence[Any]], Awaitable[Sequence[Any]]]


class Database:
    def __init__(self, url: str, *, echo: bool = False, pool_size: int = DEFAULT_POOL_SIZE) -> None:
        """`pool_size`: on PostgreSQL, the connections each of the two pools keeps open (and
        half as many again for bursts). A list request draws from both, one after the other:
        below the requests a process serves at once, connections returned to a full pool are
        closed and reopened on the next burst (10 under 16 callers: ~1-7 new connections a
        second, each a PostgreSQL backend started and an asyncpg setup)."""
        self.url = url
        self.backend: DatabaseEngine = engine_for_url(url)
        # For tests and tools that check which engine they got; product code asks `backend`.
        self.is_sqlite = self.backend.name == "sqlite"
        self.engine: AsyncEngine = self.backend.create_engine(url, echo=echo, pool_size=pool_size)
        # PostgreSQL: connections that plan each prepared statement once.
        self._generic_plans_engine = self.backend.generic_plans_engine(
            url, self.engine, echo=echo, pool_size=pool_size
        )
        # SQLite (a file): raw_read() connections of their own, read on the event loop's thread.
        self._inline_reads = self.backend.inline_read_engine(url, echo=echo)
        # PostgreSQL: statements that commit on their own beside a write transaction.
        self._side = self.backend.side_engine(url, echo=echo, pool_size=pool_size)
        self._sessions = async_sessionmaker(
            self.engine, expire_on_commit=False, autoflush=False, info={_DATABASE: self}
        )
        self._write_groups = (
            WriteGroups(self._open_write, self._solo_transaction, self._write_patience)
            if self.backend.groups_writes
            else None
        )
        # Reads run statement by statement, without BEGIN … ROLLBACK: two round trips fewer per
        # request. Each statement still sees one consistent snapshot (PostgreSQL's READ
        # COMMITTED gives a transaction no more than that); read(snapshot=True) keeps one
        # transaction for reads that need several statements to agree or a server-side cursor.
        self._read_sessions = async_sessionmaker(
            self.engine.execution_options(**self.backend.autocommit_options()),
            expire_on_commit=False,
            autoflush=False,
            info={_DATABASE: self},
        )

    @asynccontextmanager
    async def transaction(self, *, bulk: bool = False) -> AsyncIterator[AsyncSession]:
        """A write unit of work: commits when the block ends, rolls back on any exception.

        On SQLite it starts with BEGIN IMMEDIATE and this process's writers take turns first
        (kit/engines/sqlite.py); writers that queue share one transaction, each in a savepoint
        of its own (kit/write_groups.py). `bulk`, for a unit of work that writes many rows (a
        background batch, a field cleared from every record), runs alone, its statements in a
        worker thread, where SQLite's own work does not hold the loop.
        """
        if self._write_groups is not None and not bulk:
            async with self._write_groups.member() as session:
                yield session
            return
        async with self._solo_transaction(bulk=bulk) as session:
            yield session

    @asynccontextmanager
    async def _solo_transaction(self, *, bulk: bool = False) -> AsyncIterator[AsyncSession]:
        async with (
            self.backend.write_turn(),
            self._sessions() as session,
            self.backend.writing(session, bulk=bulk),
        ):
            try:
                yield session
            except BaseException:
                await session.rollback()
                raise
            await session.commit()

    def _write_patience(self) -> float:
        return self.backend.write_patience

    async def _open_write(self, exits: AsyncExitStack) -> AsyncSession:
        """A write transaction whose parts (the turn, the session, BEGIN) close with `exits`."""
        await exits.enter_async_context(self.backend.write_turn())
        session = await exits.enter_async_context(self._sessions())
        await exits.enter_async_context(self.backend.writing(session, bulk=False))
        return session

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
                yield RawRead(
                    inline, self._inline_reads.dialect, self.backend, self.backend.fetch_inline
                )
            finally:
                inline.close()
            return
        engine = self._generic_plans_engine if generic_plans else self.engine
        proxied = await engine.raw_connection()
        try:
            yield RawRead(proxied, engine.dialect, self.backend, self.backend.fetch)
        finally:
            # Back to the pool through SQLAlchemy (its reset may await the driver).
            await greenlet_spawn(proxied.close)

    @asynccontextmanager
    async def side_statement(self) -> AsyncIterator[RawRead]:
        """A connection of a small pool of its own, outside any transaction: a statement run on
        it commits at once, whatever transaction its caller has open (kit/engines/postgres.py:
        side_engine says how). For a row every write would otherwise lock until it commits
        (ids taken for a create). Engines without one (SQLite, whose writers hold the whole
        database in turn, so a statement beside a write transaction would wait for it) raise
        NotImplementedError."""
        if self._side is None:
            raise NotImplementedError(f"{self.backend.name} has no side statements")
        proxied = await self._side.raw_connection()
        side = RawRead(proxied, self._side.dialect, self.backend, self.backend.fetch)
        try:
            yield side
        except Exception as error:
            # Whatever failed, the connection may be mid-reply: the pool opens a new one.
            await side.invalidate(error)
            raise
        finally:
            await greenlet_spawn(proxied.close)

    async def dedicated_connection(self) -> Any:
        """PostgreSQL: a new driver connection of its own, outside the pools (for LISTEN,
        which holds its connection for good)."""
        return await self.backend.dedicated_connection(self.engine)

    def pools(self) -> dict[str, Pool]:
        """The process's connection pools by name (for /metrics)."""
        pools = {"main": self.engine.pool}
        if self._generic_plans_engine is not self.engine:
            pools["generic_plans"] = self._generic_plans_engine.pool
        if self._inline_reads is not None:
            pools["sqlite_reads"] = self._inline_reads.pool
        if self._side is not None:
            pools["side"] = self._side.pool
        return pools

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self._inline_reads is not None:
            self._inline_reads.dispose()
        if self._generic_plans_engine is not self.engine:
            await self._generic_plans_engine.dispose()
        if self._side is not None:
            await self._side.dispose()


class RawRead:
    """A checked-out pool connection: the driver's own connection, its dialect, its engine
    class and how rows are fetched on it."""

    __slots__ = ("_proxied", "backend", "dialect", "driver", "fetch")

    def __init__(
        self,
        proxied: PoolProxiedConnection,
        dialect: Dialect,
        backend: DatabaseEngine,
        fetch: Fetch,
    ) -> None:
        self._proxied = proxied
        self.dialect = dialect
        self.backend = backend
        self.fetch = fetch
        self.driver: Any = proxied.driver_connection

    async def invalidate(self, error: BaseException) -> None:
        """Discard the connection (the database dropped it, say): the pool opens a new one."""
        await greenlet_spawn(self._proxied.invalidate, error)


def database_of(session: AsyncSession) -> Database:
    """The Database whose transaction() or read() made `session`."""
    database = session.info[_DATABASE]
    assert isinstance(database, Database)
    return database


def engine_of(source: AsyncSession | RawRead) -> DatabaseEngine:
    """The engine object `source` runs on."""
    if isinstance(source, RawRead):
        return source.backend
    return engine_for(source.get_bind().dialect)
