"""Load many records fast, for benchmarks and trials: COPY on PostgreSQL, batched inserts on SQLite.

Values are generated from the module registry (with realistic names, companies and emails where
the fields exist), deterministic for a given seed. Record ids continue the organization's counter.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import text

from finite.crm.export.sqlite_lines import stored_line
from finite.crm.modules.definitions import MODULES
from finite.crm.modules.fields import Field
from finite.crm.modules.kinds.base import SampleMaker as Maker
from finite.crm.modules.kinds.datetime import SAMPLE_START as START
from finite.crm.modules.tables import EXPORT_LINE_COLUMN, MODULE_TABLES
from finite.kit.db import Database, copy_rows
from finite.kit.sqlite_inline_driver import InlineConnection
from finite.models.crm import RecordCounter

MODULE_TABLES_BY_NAME = {table.name: table for table in MODULE_TABLES.values()}

FIRST = ["Asha", "Ravi", "Mei", "Lars", "Ines", "Tomas", "Aiko", "Omar", "Zoe", "Nia", "Ken", "Lea"]
LAST = ["Rao", "Chen", "Novak", "Silva", "Okafor", "Muller", "Sato", "Haddad", "Brown", "Kaur"]
COMPANY = ["Acme Pumps", "Globex", "Initech", "Umbrella", "Hooli", "Stark Industries", "Wayne Co"]
CITY = ["Pune", "Berlin", "Lagos", "Austin", "Osaka", "Lyon", "Porto", "Toronto"]


def field_makers(module: str) -> list[tuple[str, Maker]]:
    """One value maker per field, chosen once per module (generation is the hot loop)."""
    makers = []
    for spec in MODULES[module].fields:
        sample = None if spec.computed else spec.kind.sample(spec)
        if sample is not None:  # line items and lookups have none
            makers.append((spec.key, _maker(spec, sample)))
    return makers


def _maker(spec: Field, sample: Maker) -> Maker:
    """Names, companies and cities where the keys say so; the kind's sample elsewhere."""
    key = spec.key
    if key in ("name", "subject", "title", "handle"):
        return lambda i, rng, who: f"{who[0]} {who[1]} {i}"
    if key == "first_name":
        return lambda i, rng, who: who[0]
    if key == "last_name":
        return lambda i, rng, who: who[1]
    if key == "company":
        return lambda i, rng, who: who[2]
    if key == "city":
        return lambda i, rng, who: CITY[i % len(CITY)]
    return sample


async def seed_records(
    db: Database,
    org_id: str,
    module: str,
    count: int,
    *,
    owner: str | None,
    batch_size: int = 10_000,
    seed: int = 42,
    progress: Callable[[int], None] = lambda done: None,
) -> tuple[int, int]:
    """Insert `count` records; returns the first and last id given out."""
    table = MODULE_TABLES[module]
    rng = random.Random(seed)
    makers = field_makers(module)
    async with db.transaction() as session:
        counter = await session.get(RecordCounter, (org_id, module))
        first_id = (counter.last_id if counter else 0) + 1
        last_id = first_id + count - 1
        if counter is None:
            session.add(
                RecordCounter(org_id=org_id, module=module, last_id=last_id, record_count=count)
            )
        else:
            counter.last_id = last_id
            counter.record_count += count
    done = 0
    while done < count:
        size = min(batch_size, count - done)
        rows = [_row(org_id, first_id + done + n, owner, rng, makers) for n in range(size)]
        if db.is_sqlite:
            await _insert_sqlite(db, table.name, rows)
        else:
            await _copy(db, table.name, rows)
        done += size
        progress(size)
    if not db.is_sqlite:
        # Fresh statistics (or the planner guesses as if the table were empty) and the
        # visibility map autovacuum would set soon after a load this size: without it every
        # index-only scan (a filtered list's count) visits the table too, ~10x slower.
        async with db.engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(text(f"VACUUM (ANALYZE) {table.name}"))
    return first_id, last_id


def _row(
    org_id: str,
    record_id: int,
    owner: str | None,
    rng: random.Random,
    makers: list[tuple[str, Maker]],
) -> dict[str, Any]:
    moment = START + timedelta(seconds=record_id * 11)
    who = (
        FIRST[record_id % len(FIRST)],
        LAST[record_id % 7 % len(LAST)],
        COMPANY[record_id % len(COMPANY)] + f" {record_id % 997}",
    )
    row: dict[str, Any] = {
        "org_id": org_id,
        "id": record_id,
        "version": 1,
        "created_at": moment,
        "updated_at": moment + timedelta(seconds=rng.randrange(86_400 * 30)),
        "created_by": owner,
        "owner": owner,
        "custom": {},
    }
    for key, make in makers:
        row[key] = make(record_id, rng, who)
    return row


async def _insert_sqlite(db: Database, table_name: str, rows: list[dict[str, Any]]) -> None:
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


async def _copy(db: Database, table_name: str, rows: list[dict[str, Any]]) -> None:
    async with db.engine.connect() as connection:
        await copy_rows(connection, table_name, list(rows[0]), rows)
        await connection.commit()
