"""Every query on CRM records, their line items and id counters; always scoped by org_id."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from finite.crm.engine import crm_engine
from finite.crm.modules.definitions import MODULES
from finite.crm.modules.kinds import KINDS
from finite.crm.modules.tables import MODULE_TABLES
from finite.crm.records.counters import kept_total_params
from finite.kit.db import engine_of
from finite.kit.fast_read import Source, fetch_all, fetch_prepared
from finite.kit.fast_write import execute_write
from finite.models.crm import CustomField, LineItem

MAX_REFERRERS_LISTED = 20
MAX_PARAMETERS = 30_000  # per statement: PostgreSQL takes at most 32,767
_REFERRING = [name for name, kind in KINDS.items() if kind.refers]  # lookups


def table(module: str) -> Table:
    return MODULE_TABLES[module]


async def next_record_id(session: AsyncSession, org_id: str, module: str) -> int:
    """Ids count from 1 per organization and module (crm/engine.py: take_record_ids)."""
    return (await crm_engine(session).take_record_ids(session, org_id, module, 1))[0]


async def next_record_ids(session: AsyncSession, org_id: str, module: str, count: int) -> range:
    """`count` ids at once (a batch write), counted as next_record_id counts one."""
    return await crm_engine(session).take_record_ids(session, org_id, module, count)


# Built once per module: building a statement per call, and SQLAlchemy's cache key for it, cost
# more than running it. The single writes run on the driver's connection (kit/fast_write.py):
# ~0.3 ms less each.
_INSERT_RETURNING = {
    name: insert(records).returning(*records.columns) for name, records in MODULE_TABLES.items()
}
# Compare-and-set on the version; the SET columns are the values given at execution.
_UPDATE_RETURNING = {
    name: update(records)
    .where(
        records.c.org_id == bindparam("match_org_id"),
        records.c.id == bindparam("match_id"),
        records.c.version == bindparam("match_version"),
    )
    .returning(*records.columns)
    for name, records in MODULE_TABLES.items()
}
_COLUMN_NAMES = {name: tuple(records.columns.keys()) for name, records in MODULE_TABLES.items()}
# A get by id: the statement and its cache key cost ~10 % of the request's CPU when built per call.
_READ_ONE = {
    name: select(records).where(
        records.c.org_id == bindparam("org_id"), records.c.id == bindparam("record_id")
    )
    for name, records in MODULE_TABLES.items()
}


async def insert_record(
    session: AsyncSession, module: str, values: Mapping[str, Any]
) -> dict[str, Any]:
    """Insert the record and return its row as stored (one statement: no read-back)."""
    (row,) = await execute_write(session, _INSERT_RETURNING[module], values)
    return dict(zip(_COLUMN_NAMES[module], row, strict=True))


async def insert_records(
    session: AsyncSession, module: str, rows: Sequence[Mapping[str, Any]]
) -> list[RowMapping]:
    """Many records (every row naming the same columns) in one statement: SQLAlchemy's
    "insertmanyvalues" sends them as one multi-row INSERT, whose RETURNING gives back the
    stored rows in the order sent."""
    target = table(module)
    statement = insert(target).returning(*target.columns, sort_by_parameter_order=True)
    per_statement = max(1, MAX_PARAMETERS // len(target.columns))
    stored: list[RowMapping] = []
    for start in range(0, len(rows), per_statement):
        chunk = list(rows[start : start + per_statement])
        stored += (await session.execute(statement, chunk)).mappings()
    return stored


async def ids_by_value(
    session: AsyncSession, org_id: str, module: str, key: str, values: Iterable[Any]
) -> dict[Any, list[int]]:
    """The ids of the records whose `key` holds each of `values` (stored forms)."""
    source = table(module)
    query = (
        select(source.c[key], source.c.id)
        .where(source.c.org_id == org_id, source.c[key].in_(list(values)))
        .order_by(source.c.id)
    )
    found: dict[Any, list[int]] = {}
    for value, record_id in (await session.execute(query)).all():
        found.setdefault(value, []).append(record_id)
    return found


async def get_record(
    session: AsyncSession, org_id: str, module: str, record_id: int, *, for_update: bool = False
) -> RowMapping | None:
    source = table(module)
    query = select(source).where(source.c.org_id == org_id, source.c.id == record_id)
    if for_update:
        query = engine_of(session).locked(query)
    return (await session.execute(query)).mappings().first()


async def read_record(
    source: Source, org_id: str, module: str, record_id: int
) -> tuple[Any, ...] | None:
    """The record's row (the module table's columns, in order), for reading only."""
    params = {"org_id": org_id, "record_id": record_id}
    found = await fetch_prepared(source, _READ_ONE[module], params)
    return found[0] if found else None


async def update_record(
    session: AsyncSession,
    org_id: str,
    module: str,
    record_id: int,
    expected_version: int,
    values: Mapping[str, Any],
) -> dict[str, Any] | None:
    """Compare-and-set on the version: the row as stored after the change, or None when
    someone else changed the record first."""
    match = {"match_org_id": org_id, "match_id": record_id, "match_version": expected_version}
    found = await execute_write(session, _UPDATE_RETURNING[module], {**values, **match})
    return dict(zip(_COLUMN_NAMES[module], found[0], strict=True)) if found else None


async def delete_record(session: AsyncSession, org_id: str, module: str, record_id: int) -> None:
    source = table(module)
    await session.execute(delete(source).where(source.c.org_id == org_id, source.c.id == record_id))
    await crm_engine(session).count_one_fewer(session, org_id, module)
    await session.execute(
        delete(LineItem).where(
            LineItem.org_id == org_id, LineItem.module == module, LineItem.record_id == record_id
        )
    )


async def count_records(source: Source, org_id: str, module: str) -> int:
    """The organization's record count for the module, from its counter: no table scan."""
    kept = select(crm_engine(source).kept_total)
    found = await fetch_all(source, kept, kept_total_params(org_id, module))
    return int(found[0][0] or 0) if found else 0


