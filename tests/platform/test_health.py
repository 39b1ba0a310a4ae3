"""Liveness and readiness, with and without Redis."""

from __future__ import annotations

import dataclasses

from litestar.testing import AsyncTestClient

from finite.app import create_app
from finite.config import Settings


async def test_healthz_and_readyz_without_redis(settings: Settings) -> None:
    async with AsyncTestClient(create_app(settings)) as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        ready = await client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json() == {"status": "ok", "checks": {"database": "ok"}}


async def test_readyz_checks_redis_when_configured(settings: Settings, redis_url: str) -> None:
    with_redis = dataclasses.replace(settings, redis_url=redis_url)
    async with AsyncTestClient(create_app(with_redis)) as client:
        ready = await client.get("/readyz")
        assert ready.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}


async def test_readyz_is_503_when_redis_is_down(settings: Settings) -> None:
    broken = dataclasses.replace(settings, redis_url="redis://127.0.0.1:1/0")
    async with AsyncTestClient(create_app(broken)) as client:
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"] == {"database": "ok", "redis": "unavailable"}


async def test_readyz_is_503_when_the_database_is_unreachable(settings: Settings) -> None:
    broken = dataclasses.replace(
        settings, database_url="postgresql+asyncpg://postgres@127.0.0.1:1/none"
    )
    async with AsyncTestClient(create_app(broken)) as client:
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["database"] == "unavailable"
