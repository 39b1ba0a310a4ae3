"""Requests per minute per organization and product, on a moving window.

With Redis the window is shared by every process (one atomic script per check, see
redis_window.py). Without Redis each process counts in its own memory (memory_window.py). If Redis
stops answering, requests are counted in process memory instead — a warning is logged and a counter
kept, never a 500 — and Redis is tried again after a short pause.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from redis.asyncio import Redis

from finite.core.ratelimit.memory_window import MemoryMovingWindow
from finite.core.ratelimit.redis_window import RedisMovingWindow

logger = logging.getLogger("finite.ratelimit")

WINDOW_SECONDS = 60
REDIS_RETRY_AFTER_SECONDS = 5.0
REDIS_TIMEOUT_SECONDS = 0.5


def redis_client(url: str) -> Redis:
    """A client whose calls fail fast, so an unreachable Redis never stalls a request for long."""
    return Redis.from_url(
        url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
    )


@dataclass(frozen=True, slots=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    reset_after: int  # whole seconds until a slot frees (Retry-After when refused)
    reset_at: int  # the same moment as Unix time
    window: int  # seconds


class RateLimiter:
    """Give it a Redis client (see `redis_client`) to share the window, or None to count locally."""

    def __init__(self, redis: Redis | None, *, window_seconds: int = WINDOW_SECONDS) -> None:
        self.window_seconds = window_seconds
        self._memory = MemoryMovingWindow()
        self._redis = RedisMovingWindow(redis) if redis is not None else None
        self._redis_paused_until = 0.0
        self.redis_failures = 0

    async def hit(self, org_id: str, product: str, per_minute: int) -> RateDecision:
        """Count one request and say whether it is admitted."""
        if per_minute <= 0:
            window = self.window_seconds
            return RateDecision(False, 0, 0, window, math.ceil(time.time()) + window, window)
        if self._redis is not None and time.monotonic() >= self._redis_paused_until:
            try:
                return await self._hit_redis(self._redis, org_id, product, per_minute)
            except Exception as exc:  # noqa: BLE001 - any storage failure falls back to memory
                self._redis_failed(exc)
        return self._hit_memory(org_id, product, per_minute)

    async def _hit_redis(
        self, window: RedisMovingWindow, org_id: str, product: str, per_minute: int
    ) -> RateDecision:
        # The braces make org_id a hash tag: one org's keys stay on one Redis Cluster slot.
        key = f"rl:{{{org_id}}}:{product}"
        state = await window.hit(key, per_minute, self.window_seconds)
        reset_seconds = (state.oldest_us + self.window_seconds * 1_000_000 - state.now_us) / 1e6
        return self._decision(state.admitted, per_minute, per_minute - state.count, reset_seconds)

    def _hit_memory(self, org_id: str, product: str, per_minute: int) -> RateDecision:
        state = self._memory.hit(f"{org_id}:{product}", per_minute, self.window_seconds)
        return self._decision(
            state.admitted, per_minute, per_minute - state.count, state.reset_seconds
        )

    def _redis_failed(self, exc: Exception) -> None:
        self.redis_failures += 1
        self._redis_paused_until = time.monotonic() + REDIS_RETRY_AFTER_SECONDS
        logger.warning(
            "Redis rate-limit storage failed (%s); counting in process memory for %.0f s "
            "(failures so far: %d)",
            type(exc).__name__,
            REDIS_RETRY_AFTER_SECONDS,
            self.redis_failures,
        )

    def _decision(
        self, admitted: bool, limit: int, remaining: int, reset_seconds: float
    ) -> RateDecision:
        reset_after = min(self.window_seconds, max(1, math.ceil(reset_seconds)))
        return RateDecision(
            allowed=admitted,
            limit=limit,
            remaining=max(0, remaining),
            reset_after=reset_after,
            reset_at=math.ceil(time.time()) + reset_after,
            window=self.window_seconds,
        )
