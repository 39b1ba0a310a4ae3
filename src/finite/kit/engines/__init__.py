"""One class per database engine (base.py): which one serves a URL or a dialect."""

from __future__ import annotations

from sqlalchemy import make_url
from sqlalchemy.engine import Dialect

from finite.kit.engines.base import DatabaseEngine
from finite.kit.engines.postgres import PostgresEngine
from finite.kit.engines.sqlite import SqliteEngine

ENGINES: dict[str, type[DatabaseEngine]] = {
    engine.name: engine for engine in (SqliteEngine, PostgresEngine)
}
# For work that reaches its engine through a dialect (a session's statements, column types):
# these hold no state a Database needs of its own (SQLite's write turns are the Database's).
_BY_DIALECT: dict[str, DatabaseEngine] = {name: engine() for name, engine in ENGINES.items()}


def engine_for_url(url: str) -> DatabaseEngine:
    """A new engine object for `url`: Database's own, made once in its constructor."""
    return ENGINES[make_url(url).get_backend_name()]()


def engine_for(dialect: Dialect) -> DatabaseEngine:
    """The engine object of a SQLAlchemy dialect."""
    return _BY_DIALECT[dialect.name]
