"""What differs between the database engines Finite runs on, below the products.

One subclass per engine (sqlite.py, postgres.py); `Database` builds its own from the URL once,
in its constructor (kit/db.py). Sessions and column types reach theirs through
`engine_for(dialect)` (kit/engines/__init__.py): one lookup; column types' result processors
ask once per dialect (SQLAlchemy caches them).
Products keep their own engine classes (crm/engines/), picked by `name`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AbstractContextManager, nullcontext
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar, TypeAlias

import msgspec
from sqlalchemy import Engine, Select, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.types import TypeEngine

_JSON_ENCODER = msgspec.json.Encoder(decimal_format="number")
JSON_DECODER = msgspec.json.Decoder(float_hook=Decimal)  # numbers come back digit for digit


def json_dumps(value: Any) -> str:
    """JSON columns keep decimals as numbers and dates as ISO strings."""
    return _JSON_ENCODER.encode(value).decode()


def bound_rows(
    table: Table, names: Sequence[str], rows: Sequence[Sequence[Any]], dialect: Dialect
) -> list[Sequence[Any]]:
    """`rows` (values of the columns `names`, in order) as the driver takes them, for SQL sent
    as text: through each column type's bind processor, where it has one."""
    processors = [table.c[name].type.bind_processor(dialect) for name in names]
    if not any(processors):
        return list(rows)
    return [
        [value if to is None else to(value) for to, value in zip(processors, row, strict=True)]
        for row in rows
    ]


# An INSERT that takes ON CONFLICT clauses (on_conflict_do_nothing / on_conflict_do_update).
Upsert: TypeAlias = postgresql.Insert | sqlite.Insert

JSON_OPTIONS: dict[str, Any] = {
    "json_serializer": json_dumps,
    "json_deserializer": JSON_DECODER.decode,
}


