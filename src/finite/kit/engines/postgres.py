"""PostgreSQL through asyncpg: pools of their own per planning mode, COPY for many rows,
LISTEN on a connection of its own."""

from __future__ import annotations

import functools
import socket
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AbstractContextManager, nullcontext
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import JSON, Numeric, Select, Table, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.types import TypeEngine

from finite.kit.backups import pg_dump_backup
from finite.kit.engines.base import (
    JSON_OPTIONS,
    DatabaseEngine,
    Upsert,
    bound_rows,
    json_dumps,
)

_NUMERIC_OID = 1700
# SQLSTATEs of a server that cannot serve now: connection exceptions (class 08), shutting down
# or starting up (57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now), and
# 53300 too_many_connections.
_UNAVAILABLE_CLASSES = ("08",)
_UNAVAILABLE_STATES = frozenset({"57P01", "57P02", "57P03", "53300"})
# Data exceptions (22) and integrity constraint violations (23).
_REFUSED_CLASSES = ("22", "23")
_NOTHING: AbstractAsyncContextManager[None] = nullcontext()
# One lock per name, in the order of the (sorted) array: the subquery keeps that order.
_ADVISORY_LOCKS = text(
    "SELECT count(pg_advisory_xact_lock(hashtextextended(name, 0)))"
    " FROM (SELECT name FROM unnest(CAST(:names AS text[])) WITH ORDINALITY AS n(name, at)"
    " ORDER BY at) AS ordered"
)


