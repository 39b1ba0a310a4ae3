"""Fixed SELECTs that every request runs, executed on the driver's own connection.

SQLAlchemy's execution and result layers cost ~0.4 ms of CPU per query here (a session with one
query: 0.75 ms; the raw driver on a pooled connection: 0.39 ms). For a statement that never
changes that work buys nothing: it is compiled once per dialect, its parameters are bound by
position, and each column is decoded by its own type's result processor, so the values are the
ones SQLAlchemy would return. Authentication went from 1.4 to 0.85 ms of CPU
(bench/list_request_parts.py).

Only for statements whose parameters are all plain strings (no bind processing needed).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

from sqlalchemy import Select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

Processor = Callable[[Any], Any] | None
AnySelect: TypeAlias = Select[*tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class _Prepared:
    sql: str
    order: tuple[str, ...]  # parameter names, in positional order
    processors: tuple[Processor, ...]


# Keyed by the statement object itself (kept alive here, so no other statement takes its place).
_prepared: dict[tuple[AnySelect, str], _Prepared] = {}


async def fetch_rows(
    session: AsyncSession, statement: AnySelect, params: Mapping[str, str]
) -> list[tuple[Any, ...]]:
    """The rows of `statement` (a module-level constant) for `params`, decoded as SQLAlchemy
    would. Runs on the session's connection."""
    connection = await session.connection()
    prepared = _prepare(statement, connection.dialect)
    values = [params[name] for name in prepared.order]
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None
    try:
        records = await _fetch(driver, connection.dialect.name, prepared.sql, values)
    except Exception as error:
        # SQLAlchemy never saw this failure: without this, a connection the database dropped
        # (a restart) would go back to the pool and fail every request that draws it first.
        await connection.invalidate(error)
        raise
    processors = prepared.processors
    return [
        tuple(
            value if process is None or value is None else process(value)
            for process, value in zip(processors, record, strict=True)
        )
        for record in records
    ]


async def _fetch(driver: Any, dialect: str, sql: str, values: list[str]) -> Sequence[Sequence[Any]]:
    if dialect == "postgresql":
        records: Sequence[Sequence[Any]] = await driver.fetch(sql, *values)
        return records
    cursor = await driver.execute(sql, values)
    try:
        return list(await cursor.fetchall())
    finally:
        await cursor.close()


def _prepare(statement: AnySelect, dialect: Dialect) -> _Prepared:
    key = (statement, dialect.name)
    found = _prepared.get(key)
    if found is None:
        compiled = statement.compile(dialect=dialect)
        order = tuple(compiled.positiontup or ())
        processors = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in statement.selected_columns
        )
        found = _prepared[key] = _Prepared(str(compiled), order, processors)
    return found
