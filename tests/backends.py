"""Where the tests find PostgreSQL and Redis, and how they get a fresh database of their own."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg  # type: ignore[import-untyped]
import redis

POSTGRES_ADMIN_DSN = os.environ.get(
    "FINITE_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("FINITE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REQUIRE_POSTGRES = os.environ.get("FINITE_TEST_REQUIRE_POSTGRES") == "1"
REQUIRE_REDIS = os.environ.get("FINITE_TEST_REQUIRE_REDIS") == "1"


def postgres_reachable() -> bool:
    async def probe() -> None:
        conn = await asyncpg.connect(POSTGRES_ADMIN_DSN, timeout=3)
        await conn.close()

    try:
        asyncio.run(probe())
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    return True


def redis_reachable() -> bool:
    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
        client.ping()
        client.close()
    except redis.RedisError:
        return False
    return True


def create_postgres_database() -> str:
    """A new, empty database; returns its SQLAlchemy URL."""
    name = f"finite_test_{secrets.token_hex(6)}"

    async def create() -> None:
        conn = await asyncpg.connect(POSTGRES_ADMIN_DSN)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
            # A throwaway database: commits need not wait for the disk, which on a busy shared
            # machine once held one up for over a second.
            await conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
        finally:
            await conn.close()

    asyncio.run(create())
    base, _, _ = POSTGRES_ADMIN_DSN.rpartition("/")
    return base.replace("postgresql://", "postgresql+asyncpg://", 1) + f"/{name}"


def drop_postgres_database(url: str) -> None:
    name = url.rpartition("/")[2]

    async def drop() -> None:
        conn = await asyncpg.connect(POSTGRES_ADMIN_DSN)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    asyncio.run(drop())


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A new, empty database for the block, dropped after it."""
    url = create_postgres_database()
    try:
        yield url
    finally:
        drop_postgres_database(url)
