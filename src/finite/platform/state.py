"""The long-lived parts a running app shares: settings, database, peppers, Redis."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request
from redis.asyncio import Redis

from finite.config import Settings
from finite.core.ratelimit.limiter import RateLimiter, redis_client
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers


@dataclass(slots=True)
class Platform:
    settings: Settings
    db: Database
    peppers: Peppers
    redis: Redis | None
    limiter: RateLimiter

    @classmethod
    def build(cls, settings: Settings) -> Platform:
        redis = redis_client(settings.redis_url) if settings.redis_url else None
        return cls(
            settings=settings,
            db=Database(settings.database_url),
            peppers=Peppers.from_secrets(settings.secret_key, settings.old_secret_keys),
            redis=redis,
            limiter=RateLimiter(redis),
        )

    async def close(self) -> None:
        await self.db.dispose()
        if self.redis is not None:
            await self.redis.aclose()


def platform_of(request: Request[Any, Any, Any]) -> Platform:
    platform = request.app.state.platform
    assert isinstance(platform, Platform)
    return platform
