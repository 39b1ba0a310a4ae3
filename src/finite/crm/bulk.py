"""Load many records fast, for benchmarks and trials: COPY on PostgreSQL, batched inserts on SQLite.

Values are generated from the module registry (with realistic names, companies and emails where
the fields exist), deterministic for a given seed. Record ids continue the organization's counter.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from finite.crm.engine import crm_engine
from finite.crm.modules.definitions import MODULES
from finite.crm.modules.fields import Field
from finite.crm.modules.kinds.base import SampleMaker as Maker
from finite.crm.modules.kinds.datetime import SAMPLE_START as START
from finite.crm.modules.tables import MODULE_TABLES
from finite.kit.db import Database

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
    engine = crm_engine(db)
    rng = random.Random(seed)
    makers = field_makers(module)
    async with db.transaction() as session:
        ids = await engine.take_record_ids(session, org_id, module, count)
    first_id, last_id = ids.start, ids.stop - 1
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
