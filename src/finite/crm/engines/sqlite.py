"""The CRM on SQLite: FTS5 search, stored export lines read through one cursor, bulk loads
with the insert triggers set aside, ids and counts kept in the change's transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import ColumnElement, Table, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from finite.crm.engine import CrmEngine
from finite.crm.engines.sqlite_load import load_rows
from finite.crm.export.records_csv import stream_csv
from finite.crm.records import counters
from finite.crm.records.query.search import sqlite_clause, sqlite_fts_words

if TYPE_CHECKING:
    from finite.crm.modules.fields import Field
    from finite.crm.modules.schema import RecordSchema
    from finite.crm.records.query.grammar import ListQuery
    from finite.kit.db import Database


class SqliteCrm(CrmEngine):
    name: ClassVar[str] = "sqlite"

    def words_clause(
        self, module: str, table: Table, q: str, words: list[str]
    ) -> ColumnElement[Any]:
        return sqlite_clause(module, table, q)

    def list_contains(
        self, table: Table, spec: Field, custom: bool, value: str
    ) -> ColumnElement[Any]:
        source = table.c.custom[spec.key] if custom else table.c[spec.key]
        items = func.json_each(source).table_valued("value")
        return exists(select(1).select_from(items).where(items.c.value == value))

    kept_total = counters.KEPT_TOTAL

    async def take_record_ids(
        self, session: AsyncSession, org_id: str, module: str, count: int
    ) -> range:
        return await counters.take_ids(session, org_id, module, count)

    async def count_one_fewer(self, session: AsyncSession, org_id: str, module: str) -> None:
        await counters.count_one_fewer(session, org_id, module)

    def fts_searchable(self, module: str, query: ListQuery) -> bool:
        return bool(query.q and sqlite_fts_words(module, query.q)[0])

    def export_csv(
        self, db: Database, schema: RecordSchema, org_id: str, query: ListQuery
    ) -> AsyncIterator[bytes]:
        return stream_csv(self, db, schema, org_id, query)

    async def load_rows(self, db: Database, table_name: str, rows: list[dict[str, Any]]) -> None:
        await load_rows(db, table_name, rows)

    async def after_load(self, db: Database, table_name: str) -> None:
        """SQLite plans without statistics it would need refreshed."""

    def without_key(self, column: ColumnElement[Any], key: str) -> Any:
        return func.json_remove(column, "$." + key)
