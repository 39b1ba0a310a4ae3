"""Full-text `q` search over a module's searchable fields.

PLACEHOLDER until the search indexes land: a case-insensitive substring match on each searchable
field, every word of `q` required. The indexed version keeps this signature.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, and_, false, or_
from sqlalchemy.sql.elements import ColumnElement

from finite.crm.modules.definitions import MODULES

MAX_QUERY_LENGTH = 200


def search_words(q: str) -> list[str]:
    return [word for word in q.split() if word][:10]


def search_clause(dialect: str, module: str, table: Table, q: str) -> ColumnElement[Any]:
    """Rows of `table` (already filtered by org elsewhere) matching every word of `q`."""
    fields = MODULES[module].searchable
    words = search_words(q)
    if not fields or not words:
        return false()
    return and_(
        *(
            or_(*(table.c[field].ilike(f"%{_escape(word)}%", escape="\\") for field in fields))
            for word in words
        )
    )


def _escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
