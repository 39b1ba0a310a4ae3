"""SELECTs executed on the driver's own connection, decoded as SQLAlchemy would decode them.

SQLAlchemy's execution and result layers cost ~0.4 ms of CPU per query here, and an ORM session
as much again (bench/list_request_parts.py: an empty session 0.36 ms, an empty raw_read()
0.06 ms). Every request runs the key lookup, and the busiest ones a page of records: for those
that work buys nothing. Statements are compiled by SQLAlchemy and cached (per dialect and
statement shape, the way SQLAlchemy caches them itself); parameters go through the types' bind
processors and each column through its type's result processor, so values are exactly
SQLAlchemy's (tests/kit/test_fast_read.py compares them). Authentication: 1.4 ms of CPU with the
ORM, 0.46 ms now.

- `fetch_rows`: a module-level constant statement whose parameters are all plain strings,
  given at execution (no cache key to compute).
- `fetch_all`: any SELECT built per request (literal values inside, `IN` lists included).
- `fetch_prepared`: a SELECT built once per query shape, its values all given at execution.

Each runs on a session's connection (inside its transaction, seeing its flushed writes) or on a
`Database.raw_read()` connection (no session at all). kit/fast_write.py runs INSERTs and
UPDATEs with the same pieces (driver_of, in_order, result_processors, decoded).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

from sqlalchemy import Select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.type_api import TypeEngine
from sqlalchemy.util import LRUCache

from finite.kit.db import Fetch, RawRead
from finite.kit.engines import engine_for
from finite.kit.engines.base import DatabaseEngine
from finite.kit.result_processors import Processor
from finite.kit.sqlite_inline_driver import InlineConnection

AnySelect: TypeAlias = Select[*tuple[Any, ...]]
Source: TypeAlias = AsyncSession | RawRead


@dataclass(frozen=True, slots=True)
class _Prepared:
    sql: str
    order: tuple[str, ...]  # parameter names, in positional order
    result_types: tuple[TypeEngine[Any], ...]


# Keyed by the statement object itself (kept alive here, so no other statement takes its place).
_prepared: dict[tuple[AnySelect, str], _Prepared] = {}
# SQLAlchemy's own compiled-statement cache shape: (dialect, cache key, …) → Compiled.
_compiled: LRUCache[Any, Any] = LRUCache(1000)
# fetch_prepared's statements, by the statement object (kept alive here while cached).
_compiled_once: LRUCache[tuple[AnySelect, str], SQLCompiler] = LRUCache(1000)
# A session's Driver, with the session transaction it belongs to (session.info's key).
_DRIVER = "finite_fast_driver"
# A statement's (a _Prepared's or a Compiled's) result processors, once known.
_result_processors: LRUCache[Any, tuple[Processor, ...]] = LRUCache(2000)


async def fetch_rows(
    source: Source, statement: AnySelect, params: Mapping[str, str]
) -> list[tuple[Any, ...]]:
    """The rows of `statement` (a module-level constant) for `params`, decoded as SQLAlchemy
    would. Runs on the session's connection, or on a Database.raw_read() connection."""
    driver = await driver_of(source)
    prepared = _prepare(statement, driver)
    values = [params[name] for name in prepared.order]
    return await _run(driver, prepared.sql, values, prepared, prepared.result_types)


async def fetch_all(
    source: Source, statement: AnySelect, params: Mapping[str, Any] | None = None
) -> list[tuple[Any, ...]]:
    """The rows of any SELECT, as `session.execute(statement, params).all()` would give them
    (as plain tuples). `params` fill bindparams that carry no value of their own."""
    driver = await driver_of(source)
    bound = _bound(driver.dialect, statement, params)
    return await _run(driver, bound.sql, bound.values, bound.compiled, bound.result_types)


async def fetch_prepared(
    source: Source, statement: AnySelect, params: Mapping[str, Any]
) -> list[tuple[Any, ...]]:
    """The rows of a SELECT built once and run many times, every value of it a bindparam
    filled from `params` (crm/records/query/page_plans.py): compiled once per statement object, so
    no run builds SQLAlchemy's cache key (its traversal of the statement)."""
    driver = await driver_of(source)
    key = (statement, driver.backend.name)
    compiled = _compiled_once.get(key)
    if compiled is None:
        made = statement.compile(dialect=driver.dialect)
        assert isinstance(made, SQLCompiler)
        compiled = _compiled_once[key] = made
    bound = in_order(compiled, compiled.construct_params(dict(params), escape_names=False))
    return await _run(driver, bound.sql, bound.values, compiled, bound.result_types)


async def sqlite_batches(
    session: AsyncSession, statement: AnySelect, batch_rows: int
) -> AsyncIterator[list[tuple[Any, ...]]]:
    """The rows of a SELECT on SQLite, `batch_rows` at a time, read through one cursor on the
    session's connection (inside its transaction: one snapshot). For exports: a million rows
    skip SQLAlchemy's streamed result and its Row objects (1M-lead export, in process,
    interleaved: 72-90k → 74-97k rows/s; Python's sqlite3 and csv modules alone gave 82-113k
    at the same hour)."""
    driver = await driver_of(session)
    assert isinstance(driver.connection, InlineConnection)
    bound = _bound(driver.dialect, statement, None)
    try:
        processors = await result_processors(driver, bound.sql, bound.compiled, bound.result_types)
    except Exception as error:
        await driver.invalidate(error)
        raise
    async for batch in driver.connection.stream(bound.sql, bound.values, batch_rows):
        yield decoded(batch, processors)


@dataclass(frozen=True, slots=True)
class Bound:
    sql: str
    values: list[Any]
    compiled: SQLCompiler
    result_types: tuple[TypeEngine[Any], ...]