async def existing_ids(
    session: AsyncSession, org_id: str, module: str, ids: Iterable[int]
) -> set[int]:
    wanted = set(ids)
    if not wanted:
        return set()
    source = table(module)
    query = select(source.c.id).where(source.c.org_id == org_id, source.c.id.in_(wanted))
    return set((await session.execute(query)).scalars().all())


class LineRow(NamedTuple):
    """A stored line item's values, as records show them."""

    record_id: int
    product_id: int | None
    description: str | None
    quantity: Decimal
    list_price: Decimal
    discount: Decimal
    tax_rate: Decimal
    amount: Decimal
    tax: Decimal
    total: Decimal


_LINE_COLUMNS = tuple(getattr(LineItem, name) for name in LineRow._fields)


async def lines_of(
    source: Source, org_id: str, module: str, record_ids: Iterable[int]
) -> dict[int, list[LineRow]]:
    ids = list(record_ids)
    found: dict[int, list[LineRow]] = {record_id: [] for record_id in ids}
    if not ids:
        return found
    query = (
        select(*_LINE_COLUMNS)
        .where(LineItem.org_id == org_id, LineItem.module == module, LineItem.record_id.in_(ids))
        .order_by(LineItem.record_id, LineItem.position)
    )
    for values in await fetch_all(source, query):
        line = LineRow(*values)
        found[line.record_id].append(line)
    return found


async def replace_lines(
    session: AsyncSession, org_id: str, module: str, record_id: int, lines: Sequence[LineItem]
) -> None:
    await session.execute(
        delete(LineItem).where(
            LineItem.org_id == org_id, LineItem.module == module, LineItem.record_id == record_id
        )
    )
    session.add_all(lines)
    await session.flush()


@dataclass(frozen=True, slots=True)
class Referrer:
    module: str
    field: str
    record_id: int


@dataclass(frozen=True, slots=True)
class LookupPath:
    """A lookup field of some module that may point at records of another."""

    module: str
    key: str
    custom: bool


def standard_lookups_to(module: str) -> list[LookupPath]:
    return [
        LookupPath(other.name, spec.key, False)
        for other in MODULES.values()
        for spec in other.fields
        if spec.kind.refers and spec.target == module
    ]


async def custom_lookups_to(session: AsyncSession, org_id: str, module: str) -> list[LookupPath]:
    query = select(CustomField.module, CustomField.key).where(
        CustomField.org_id == org_id,
        CustomField.type.in_(_REFERRING),
        CustomField.target == module,
    )
    return [LookupPath(m, key, True) for m, key in (await session.execute(query)).all()]


async def referrers(
    session: AsyncSession, org_id: str, module: str, record_id: int, paths: Sequence[LookupPath]
) -> list[Referrer]:
    """Other records whose lookups (or line items) point at this one, up to a listing limit."""
    found: list[Referrer] = []
    for path in paths:
        source = table(path.module)
        column = source.c.custom[path.key].as_numeric(19, 0) if path.custom else source.c[path.key]
        query = (
            select(source.c.id)
            .where(source.c.org_id == org_id, column == record_id)
            .order_by(source.c.id)
            .limit(MAX_REFERRERS_LISTED - len(found) + 1)
        )
        for referrer_id in (await session.execute(query)).scalars().all():
            if path.module == module and referrer_id == record_id:
                continue  # a record pointing at itself does not keep itself alive
            found.append(Referrer(path.module, path.key, referrer_id))
        if len(found) >= MAX_REFERRERS_LISTED:
            return found[:MAX_REFERRERS_LISTED]
    if module == "products":
        query = (
            select(LineItem.module, LineItem.record_id)
            .where(LineItem.org_id == org_id, LineItem.product_id == record_id)
            .distinct()
            .limit(MAX_REFERRERS_LISTED - len(found))
        )
        for line_module, line_record in (await session.execute(query)).all():
            found.append(Referrer(line_module, "items.product_id", line_record))
    return found
