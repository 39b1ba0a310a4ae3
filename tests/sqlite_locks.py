"""SQLite's write lock held by another connection, as another server process would hold it."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator

from finite.config import Settings


@contextlib.contextmanager
def write_lock_held_elsewhere(
    settings: Settings, *, timeout: float = 5.0
) -> Iterator[sqlite3.Connection]:
    """`timeout`: how long taking the lock may wait (0: fail at once if anyone holds it)."""
    path = settings.database_url.split("///", 1)[1]
    other = sqlite3.connect(path, timeout=timeout, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield other
    finally:
        if other.in_transaction:
            other.rollback()
        other.close()