def _bound(dialect: Dialect, statement: AnySelect, params: Mapping[str, Any] | None) -> Bound:
    """The statement compiled (cached per shape: SQLAlchemy's cache key) and its values."""
    compiled, extracted, collected, _ = statement._compile_w_cache(
        dialect, compiled_cache=_compiled, column_keys=[]
    )
    assert isinstance(compiled, SQLCompiler)
    named = compiled.construct_params(
        dict(params) if params else None,
        escape_names=False,
        extracted_parameters=extracted,
        _collected_params=collected,
    )
    return in_order(compiled, named)


def in_order(compiled: SQLCompiler, named: MutableMapping[str, Any]) -> Bound:
    """The values in positional order, through the types' bind processors (`IN` lists
    expanded)."""
    bind: Mapping[str, Any] = compiled._bind_processors
    sql: str = compiled.string
    order: Sequence[str] = compiled.positiontup or []
    if compiled.literal_execute_params or compiled.post_compile_params:
        expanded = compiled._process_parameters_for_postcompile(named)
        sql, order = expanded.statement, expanded.positiontup or []
        bind = {**bind, **expanded.processors}
    values = [bind[name](named[name]) if name in bind else named[name] for name in order]
    types = tuple(column[3] for column in compiled._result_columns)
    return Bound(sql, values, compiled, types)


@dataclass(frozen=True, slots=True)
class Driver:
    dialect: Dialect
    connection: Any  # asyncpg's, an InlineConnection (a SQLite session's), or sqlite3's (raw_read)
    invalidate: Callable[[BaseException], Awaitable[None]]
    backend: DatabaseEngine
    fetch: Fetch  # the engine's way to fetch rows on this connection
    session: AsyncConnection | None  # a session's SQLAlchemy connection (None: a raw read)


async def driver_of(source: Source) -> Driver:
    """The driver's connection under `source`; a session's, inside the session's transaction
    (begun now if the driver begins lazily: asyncpg under SQLAlchemy)."""
    if isinstance(source, RawRead):
        return Driver(
            source.dialect, source.driver, source.invalidate, source.backend, source.fetch, None
        )
    # Known for the session's transaction: asking SQLAlchemy for its connection and the
    # driver's beneath takes two greenlet switches (~0.025 ms, a tenth of a single insert).
    # The transaction keeps one connection until it ends; a new transaction, or a savepoint
    # (SQLAlchemy sends SAVEPOINT when the savepoint first asks for the connection), asks
    # again, and so does one gone bad (invalidated, or the session rolled back in part), for
    # SQLAlchemy to refuse as it would.
    sync = source.sync_session
    now = (sync.get_transaction(), sync.get_nested_transaction())
    known: tuple[tuple[Any, Any], Driver] | None = source.info.get(_DRIVER)
    if known is not None and known[0] == now and sync.is_active:
        kept = known[1].session.sync_connection if known[1].session else None
        if kept is not None and not kept.invalidated:
            return known[1]
    connection = await source.connection()
    raw = await connection.get_raw_connection()
    backend = engine_for(connection.dialect)
    # Once per transaction: the driver's transaction ends only with the session's.
    await backend.join_transaction(raw.dbapi_connection)
    driver = raw.driver_connection
    assert driver is not None
    found = Driver(
        connection.dialect, driver, connection.invalidate, backend, backend.fetch, connection
    )
    source.info[_DRIVER] = ((sync.get_transaction(), sync.get_nested_transaction()), found)
    return found


async def _run(
    driver: Driver,
    sql: str,
    values: list[Any],
    shape: object,
    result_types: tuple[TypeEngine[Any], ...],
) -> list[tuple[Any, ...]]:
    try:
        processors = await result_processors(driver, sql, shape, result_types)
        records = await driver.fetch(driver.connection, sql, values)
    except Exception as error:
        # SQLAlchemy never saw this failure: without this, a connection the database dropped
        # (a restart) would go back to the pool and fail every request that draws it first.
        await driver.invalidate(error)
        raise
    return decoded(records, processors)


async def result_processors(
    driver: Driver, sql: str, shape: object, types: tuple[TypeEngine[Any], ...]
) -> tuple[Processor, ...]:
    """The statement shape's result processors, asked for once and then cached."""
    found = _result_processors.get(shape)
    if found is None:
        found = _result_processors[shape] = await _processors_of(driver, sql, types)
    return found


async def _processors_of(
    driver: Driver, sql: str, types: tuple[TypeEngine[Any], ...]
) -> tuple[Processor, ...]:
    """Each column's result processor, for the type the server sends it as where that matters
    (kit/engines/postgres.py: sent_types), once per statement shape."""
    dialect = driver.dialect
    sent = await driver.backend.sent_types(driver.connection, sql, len(types))
    return tuple(
        kind._cached_result_processor(dialect, oid) for kind, oid in zip(types, sent, strict=True)
    )


def decoded(records: Sequence[Any], processors: tuple[Processor, ...]) -> list[tuple[Any, ...]]:
    active = [(at, process) for at, process in enumerate(processors) if process is not None]
    if not active:
        return [tuple(record) for record in records]
    rows = []
    for record in records:  # a page is 51 rows of ~30 columns; only a few columns need work
        row = list(record)
        for at, process in active:
            value = row[at]
            if value is not None:
                row[at] = process(value)
        rows.append(tuple(row))
    return rows


def _prepare(statement: AnySelect, driver: Driver) -> _Prepared:
    key = (statement, driver.backend.name)
    found = _prepared.get(key)
    if found is None:
        compiled = statement.compile(dialect=driver.dialect)
        order = tuple(compiled.positiontup or ())
        types = tuple(column.type for column in statement.selected_columns)
        found = _prepared[key] = _Prepared(str(compiled), order, types)
    return found
