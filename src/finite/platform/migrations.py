"""Run Alembic programmatically, so `finite migrate` works from an installed package."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from finite.kit.engines import engine_for_url


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", "finite:migrations")
    config.attributes["database_url"] = database_url
    return config


def migrate_to_head(database_url: str) -> None:
    """Bring the schema up to date. Call it outside a running event loop."""
    # One migration of a database at a time (kit/engines/: migration_turn).
    with engine_for_url(database_url).migration_turn(database_url):
        command.upgrade(alembic_config(database_url), "head")
