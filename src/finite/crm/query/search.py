"""Full-text `q` search over a module's searchable fields, served by the indexes of migration 0004.

Every whitespace-separated word of `q` must match (at most `MAX_WORDS` words are used).

PostgreSQL: each table has a stored generated column `search`, the `simple` tsvector of its
searchable fields, under a GIN index on (org_id, search) (btree_gin puts org_id first), and a
pg_trgm GIN index on (org_id, <name, company and email fields>). A word matches a record when
one of its words starts with it (a prefix tsquery, parsed by PostgreSQL exactly as the stored text
was) or, for words of 3 or more characters, when it occurs anywhere in the name, company or email
fields (a trigram-indexed ILIKE, so "acmepumps" finds "asha@acmepumps.in").

SQLite: an external-content FTS5 table `crm_<module>_fts` with the trigram tokenizer, kept in step
with the module table by triggers, indexes every searchable field. Words of 3 or more characters
must occur in a searchable field (case-insensitive substring); shorter words, which trigrams
cannot index, fall back to LIKE on the searchable fields.

Words match literally: quotes, wildcards and query-syntax characters are escaped, never obeyed.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import String, Table, and_, bindparam, false, func, literal_column, or_, select
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.sql.elements import ColumnElement

from finite.crm.modules.definitions import MODULES
from finite.crm.modules.fields import FieldType, Module

MAX_QUERY_LENGTH = 200
MAX_WORDS = 10
TRIGRAM_MIN = 3  # trigram indexes cannot serve shorter substrings

SEARCH_COLUMN = "search"  # PostgreSQL: the generated tsvector column of every module table
TS_CONFIG = "simple"  # no stemming or stop words: names, emails and numbers stay as typed
_TRIGRAM_KEYS = frozenset({"company", "to_address"})  # besides the title field and emails

# Names of the objects migration 0004 manages outside the SQLAlchemy models.
_SEARCH_INDEX = re.compile(r"^ix_crm_\w+_(search|trgm)$")
_FTS_TABLE = re.compile(r"^crm_\w+_fts(_(data|idx|docsize|config|content))?$")


def search_words(q: str) -> list[str]:
    return [word for word in q.split() if word][:MAX_WORDS]


def trigram_fields(module: Module) -> tuple[str, ...]:
    """The name-, company- and email-like searchable fields: the module's title (its one
    required field), `company`, email fields and address lists. PostgreSQL indexes their
    concatenation with pg_trgm for substring matches."""
    return tuple(
        f.key
        for f in module.fields
        if f.searchable and (f.required or f.type == FieldType.EMAIL or f.key in _TRIGRAM_KEYS)
    )


def fts_table(module: str) -> str:
    return f"crm_{module}_fts"


def include_name(name: str | None, type_: str, parent_names: dict[str, str | None]) -> bool:
    """Alembic autogenerate filter: leave alone the search objects migration 0004 manages
    (the `search` column, its GIN and trigram indexes, the FTS5 tables and their shadow tables)."""
    if name is None:
        return True
    if type_ == "column":
        table = parent_names.get("table_name") or ""
        return not (name == SEARCH_COLUMN and table.startswith("crm_"))
    if type_ == "index":
        return not _SEARCH_INDEX.match(name)
    if type_ == "table":
        return not _FTS_TABLE.match(name)
    return True


def search_clause(dialect: str, module: str, table: Table, q: str) -> ColumnElement[Any]:
    """Rows of `table` (already filtered by org elsewhere) matching every word of `q`."""
    spec = MODULES[module]
    words = search_words(q[:MAX_QUERY_LENGTH])
    if not spec.searchable or not words:
        return false()
    if dialect == "postgresql":
        return and_(*(_postgres_word(spec, table, word) for word in words))
    if dialect == "sqlite":
        return _sqlite_clause(spec, table, words)
    return and_(*(_like_any(table, spec.searchable, word) for word in words))


# --- PostgreSQL --------------------------------------------------------------------------------


def _postgres_word(spec: Module, table: Table, word: str) -> ColumnElement[Any]:
    search = literal_column(f"{table.name}.{SEARCH_COLUMN}", TSVECTOR)
    alternatives: list[ColumnElement[Any]] = []
    if any(char.isalnum() for char in word):  # otherwise it holds no lexeme
        query = func.to_tsquery(
            literal_column(f"'{TS_CONFIG}'::regconfig"),
            bindparam(None, _prefix_tsquery(word), String),
        )
        alternatives.append(search.op("@@")(query))
    fields = trigram_fields(spec)
    if fields and len(word) >= TRIGRAM_MIN:
        pattern = f"%{_escape_like(word)}%"
        alternatives.append(trigram_text(table, fields).ilike(pattern, escape="\\"))
    return or_(*alternatives) if alternatives else false()


def _prefix_tsquery(word: str) -> str:
    """`word` as one quoted tsquery operand with a prefix match on its (last) lexeme.

    PostgreSQL parses the quoted text with the same parser as the stored tsvector: "O'Brien"
    becomes 'o' <-> 'brien':*, "TCK-001" 'tck' <-> '-001':*; operators inside quotes are text.
    """
    quoted = word.replace("\\", "\\\\").replace("'", "''")
    return f"'{quoted}':*"


def trigram_text(table: Table, fields: tuple[str, ...]) -> ColumnElement[Any]:
    """The expression the trigram index covers: the field itself, or the fields joined by a
    space (a word never contains one, so it cannot match across two fields). Constants are
    inlined so the expression is the index's, whatever the plan."""
    if len(fields) == 1:
        return table.c[fields[0]]
    joined: ColumnElement[Any] = func.coalesce(table.c[fields[0]], literal_column("''"))
    for field in fields[1:]:
        joined = joined.op("||")(literal_column("' '")).op("||")(
            func.coalesce(table.c[field], literal_column("''"))
        )
    return joined


# --- SQLite ------------------------------------------------------------------------------------


def _sqlite_clause(spec: Module, table: Table, words: list[str]) -> ColumnElement[Any]:
    indexed = [word for word in words if len(word) >= TRIGRAM_MIN]
    short = [word for word in words if len(word) < TRIGRAM_MIN]
    conditions = [_like_any(table, spec.searchable, word) for word in short]
    if indexed:
        fts = fts_table(spec.name)
        expression = " AND ".join('"' + word.replace('"', '""') + '"' for word in indexed)
        matching = select(literal_column(f"{fts}.rowid")).where(
            literal_column(fts).op("MATCH")(bindparam(None, expression, String))
        )
        conditions.insert(0, literal_column(f"{table.name}.rowid").in_(matching.scalar_subquery()))
    return and_(*conditions)


def _like_any(table: Table, fields: tuple[str, ...], word: str) -> ColumnElement[Any]:
    pattern = f"%{_escape_like(word)}%"
    return or_(*(table.c[field].ilike(pattern, escape="\\") for field in fields))


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