class DatabaseEngine(ABC):
    name: ClassVar[str]  # SQLAlchemy's dialect name
    # Writers queued in a process share one transaction, each in a savepoint (kit/write_groups.py):
    # for an engine with one writer at a time, where they would wait for each other anyway.
    groups_writes: ClassVar[bool] = False

    # --- connections (Database's constructor) ------------------------------------------------

    @abstractmethod
    def create_engine(self, url: str, *, echo: bool, pool_size: int) -> AsyncEngine:
        """The engine of every session."""

    @abstractmethod
    def generic_plans_engine(
        self, url: str, engine: AsyncEngine, *, echo: bool, pool_size: int
    ) -> AsyncEngine:
        """The engine of raw_read(generic_plans=True)."""

    def inline_read_engine(self, url: str, *, echo: bool) -> Engine | None:
        """A synchronous engine whose raw connections raw_read() reads on the event loop's
        thread; None: raw_read() draws from the async engine."""
        return None

    def side_engine(self, url: str, *, echo: bool, pool_size: int) -> AsyncEngine | None:
        """The engine of Database.side_statement(): a small pool whose statements each commit
        on their own, at once, for work a write transaction must not hold a lock on until it
        ends; None where write transactions take turns anyway (SQLite)."""
        return None

    @abstractmethod
    def autocommit_options(self) -> dict[str, Any]:
        """Execution options of read()'s sessions: statements outside any transaction."""

    @property
    def write_patience(self) -> float:
        """With `groups_writes`: how long a writer waits for its turn before going ahead alone."""
        return 0.0

    @abstractmethod
    def write_turn(self) -> AbstractAsyncContextManager[None]:
        """Held around a write transaction, before its session opens (Database.transaction)."""

    @abstractmethod
    def writing(self, session: AsyncSession, *, bulk: bool) -> AbstractAsyncContextManager[None]:
        """Around a write transaction's work and commit, before its first statement. `bulk`: a
        unit of work that writes many rows."""

    def migration_turn(self, url: str) -> AbstractContextManager[None]:
        """Held while migrations run (platform/migrations.py), so that two processes do not
        migrate one database at once."""
        return nullcontext()

    @abstractmethod
    def backup(self, url: str, target: Path) -> None:
        """Copy the whole database, while servers keep writing, into the file `target`
        (kit/backups.py); raises BackupError."""

    async def dedicated_connection(self, engine: AsyncEngine) -> Any:
        """A driver connection of its own, outside the pools, for LISTEN."""
        raise NotImplementedError(f"{self.name} has no notifications")

    # --- failures (kit/db_errors.py asks every engine about each cause of an error) -----------

    @classmethod
    def unavailable(cls, error: BaseException) -> bool:
        """Whether `error` (one exception, not its causes) says the database cannot serve now
        and will again: down, restarting, unreachable, out of connections. Not a lock or a
        conflict a retry of the statement clears."""
        return False

    @classmethod
    def refused(cls, error: BaseException) -> bool:
        """Whether `error` (one exception) is the database refusing what was sent: a
        constraint or a value it does not take, which sending it again would not change."""
        return False

    # --- statements ----------------------------------------------------------------------------

    @abstractmethod
    def upsert(self, table: Any) -> Upsert:
        """An INSERT into `table` (a Table or a mapped class) that takes ON CONFLICT."""

    @abstractmethod
    def locked(self, query: Select[Any]) -> Select[Any]:
        """`query`, locking its rows until the transaction ends where the engine locks rows
        (SQLite's write transaction holds the whole database already)."""

    @abstractmethod
    async def lock_names(self, session: AsyncSession, names: Sequence[str]) -> None:
        """Hold a lock on each of `names` until the transaction ends, so that writers deciding
        on the same name (an upsert looking up a key before creating) take turns."""

    @abstractmethod
    async def snapshot(self, session: AsyncSession) -> None:
        """Make the session's transaction read one snapshot for all its statements."""

    @abstractmethod
    async def insert_rows(
        self, session: AsyncSession, table: Table, columns: Sequence[str], rows: Sequence[Any]
    ) -> None:
        """Many rows (mappings with every one of `columns`) at once, within the session's
        transaction."""

    @abstractmethod
    async def update_rows(
        self,
        session: AsyncSession,
        table: Table,
        keys: Sequence[str],
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        *,
        unset: str | None = None,
    ) -> int:
        """Set `columns` of many rows at once, within the session's transaction: each of `rows`
        holds the values of `keys` (which find its row), then those of `columns`. With `unset`,
        only rows whose `unset` column is still NULL change. Returns how many rows changed."""

    # --- fast reads (kit/fast_read.py) ---------------------------------------------------------

    # Not coroutines themselves: each returns the driver's, one coroutine per statement.

    @abstractmethod
    def fetch(self, connection: Any, sql: str, values: Sequence[Any]) -> Awaitable[Sequence[Any]]:
        """Rows of `sql` on a session's driver connection."""

    def fetch_inline(
        self, connection: Any, sql: str, values: Sequence[Any]
    ) -> Awaitable[Sequence[Any]]:
        """Rows of `sql` on an inline_read_engine() connection."""
        raise NotImplementedError

    async def sent_types(self, connection: Any, sql: str, columns: int) -> list[int | None]:
        """The type the server sends each result column as, where result processors depend
        on it (kit/fast_read.py)."""
        return [None] * columns

    async def join_transaction(self, adapter: Any) -> None:  # noqa: B027 - most engines: nothing
        """Before a statement runs on a session's driver connection directly (kit/fast_read.py,
        kit/fast_write.py): make the session's transaction, if it has one, begin on the server
        now. `adapter`: SQLAlchemy's DB-API adapter around the driver's connection. Nothing
        to do where SQLAlchemy's BEGIN already ran when the session took its connection
        (SQLite: the begin event)."""

    # --- column types (kit/scaled_decimal.py, kit/db_types.py) ---------------------------------

    @classmethod
    @abstractmethod
    def decimal_storage(cls, precision: int, scale: int) -> TypeEngine[Any]:
        """The column type exact decimals are stored in."""

    @classmethod
    @abstractmethod
    def decimal_to_stored(cls, amount: Decimal, factor: Decimal) -> Any:
        """A decimal quantized to its column's scale (`factor`: 10 ** scale) → its stored form."""

    @classmethod
    @abstractmethod
    def decimal_reader(cls, factor: Decimal, quantum: Decimal) -> Callable[[Any], Decimal]:
        """Stored decimals (never None) → Decimals of the column's scale."""

    @classmethod
    def decimals_arrive_exact(cls, dialect: Dialect, coltype: object) -> bool:
        """Whether the driver gives stored decimals of this result type as Decimals of the
        column's scale already (no result processor needed)."""
        return False

    @classmethod
    @abstractmethod
    def utc_to_stored(cls, value: datetime) -> datetime:
        """An aware UTC datetime → its stored form."""

    @classmethod
    def driver_decodes_utc(cls, dialect: Dialect) -> bool:
        """Whether the driver gives timestamps with time zone as aware UTC datetimes."""
        return False
