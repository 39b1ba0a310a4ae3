"""Run Alembic programmatically, so `finite migrate` works from an installed package."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import make_url


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", "finite:migrations")
    config.attributes["database_url"] = database_url
    return config


def migrate_to_head(database_url: str) -> None:
    """Bring the schema up to date. Call it outside a running event loop."""
    with _one_at_a_time(database_url):
        command.upgrade(alembic_config(database_url), "head")


@contextmanager
def _one_at_a_time(database_url: str) -> Iterator[None]:
    """On SQLite, migrations of one file take turns through a lock file beside it. Without it,
    `finite serve` and `finite worker` started together after an upgrade both migrated: the
    second waited 5 s for SQLite's write lock, then failed, while the first rewrote the export
    lines (48 s a million leads). PostgreSQL's migrations take an advisory lock instead
    (migrations/env.py)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        yield
        return
    lock_path = Path(f"{url.database}.migrate-lock")
    with lock_path.open("a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)  # waits for another process's migration
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)
