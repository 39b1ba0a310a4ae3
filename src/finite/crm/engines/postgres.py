"""The CRM on PostgreSQL: trigram and tsvector search, stored record JSON for list pages, CSV
written by COPY, bulk loads by COPY, ids taken beside the change's transaction and counts kept
as deltas (records/pending_counts.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import ColumnElement, Table, and_, cast, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from finite.crm.engine import CrmEngine
from finite.crm.export.records_csv import postgres_csv
from finite.crm.records import pending_counts
from finite.crm.records.count_folder import CountFolder
from finite.crm.records.postgres_json import postgres_record_json
from finite.crm.records.query.search import postgres_word
from finite.kit.engines.postgres import copy_rows

if TYPE_CHECKING:
    from finite.crm.modules.fields import Field
    from finite.crm.modules.schema import RecordSchema
    from finite.crm.records.query.grammar import ListQuery
    from finite.kit.db import Database


class PostgresCrm(CrmEngine):
    name: ClassVar[str] = "postgresql"

    def words_clause(
        self, module: str, table: Table, q: str, words: list[str]
    ) -> ColumnElement[Any]:
        return and_(*(postgres_word(table, word) for word in words))

    kept_total = pending_counts.KEPT_TOTAL

    async def take_record_ids(
        self, session: AsyncSession, org_id: str, module: str, count: int
    ) -> range:
        return await pending_counts.take_ids(session, org_id, module, count)

    async def count_one_fewer(self, session: AsyncSession, org_id: str, module: str) -> None:
        await pending_counts.count_one_fewer(session, org_id, module)

    def count_folder(self, db: Database) -> CountFolder:
        return CountFolder(db, pending_counts.fold_pending)

    def list_contains(
        self, table: Table, spec: Field, custom: bool, value: str
    ) -> ColumnElement[Any]:
        source = table.c.custom[spec.key] if custom else table.c[spec.key]
        return cast(source, JSONB).contains([value])

    def stored_record_json(self, module: str) -> bool:
        return postgres_record_json(module) is not None

    def export_csv(
        self, db: Database, schema: RecordSchema, org_id: str, query: ListQuery
    ) -> AsyncIterator[bytes]:
        return postgres_csv(self, db, schema, org_id, query)

    async def load_rows(self, db: Database, table_name: str, rows: list[dict[str, Any]]) -> None:
        async with db.engine.connect() as connection:
            await copy_rows(connection, table_name, list(rows[0]), rows)
            await connection.commit()

    async def after_load(self, db: Database, table_name: str) -> None:
        """Fresh statistics (or the planner guesses as if the table were empty) and the
        visibility map autovacuum would set soon after a load this size: without it every
        index-only scan (a filtered list's count) visits the table too, ~10x slower."""
        async with db.engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(text(f"VACUUM (ANALYZE) {table_name}"))

    def without_key(self, column: ColumnElement[Any], key: str) -> Any:
        return text(f"({column.name}::jsonb - :key)::json").bindparams(key=key)