class PostgresEngine(DatabaseEngine):
    name: ClassVar[str] = "postgresql"

    # --- connections ---------------------------------------------------------------------------

    def create_engine(self, url: str, *, echo: bool, pool_size: int) -> AsyncEngine:
        return _create_engine(url, echo=echo, pool_size=pool_size, generic_plans=False)

    def generic_plans_engine(
        self, url: str, engine: AsyncEngine, *, echo: bool, pool_size: int
    ) -> AsyncEngine:
        """Connections that plan each prepared statement once (crm/records/query/stable_plans says
        which statements may)."""
        return _create_engine(url, echo=echo, pool_size=pool_size, generic_plans=True)

    def side_engine(self, url: str, *, echo: bool, pool_size: int) -> AsyncEngine:
        """A pool a quarter the size of the others: each use is one statement.

        Its commits do not wait for the WAL to reach the disk (synchronous_commit=off, ~2.5 ms
        an fsync here), so a row such a statement locks is free again as soon as it is
        written. What it writes is worth something only to a transaction that commits later
        (a record id: the record's commit flushes the WAL up to its own commit record, past
        this one), or is consistent whether or not it survives a crash (a fold of deltas: one
        atomic statement). A lock waited for longer than lock_timeout fails the statement
        rather than hang: a transaction waiting for a side statement that waits for a lock the
        transaction holds would be a deadlock PostgreSQL cannot see."""
        size = max(2, pool_size // 4)
        return create_async_engine(
            url,
            echo=echo,
            connect_args={"server_settings": {"synchronous_commit": "off", "lock_timeout": "10s"}},
            pool_size=size,
            max_overflow=size,
            pool_recycle=1800,
            **JSON_OPTIONS,
        )

    def autocommit_options(self) -> dict[str, Any]:
        return {"isolation_level": "AUTOCOMMIT"}

    def write_turn(self) -> AbstractAsyncContextManager[None]:
        return _NOTHING  # concurrent writers: PostgreSQL locks rows, not the database

    def writing(self, session: AsyncSession, *, bulk: bool) -> AbstractAsyncContextManager[None]:
        return _NOTHING

    def migration_turn(self, url: str) -> AbstractContextManager[None]:
        return nullcontext()  # migrations/env.py takes an advisory lock

    def backup(self, url: str, target: Path) -> None:
        pg_dump_backup(url, target)

    async def dedicated_connection(self, engine: AsyncEngine) -> Any:
        """A new asyncpg connection of its own, outside the pools, made with the pools'
        connection arguments (for LISTEN, which holds its connection for good)."""
        args, options = engine.dialect.create_connect_args(engine.url)
        for sqlalchemy_only in (
            "prepared_statement_cache_size",
            "prepared_statement_name_func",
            "async_creator_fn",
        ):
            options.pop(sqlalchemy_only, None)
        return await asyncpg.connect(*args, **options)

    # --- failures ------------------------------------------------------------------------------

    @classmethod
    def unavailable(cls, error: BaseException) -> bool:
        """asyncpg's errors carry `sqlstate`, SQLAlchemy's translations of them `pgcode`; a
        server that is down or restarting refuses the TCP connection or cuts it (OSError,
        asyncpg's "connection is closed")."""
        state = _sqlstate(error)
        if state is not None:
            return state.startswith(_UNAVAILABLE_CLASSES) or state in _UNAVAILABLE_STATES
        if isinstance(error, asyncpg.InterfaceError):
            return "connection is closed" in str(error) or "connection was closed" in str(error)
        # Refused, reset or timed out connections, a name that does not resolve.
        return isinstance(error, ConnectionError | TimeoutError | socket.gaierror)

    @classmethod
    def refused(cls, error: BaseException) -> bool:
        state = _sqlstate(error)
        return state is not None and state.startswith(_REFUSED_CLASSES)

    # --- statements ----------------------------------------------------------------------------

    def upsert(self, table: Any) -> Upsert:
        return postgresql.insert(table)

    def locked(self, query: Select[Any]) -> Select[Any]:
        return query.with_for_update()

    async def snapshot(self, session: AsyncSession) -> None:
        await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})

    async def lock_names(self, session: AsyncSession, names: Sequence[str]) -> None:
        """Transaction-scoped advisory locks, taken in sorted order so that two writers
        wanting overlapping sets never wait on each other in a cycle."""
        if names:
            await session.execute(_ADVISORY_LOCKS, {"names": sorted(set(names))})

    async def insert_rows(
        self, session: AsyncSession, table: Table, columns: Sequence[str], rows: Sequence[Any]
    ) -> None:
        """COPY, within the session's transaction (500 audit rows: 2.8-3.4 ms of the event
        loop's CPU, against 6.5-10.6 ms through SQLAlchemy's executemany)."""
        json_at = _json_positions(table, tuple(columns))
        records = []
        for row in rows:
            values = [row[name] for name in columns]
            for at in json_at:  # only the JSON columns' values can need converting
                values[at] = _copy_value(values[at])
            records.append(tuple(values))
        await _copy(await session.connection(), table.name, columns, records)

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
        """One UPDATE … FROM unnest(arrays): one parameter per column, however many rows (the
        rows of a sealing round were one UPDATE each, 8-51 ms per 100)."""
        if not rows:
            return 0
        connection = await session.connection()
        names = (*keys, *columns)
        sql = _update_from_arrays(table, tuple(keys), tuple(columns), unset, connection.dialect)
        bound = bound_rows(table, names, rows, connection.dialect)
        arrays = tuple(list(values) for values in zip(*bound, strict=True))
        result = await connection.exec_driver_sql(sql, arrays)
        return int(result.rowcount)

    # --- fast reads ----------------------------------------------------------------------------

    def fetch(self, connection: Any, sql: str, values: Sequence[Any]) -> Awaitable[Sequence[Any]]:
        return connection.fetch(sql, *values)  # type: ignore[no-any-return]

    async def sent_types(self, connection: Any, sql: str, columns: int) -> list[int | None]:
        """Some result processors depend on the type the server sends (a NUMERIC result is a
        Decimal already, a float one is not), as SQLAlchemy reads them off the cursor: asked
        by preparing the statement."""
        statement = await connection.prepare(sql)
        return [attribute.type.oid for attribute in statement.get_attributes()]

    async def join_transaction(self, adapter: Any) -> None:
        """SQLAlchemy's asyncpg adapter sends BEGIN with the first statement run through it:
        a statement run on asyncpg's connection before that would run, and commit, on its
        own. Begun here as the adapter would (its isolation level, read-only flag; nothing
        in autocommit)."""
        if adapter._transaction is None and not adapter.autocommit:
            await adapter._start_transaction()

    # --- column types --------------------------------------------------------------------------

    @classmethod
    def decimal_storage(cls, precision: int, scale: int) -> TypeEngine[Any]:
        return Numeric(precision, scale, asdecimal=True)

    @classmethod
    def decimal_to_stored(cls, amount: Decimal, factor: Decimal) -> Any:
        return amount

    @classmethod
    def decimal_reader(cls, factor: Decimal, quantum: Decimal) -> Callable[[Any], Decimal]:
        return lambda value: Decimal(value).quantize(quantum)

    @classmethod
    def decimals_arrive_exact(cls, dialect: Dialect, coltype: object) -> bool:
        # A NUMERIC(precision, scale) column arrives as a Decimal of that scale already.
        return dialect.driver == "asyncpg" and coltype == _NUMERIC_OID

    @classmethod
    def utc_to_stored(cls, value: datetime) -> datetime:
        return value

    @classmethod
    def driver_decodes_utc(cls, dialect: Dialect) -> bool:
        return dialect.driver == "asyncpg"  # timestamptz arrives as an aware UTC datetime


