"""INSERTs and UPDATEs executed on a session's driver connection, inside its transaction, as
SQLAlchemy would execute them.

SQLAlchemy's execution and result layers cost 0.11-0.17 ms of CPU around each statement here
(a lead's insert: SQLite 0.44 ms through the session, 0.27 ms here, 0.18 ms of it sqlite3's;
PostgreSQL 0.25 → 0.14 ms), and a single write runs four or five (docs/performance.md). The
hot ones (a record's insert and update, its event, its audit row) run here instead, the way
kit/fast_read.py runs SELECTs: the statement is built once and compiled by SQLAlchemy once per
statement, engine and set of columns given (as SQLAlchemy caches it); values go through the
column types' bind processors and RETURNING columns through their result processors, so what
is stored and returned is exactly SQLAlchemy's (tests/kit/test_fast_write.py compares them).
A failure is raised as SQLAlchemy raises it (an IntegrityError on a broken constraint, a
dropped connection invalidated), by SQLAlchemy's own handling, so `except IntegrityError` and
kit/db_errors.py see no difference; after_execute hooks run as after SQLAlchemy's execution
(before_* and cursor hooks do not: none is used).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn, TypeAlias

from sqlalchemy import Insert, Update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.util import LRUCache, greenlet_spawn

from finite.kit.fast_read import Driver, decoded, driver_of, in_order, result_processors

Write: TypeAlias = Insert | Update

# By statement object (kept alive here while cached), engine and the columns given.
_compiled: LRUCache[tuple[Write, str, tuple[str, ...]], SQLCompiler] = LRUCache(1000)


async def execute_write(
    session: AsyncSession, statement: Write, params: Mapping[str, Any]
) -> list[tuple[Any, ...]]:
    """Run `statement` (built once: a module-level constant) with `params`, as
    `session.execute(statement, params)` would: the keys that name columns set them (an
    INSERT's other columns stay NULL), the others fill the statement's bindparams. Returns the
    RETURNING rows as plain tuples (none without RETURNING)."""
    driver = await driver_of(session)
    compiled = _compile(statement, driver, params)
    try:
        bound = in_order(compiled, compiled.construct_params(dict(params), escape_names=False))
    except Exception as error:  # noqa: BLE001 - a bind processor refused a value: re-raised
        await _raise_as_sqlalchemy(driver, error, compiled.string, params)
    try:
        processors = (
            await result_processors(driver, bound.sql, compiled, bound.result_types)
            if bound.result_types
            else ()
        )
        records = await driver.fetch(driver.connection, bound.sql, bound.values)
    except Exception as error:  # noqa: BLE001 - re-raised as SQLAlchemy raises it
        await _raise_as_sqlalchemy(driver, error, bound.sql, tuple(bound.values))
    _after_execute(driver, statement, params)
    return decoded(records, processors)


def _after_execute(driver: Driver, statement: Write, params: Mapping[str, Any]) -> None:
    """SQLAlchemy's after_execute hooks, as its execution calls them (without a result):
    core/auth/principal_cache.py retires cached keys after a write to the tables they are read
    from, whichever way the write ran."""
    assert driver.session is not None  # driver_of(session)
    sync = driver.session.sync_connection
    assert sync is not None
    if sync._has_events or sync.engine._has_events:
        options = statement._execution_options.merge_with(sync._execution_options)
        sync.dispatch.after_execute(sync, statement, [], params, options, None)


def _compile(statement: Write, driver: Driver, params: Mapping[str, Any]) -> SQLCompiler:
    columns = tuple(params)
    key = (statement, driver.backend.name, columns)
    compiled = _compiled.get(key)
    if compiled is None:
        made = statement.compile(dialect=driver.dialect, column_keys=sorted(columns))
        assert isinstance(made, SQLCompiler)
        if made.insert_prefetch or made.update_prefetch:
            # SQLAlchemy's execution context computes these; nothing here does.
            raise NotImplementedError(f"Python-side column defaults in {statement!r}")
        compiled = _compiled[key] = made
    return compiled


async def _raise_as_sqlalchemy(
    driver: Driver, error: Exception, sql: str, params: Mapping[str, Any] | tuple[Any, ...]
) -> NoReturn:
    """`error` as SQLAlchemy raises it from a session's execute: the driver's error adapted to
    the DB-API's by SQLAlchemy's adapter, then wrapped (IntegrityError, OperationalError, …;
    a bind processor's ValueError in a StatementError) by the connection's own handling, which
    also invalidates a connection the database dropped and runs handle_error hooks."""
    connection = driver.session
    assert connection is not None  # driver_of(session)
    sync = connection.sync_connection
    assert sync is not None
    adapter: Any = sync.connection.dbapi_connection
    try:
        adapter._handle_exception(error)  # raises the DB-API's error, as its cursor would
    except Exception as adapted:  # noqa: BLE001 - handed to SQLAlchemy's handling below
        await greenlet_spawn(sync._handle_dbapi_exception, adapted, sql, params, None, None)
    raise AssertionError("unreachable: SQLAlchemy's handling raises")  # pragma: no cover
