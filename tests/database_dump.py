"""Everything a test database holds, as bytes to search for a secret that must not be there."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import text

from finite.kit.db import Database

SQLITE_PREFIX = "sqlite+aiosqlite:///"


async def dump_database(db: Database, database_url: str) -> bytes:
    """Everything the database holds, as bytes to search."""
    if database_url.startswith(SQLITE_PREFIX):
        path = Path(database_url.removeprefix(SQLITE_PREFIX))
        # The raw files first: recent writes live in the WAL until a checkpoint.
        raw = b"".join(
            candidate.read_bytes()
            for candidate in (path, path.with_name(path.name + "-wal"))
            if candidate.exists()
        )
        assert path.with_name(path.name + "-wal").exists(), "the test database runs in WAL mode"
        connection = sqlite3.connect(path)
        try:
            dumped = "\n".join(connection.iterdump())
        finally:
            connection.close()
        return raw + b"\n" + dumped.encode()
    async with db.read() as session:
        tables = (
            await session.scalars(
                text(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' "
                    "ORDER BY table_name"
                )
            )
        ).all()
        assert "api_keys" in tables
        rows: list[str] = []
        for table in tables:
            quoted = '"' + table.replace('"', '""') + '"'
            rows.append(f"-- {table}")
            rows.extend((await session.scalars(text(f"SELECT t::text FROM {quoted} t"))).all())
    return "\n".join(rows).encode()
