"""Full-text `q` search over a module's searchable fields, served by the indexes of migration 0004.

Every whitespace-separated word of `q` must match (the first `MAX_WORDS` words count), in any of
the module's searchable fields, ignoring case. Quotes, wildcards and query-syntax characters match
literally, never as syntax.

A word of 3 or more characters matches anywhere: "acmepumps" finds "asha@acmepumps.in".
- PostgreSQL: LIKE on the generated column `search_text` (the searchable fields joined by spaces,
  lower-cased), served by the pg_trgm GIN index on (org_id, search_text).
- SQLite: MATCH on the external-content FTS5 table `crm_<module>_fts` (trigram tokenizer, kept in
  step by triggers): `rowid IN (SELECT rowid FROM crm_<module>_fts WHERE ... MATCH '"w1" AND ...')`.
  Sorted by id, the list instead reads the FTS5 table in rowid order and joins the records to it,
  stopping at the page's end (see build.py).

A shorter word cannot be served by trigrams:
- PostgreSQL: it matches the start of a word of the text as PostgreSQL's parser splits it (an
  email or a URL host is one word), through a prefix tsquery on the generated tsvector column
  `search`, GIN-indexed on (org_id, search).
- SQLite: it matches anywhere (LIKE on the searchable fields of the org's rows).
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    String,
    Table,
    and_,
    bindparam,
    column,
    false,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy import table as table_clause
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.sql.selectable import FromClause, Join, Select, TableClause

from finite.crm.list_limits import MAX_QUERY_LENGTH
from finite.crm.modules.definitions import MODULES
from finite.crm.modules.tables import EXPORT_LINE_COLUMN, RECORD_JSON_COLUMN

if TYPE_CHECKING:
    from alembic.runtime.environment import NameFilterParentNames, NameFilterType

    from finite.crm.engine import CrmEngine

MAX_WORDS = 10
TRIGRAM_MIN = 3  # trigram indexes cannot serve shorter substrings

# PostgreSQL: generated columns of every module table, from its searchable fields joined by spaces.
SEARCH_COLUMN = "search"  # their `simple` tsvector
SEARCH_TEXT_COLUMN = "search_text"  # their lower-cased text
TS_CONFIG = "simple"  # no stemming or stop words: names, emails and numbers stay as typed

# Names of the objects migration 0004 manages outside the SQLAlchemy models.
_SEARCH_INDEX = re.compile(r"^ix_crm_\w+_(search|trgm)$")
_FTS_TABLE = re.compile(r"^crm_\w+_fts(_(data|idx|docsize|config|content))?$")


def search_words(q: str) -> list[str]:
    return [word for word in q.split() if word][:MAX_WORDS]


def query_words(q: str) -> list[str]:
    return search_words(q[:MAX_QUERY_LENGTH].replace("\x00", ""))  # no text holds NUL


def fts_table(module: str) -> str:
    return f"crm_{module}_fts"


def include_name(
    name: str | None, type_: NameFilterType, parent_names: NameFilterParentNames
) -> bool:
    """Alembic autogenerate filter: leave alone the search objects migration 0004 manages (the
    generated search columns and their indexes, the FTS5 tables and their shadow tables) and the
    texts kept by triggers (export lines, PostgreSQL's record JSON: crm/derived_text.py)."""
    if name is None:
        return True
    if type_ == "column":
        table = parent_names.get("table_name") or ""
        outside = (SEARCH_COLUMN, SEARCH_TEXT_COLUMN, EXPORT_LINE_COLUMN, RECORD_JSON_COLUMN)
        return not (name in outside and table.startswith("crm_"))
    if type_ == "index":
        return not _SEARCH_INDEX.match(name)
    if type_ == "table":
        return not _FTS_TABLE.match(name)
    return True


def search_clause(engine: CrmEngine, module: str, table: Table, q: str) -> ColumnElement[Any]:
    """Rows of `table` (already filtered by org elsewhere) matching every word of `q`, in the
    engine's way (crm/engines/: postgres_word, sqlite_clause)."""
    words = query_words(q)
    if not MODULES[module].searchable or not words:
        return false()
    return engine.words_clause(module, table, q, words)


# --- PostgreSQL --------------------------------------------------------------------------------


def postgres_word(table: Table, word: str) -> ColumnElement[Any]:
    # The terms are inlined as SQL literals (escaped by SQLAlchemy at execution) so PostgreSQL
    # plans each search with its real words. With parameters a prepared statement soon switches
    # to a generic plan that guesses every word equally common, and may then walk a whole
    # organization in id order looking for a rare one.
    if len(word) >= TRIGRAM_MIN or not any(char.isalnum() for char in word):
        text = literal_column(f"{table.name}.{SEARCH_TEXT_COLUMN}", String)
        pattern = func.lower(_inline(f"%{_escape_like(word)}%"))
        return text.like(pattern, escape="\\")
    search = literal_column(f"{table.name}.{SEARCH_COLUMN}", TSVECTOR)
    query = func.to_tsquery(
        literal_column(f"'{TS_CONFIG}'::regconfig"), _inline(_prefix_tsquery(word))
    )
    return search.op("@@", is_comparison=True)(query)


def _inline(value: str) -> BindParameter[str]:
    return bindparam(None, value, String, literal_execute=True)


def _prefix_tsquery(word: str) -> str:
    """`word` as one quoted tsquery operand, its last lexeme a prefix.

    PostgreSQL parses the quoted text with the parser that made the stored tsvector ("O'B" gives
    'o' <-> 'b':*); operators inside the quotes are only text.
    """
    quoted = word.replace("\\", "\\\\").replace("'", "''")
    return f"'{quoted}':*"


# --- SQLite ------------------------------------------------------------------------------------


def sqlite_clause(module: str, table: Table, q: str) -> ColumnElement[Any]:
    indexed, short = sqlite_fts_words(module, q)
    conditions = [like_any(table, module, word) for word in short]
    if indexed:
        index = fts_index(module)
        matching = select(index.c.rowid).where(fts_match(module, indexed))
        conditions.insert(0, literal_column(f"{table.name}.rowid").in_(matching.scalar_subquery()))
    return and_(*conditions)


@cache
def fts_index(module: str) -> TableClause:
    """One object per module: statements built in steps must name the same FROM."""
    return table_clause(fts_table(module), column("rowid"))


def fts_match(module: str, indexed_words: list[str]) -> ColumnElement[Any]:
    """`<fts table> MATCH '"w1" AND "w2"'`: each word a quoted string, so syntax is only text."""
    expression = " AND ".join('"' + word.replace('"', '""') + '"' for word in indexed_words)
    fts = fts_table(module)  # table-qualified: the hidden column shares the table's name
    return literal_column(f"{fts}.{fts}").op("MATCH", is_comparison=True)(
        bindparam(None, expression, String)
    )


def sqlite_match_probe(module: str, q: str, cap: int) -> Select[Any]:
    """How many records (of any organization, at most cap + 1) match q's FTS5-served words
    (q has at least one): one read of the index's doclists, ~1 ms."""
    indexed, _short = sqlite_fts_words(module, q)
    index = fts_index(module)
    matching = select(index.c.rowid).where(fts_match(module, indexed)).limit(cap + 1)
    return select(func.count()).select_from(matching.subquery())


class _CrossJoin(Join):
    inherit_cache = True


@compiles(_CrossJoin, "sqlite")
def _sqlite_cross_join(element: _CrossJoin, compiler: SQLCompiler, **kw: Any) -> str:
    # The left side is the FTS5 table itself, so the first JOIN keyword is this join's own.
    joined: str = compiler.visit_join(element, **kw)  # type: ignore[no-untyped-call]
    return joined.replace(" JOIN ", " CROSS JOIN ", 1)


def cross_join(left: TableClause, right: FromClause, on: ColumnElement[Any]) -> Join:
    """An inner join whose left side SQLite always reads as the outer loop (CROSS JOIN)."""
    return _CrossJoin(left, right, on)


def sqlite_fts_words(module: str, q: str) -> tuple[list[str], list[str]]:
    """q's words the FTS5 trigram index serves, and the shorter ones it cannot."""
    words = query_words(q)
    if not MODULES[module].searchable:
        return [], []
    return (
        [word for word in words if len(word) >= TRIGRAM_MIN],
        [word for word in words if len(word) < TRIGRAM_MIN],
    )


def like_any(table: Table, module: str, word: str) -> ColumnElement[Any]:
    return _like_any(table, MODULES[module].searchable, word)


def _like_any(table: Table, fields: tuple[str, ...], word: str) -> ColumnElement[Any]:
    pattern = f"%{_escape_like(word)}%"
    return or_(*(table.c[field].ilike(pattern, escape="\\") for field in fields))


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
