"""The engine's own plan for a statement, for tests that check which indexes serve a query."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ClauseElement, Select
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from finite.kit.db import Database, engine_of


async def query_plan(
    session: AsyncSession, statement: ClauseElement, avoid: tuple[str, ...] = ()
) -> str:
    """EXPLAIN (PostgreSQL) or EXPLAIN QUERY PLAN (SQLite), one step a line. `avoid`: PostgreSQL
    access paths to switch off (`seqscan`, `sort`, ...), since the test tables are too small for
    its planner to prefer an index otherwise; what remains is then the only way it has. Needs a
    transaction (SET LOCAL)."""
    sql = str(statement.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
    connection = await session.connection()
    if engine_of(session).name == "postgresql":
        for path in avoid:
            await connection.exec_driver_sql(f"SET LOCAL enable_{path} = off")
        lines: Any = await connection.exec_driver_sql(f"EXPLAIN {sql}")
    else:
        lines = await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")
    return "\n".join(str(line[-1]) for line in lines.all())


async def generic_plan(db: Database, statement: Select[Any]) -> str:
    """EXPLAIN of the plan a generic-plans connection runs for `statement`: prepared with its
    values as parameters, executed with them."""
    compiled = statement.compile(dialect=postgresql.asyncpg.dialect())  # type: ignore[no-untyped-call]
    params = compiled.construct_params()
    values = [params[name] for name in compiled.positiontup or ()]
    async with db.raw_read(generic_plans=True) as connection:
        driver = connection.driver
        await driver.execute(f"PREPARE shape AS {compiled.string}")
        try:
            literals = ", ".join(_literal(value) for value in values)
            rows = await driver.fetch(f"EXPLAIN EXECUTE shape({literals})")
        finally:
            await driver.execute("DEALLOCATE shape")
    return "\n".join(row[0] for row in rows)


def _literal(value: Any) -> str:
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"
