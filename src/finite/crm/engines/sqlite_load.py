"""Bulk loads on SQLite (crm/bulk.py): executemany on the driver, the insert triggers' work done
once per batch."""

from __future__ import annotations

from typing import Any

from finite.crm.export.sqlite_lines import stored_line
from finite.crm.modules.tables import EXPORT_LINE_COLUMN, MODULE_TABLES
from finite.kit.db import Database
from finite.kit.sqlite_inline_driver import InlineConnection

MODULE_TABLES_BY_NAME = {table.name: table for table in MODULE_TABLES.values()}


async def load_rows(db: Database, table_name: str, rows: list[dict[str, Any]]) -> None:
    """executemany on the driver with values already in SQLite's stored forms."""
    columns = list(rows[0])
    table = MODULE_TABLES_BY_NAME[table_name]
    dialect = db.engine.dialect
    processors = [table.c[column].type._cached_bind_processor(dialect) for column in columns]
    values = [
        tuple(
            process(row[column]) if process else row[column]
            for column, process in zip(columns, processors, strict=True)
        )
        for row in rows
    ]
    placeholders = ", ".join("?" for _ in columns)
    statement = f"INSERT INTO {table_name} ({', '.join(columns)}) VALUES ({placeholders})"  # noqa: S608 - names from the registry
    async with db.engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        assert isinstance(driver, InlineConnection)
        await driver.execute("BEGIN IMMEDIATE")
        # FTS5 flushes its buffer after every statement run by a trigger, which makes row-by-row
        # indexing ~7x slower than one INSERT … SELECT, and the stored export line's trigger
        # rewrites each row once more (seeding 1.1M leads: 658 s against 439 s). Inside this
        # write transaction (no other writer can interleave) the insert triggers are set aside
        # and the batch indexed and its lines written at once.
        batch = (rows[0]["org_id"], rows[0]["id"], rows[-1]["id"])
        aside = await _insert_triggers(driver, table_name)
        for name, _sql, _batch_sql in aside:
            await driver.execute(f"DROP TRIGGER {name}")
        await driver.executemany(statement, values)
        for _name, sql, batch_sql in aside:
            await driver.execute(batch_sql, batch)
            await driver.execute(sql)
        await driver.commit()


async def _insert_triggers(driver: InlineConnection, table_name: str) -> list[tuple[str, str, str]]:
    """(name, CREATE statement, the same work as one statement over a batch of ids) of each
    insert trigger of the table that has one."""
    line = stored_line(table_name.removeprefix("crm_"))
    found: list[tuple[str, str, str]] = []
    for name in (f"{table_name}_fts_ai", line.after_insert):
        trigger = await (
            await driver.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (name,)
            )
        ).fetchone()
        if trigger is None:
            continue
        if name == line.after_insert:
            batch_sql = (
                f"UPDATE {table_name} SET {EXPORT_LINE_COLUMN} = {line.sql} "  # noqa: S608
                "WHERE org_id = ? AND id BETWEEN ? AND ?"
            )
        else:
            batch_sql = _index_batch_sql(trigger[1])
        found.append((trigger[0], trigger[1], batch_sql))
    return found


def _index_batch_sql(trigger_sql: str) -> str:
    """`INSERT INTO fts(rowid, a, b) VALUES (new.rowid, new.a, new.b)` from the trigger, as one
    INSERT … SELECT over the batch just written."""
    body = trigger_sql[trigger_sql.index("INSERT INTO") : trigger_sql.rindex(";")]
    target, values = body.split(" VALUES ")
    table = trigger_sql.split(" ON ")[1].split()[0]
    selected = values.strip().removeprefix("(").removesuffix(")").replace("new.", "")
    return f"{target} SELECT {selected} FROM {table} WHERE org_id = ? AND id BETWEEN ? AND ?"  # noqa: S608
