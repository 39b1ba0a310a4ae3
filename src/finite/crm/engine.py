"""What the CRM does differently on each database engine: search, list pages, CSV export,
bulk loads, custom-field upkeep. One subclass per engine (crm/engines/sqlite.py, postgres.py),
one object each, registered when the CRM is imported (crm/__init__.py) and picked by
crm_engine from the kit's engine (kit/engines/) — per request, a lookup; the statements they
build are cached per query shape (crm/records/query/page_plans.py).

The implementations sit above the records, export and bulk code they drive, which reach them
only through this interface: so no part of the CRM imports one that imports it back."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import ColumnElement, Table
from sqlalchemy.ext.asyncio import AsyncSession

from finite.kit.db import Database, RawRead, engine_of
from finite.kit.fast_read import Source

if TYPE_CHECKING:
    from finite.crm.modules.fields import Field
    from finite.crm.modules.schema import RecordSchema
    from finite.crm.records.count_folder import CountFolder
    from finite.crm.records.query.grammar import ListQuery


class CrmEngine(ABC):
    name: ClassVar[str]  # the kit engine's (kit/engines/)

    # --- lists (crm/records/query/) -----------------------------------------------------------

    @abstractmethod
    def words_clause(
        self, module: str, table: Table, q: str, words: list[str]
    ) -> ColumnElement[Any]:
        """Rows of `table` matching every one of `words` (q's, at least one) in the module's
        searchable fields (crm/records/query/search.py)."""

    @abstractmethod
    def list_contains(
        self, table: Table, spec: Field, custom: bool, value: str
    ) -> ColumnElement[Any]:
        """A multi-picklist's values include `value`."""

    def fts_searchable(self, module: str, query: ListQuery) -> bool:
        """Whether the search is read from a full-text index's rows (SQLite's FTS5 tables)."""
        return False

    def stored_record_json(self, module: str) -> bool:
        """Whether list pages may select each record's stored JSON (records/postgres_json.py)."""
        return False

    # --- record ids and counts (crm/records/counters.py, pending_counts.py) --------------------

    # The module's kept record count as a column (a labelled expression), to read along with a
    # list page; its parameters: counters.kept_total_params.
    kept_total: ClassVar[Any]

    @abstractmethod
    async def take_record_ids(
        self, session: AsyncSession, org_id: str, module: str, count: int
    ) -> range:
        """`count` new record ids (ids count from 1 per organization and module), and `count`
        more records in the kept count when the session's transaction commits."""

    @abstractmethod
    async def count_one_fewer(self, session: AsyncSession, org_id: str, module: str) -> None:
        """One record fewer in the kept count when the session's transaction commits."""

    def count_folder(self, db: Database) -> CountFolder | None:
        """The background work the kept counts need in every server process, if any."""
        return None

    # --- export (crm/export/) ------------------------------------------------------------------

    @abstractmethod
    def export_csv(
        self, db: Database, schema: RecordSchema, org_id: str, query: ListQuery
    ) -> AsyncIterator[bytes]:
        """The module's records matching `query` as CSV: the header, then the rows."""

    # --- bulk loads (crm/bulk.py) --------------------------------------------------------------

    @abstractmethod
    async def load_rows(self, db: Database, table_name: str, rows: list[dict[str, Any]]) -> None:
        """Insert one batch of generated records (every column given), committed."""

    @abstractmethod
    async def after_load(self, db: Database, table_name: str) -> None:
        """After a bulk load: whatever the engine needs to plan well."""

    # --- custom fields (crm/fields/) -----------------------------------------------------------

    @abstractmethod
    def without_key(self, column: ColumnElement[Any], key: str) -> Any:
        """The JSON object in `column` without `key` (a deleted custom field's values)."""


_ENGINES: dict[str, CrmEngine] = {}


def register_crm_engine(engine: CrmEngine) -> CrmEngine:
    _ENGINES[engine.name] = engine
    return engine


def crm_engine(source: Source | Database) -> CrmEngine:
    """The CRM engine of a database, a session or a raw_read() connection."""
    if isinstance(source, Database | RawRead):
        return _ENGINES[source.backend.name]
    return _ENGINES[engine_of(source).name]
