"""Load many records fast, for benchmarks and trials: COPY on PostgreSQL, batched inserts on SQLite.

Values are generated from the module registry (with realistic names, companies and emails where
the fields exist), deterministic for a given seed. Record ids continue the organization's counter.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from finite.crm.engines.chosen import crm_engine
from finite.crm.modules.columns import NUMERIC_SHAPES
from finite.crm.modules.definitions import MODULES
from finite.crm.modules.fields import Field, FieldType
from finite.crm.modules.tables import MODULE_TABLES
from finite.kit.db import Database
from finite.models.crm import RecordCounter

FIRST = ["Asha", "Ravi", "Mei", "Lars", "Ines", "Tomas", "Aiko", "Omar", "Zoe", "Nia", "Ken", "Lea"]
LAST = ["Rao", "Chen", "Novak", "Silva", "Okafor", "Muller", "Sato", "Haddad", "Brown", "Kaur"]
COMPANY = ["Acme Pumps", "Globex", "Initech", "Umbrella", "Hooli", "Stark Industries", "Wayne Co"]
CITY = ["Pune", "Berlin", "Lagos", "Austin", "Osaka", "Lyon", "Porto", "Toronto"]
START = datetime(2024, 1, 1, tzinfo=UTC)


Maker = Callable[[int, random.Random, tuple[str, str, str]], Any]


def field_makers(module: str) -> list[tuple[str, Maker]]:
    """One value maker per field, chosen once per module (generation is the hot loop)."""
    return [
        (spec.key, _maker(spec))
        for spec in MODULES[module].fields
        if not spec.computed and spec.type not in (FieldType.LINE_ITEMS, FieldType.LOOKUP)
    ]


def _maker(spec: Field) -> Maker:
    key, kind = spec.key, spec.type
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
    if kind == FieldType.EMAIL:
        return lambda i, rng, who: (
            f"{who[0]}.{who[1]}{i}@{who[2].split()[0]}{i % 97}.example".lower()
        )
    if kind == FieldType.PICKLIST:
        options = spec.options
        return lambda i, rng, who: options[i % len(options)]
    if kind == FieldType.PERCENT:
        return lambda i, rng, who: Decimal(i % 101)
    if kind in NUMERIC_SHAPES:
        return lambda i, rng, who: Decimal(rng.randrange(500_000_000)).scaleb(-2)
    if kind == FieldType.INTEGER:
        return lambda i, rng, who: 1 + i % 10_000
    if kind == FieldType.BOOLEAN:
        return lambda i, rng, who: i % 2 == 0
    if kind == FieldType.DATE:
        return lambda i, rng, who: date(2025, 1, 1) + timedelta(days=i % 365)
    if kind == FieldType.DATETIME:
        return lambda i, rng, who: START + timedelta(seconds=i * 7)
    if kind == FieldType.URL:
        return lambda i, rng, who: f"https://example.com/{i}"
    if kind == FieldType.PHONE:
        return lambda i, rng, who: f"+1 555 {i % 10_000:04d}"
    if kind == FieldType.MULTI_PICKLIST:
        options = spec.options
        return lambda i, rng, who: [options[i % len(options)]]
    return lambda i, rng, who: None  # optional free text stays empty


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
    engine = crm_engine(db)
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
        await engine.load_rows(db, table.name, rows)
        done += size
        progress(size)
    await engine.after_load(db, table.name)
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