async def copy_rows(
    connection: AsyncConnection, table_name: str, columns: Sequence[str], rows: Sequence[Any]
) -> None:
    """COPY of `rows` (mappings with every column) on the asyncpg connection under
    SQLAlchemy's, within whatever transaction it is in; dicts and lists go as JSON text."""
    records = [tuple(_copy_value(row[column]) for column in columns) for row in rows]
    await _copy(connection, table_name, columns, records)


async def _copy(
    connection: AsyncConnection,
    table_name: str,
    columns: Sequence[str],
    records: Sequence[tuple[Any, ...]],
) -> None:
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None
    await driver.copy_records_to_table(table_name, records=records, columns=list(columns))


@functools.cache
def _json_positions(table: Table, columns: tuple[str, ...]) -> tuple[int, ...]:
    return tuple(at for at, name in enumerate(columns) if isinstance(table.c[name].type, JSON))


@functools.cache
def _update_from_arrays(
    table: Table,
    keys: tuple[str, ...],
    columns: tuple[str, ...],
    unset: str | None,
    dialect: Dialect,
) -> str:
    """Names from the table's own columns, quoted; the values are the statement's parameters."""
    quote = dialect.identifier_preparer.quote
    names = (*keys, *columns)
    arrays = ", ".join(
        f"CAST(${place} AS {table.c[name].type.compile(dialect=dialect)}[])"
        for place, name in enumerate(names, start=1)
    )
    conditions = [f"t.{quote(name)} = v.{quote(name)}" for name in keys]
    if unset is not None:
        conditions.append(f"t.{quote(unset)} IS NULL")
    return (
        f"UPDATE {quote(table.name)} AS t"  # noqa: S608 - quoted column names, values bound
        f" SET {', '.join(f'{quote(name)} = v.{quote(name)}' for name in columns)}"
        f" FROM unnest({arrays}) AS v({', '.join(quote(name) for name in names)})"
        f" WHERE {' AND '.join(conditions)}"
    )


def _sqlstate(error: BaseException) -> str | None:
    state = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
    return state if isinstance(state, str) else None


def _copy_value(value: Any) -> Any:
    return json_dumps(value) if isinstance(value, dict | list) else value


def _create_engine(url: str, *, echo: bool, pool_size: int, generic_plans: bool) -> AsyncEngine:
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
        **JSON_OPTIONS,
    )
