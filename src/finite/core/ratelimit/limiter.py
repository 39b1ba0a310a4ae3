"""Requests per minute per organization and product, on a moving window.

With Redis the window is shared by every process (one atomic script per check, see
redis_window.py). Without Redis each process counts in its own memory (memory_window.py).

If Redis stops answering, each process admits at most its share of the limit (`limit /
processes`, at least 1) counted in its own memory, so the server processes together stay within
the limit during the outage instead of each admitting all of it; plans listed as fail-closed are
refused instead (503). One warning marks the outage and one line its end, never one per request;
Redis is tried again after a short back-off, and used again as soon as it answers.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster

from finite.core.ratelimit.memory_window import MemoryMovingWindow
from finite.core.ratelimit.redis_window import RedisMovingWindow

logger = logging.getLogger("finite.ratelimit")

WINDOW_SECONDS = 60
REDIS_RETRY_AFTER_SECONDS = 2.0
REDIS_TIMEOUT_SECONDS = 0.5


# One Redis server, or a Redis Cluster (any node's address; the client learns the others).
RedisClient = Redis | RedisCluster


def redis_client(url: str, *, cluster: bool = False) -> RedisClient:
    """A client whose calls fail fast, so an unreachable Redis never stalls a request for long."""
    if cluster:
        return RedisCluster.from_url(
            url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
        )
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
    # Refused because Redis is down and the plan fails closed (503, not 429).
    unavailable: bool = False


@dataclass(frozen=True, slots=True)
class WindowUsage:
    """Requests counted in an organization's current window, read without counting one."""

    used: int
    decision: RateDecision  # as the next request's headers would start from (remaining, reset)
    shared: bool  # counted in Redis for every process; False: this process's memory alone


class RateLimiter:
    """Give it a Redis client (see `redis_client`) to share the window, or None to count locally.

    `processes` is how many server processes share the limit (their count across all machines);
    `fail_closed` names plans (`free`, or `crm:free` for one product) refused while Redis is down.
    """

    def __init__(
        self,
        redis: RedisClient | None,
        *,
        window_seconds: int = WINDOW_SECONDS,
        processes: int = 1,
        fail_closed: frozenset[str] = frozenset(),
    ) -> None:
        self.window_seconds = window_seconds
        self.processes = max(1, processes)
        self.fail_closed = fail_closed
        self._memory = MemoryMovingWindow()
        self._redis = RedisMovingWindow(redis) if redis is not None else None
        self._redis_paused_until = 0.0
        self._outage_since: float | None = None  # monotonic time of the first failure
        self._outage_failures = 0
        self._reconciling = False  # one request adds the outage's hits; the others wait in memory
        self.redis_failures = 0

    async def hit(self, org_id: str, product: str, per_minute: int, plan: str = "") -> RateDecision:
        """Count one request and say whether it is admitted."""
        if per_minute <= 0:
            window = self.window_seconds
            return RateDecision(False, 0, 0, window, math.ceil(time.time()) + window, window)
        if self._redis is None:
            return self._hit_memory(org_id, product, per_minute, per_minute)
        if time.monotonic() >= self._redis_paused_until and not self._reconciling:
            try:
                if self._outage_since is not None:
                    await self._redis_back(self._redis)  # fails while Redis is still down
                return await self._hit_redis(self._redis, org_id, product, per_minute)
            except Exception as exc:  # noqa: BLE001 - any storage failure is an outage
                self._redis_failed(exc)
        if plan and (plan in self.fail_closed or f"{product}:{plan}" in self.fail_closed):
            return self._unavailable(per_minute)
        share = max(1, per_minute // self.processes)
        return self._hit_memory(org_id, product, per_minute, share)

    async def usage(self, org_id: str, product: str, per_minute: int) -> WindowUsage:
        """The current window's count, from the same storage `hit` counts in (Redis when it
        answers; this process's memory otherwise)."""
        key = f"rl:{{{org_id}}}:{product}"
        if self._redis is not None and time.monotonic() >= self._redis_paused_until:
            try:
                state = await self._redis.count(key, self.window_seconds)
            except Exception as exc:  # noqa: BLE001 - any storage failure is an outage
                self._redis_failed(exc)
            else:
                reset = (state.oldest_us + self.window_seconds * 1_000_000 - state.now_us) / 1e6
                decision = self._decision(True, per_minute, per_minute - state.count, reset)
                return WindowUsage(state.count, decision, shared=True)
        local = self._memory.count(key, self.window_seconds)
        decision = self._decision(True, per_minute, per_minute - local.count, local.reset_seconds)
        return WindowUsage(local.count, decision, shared=False)

    async def _hit_redis(
        self, window: RedisMovingWindow, org_id: str, product: str, per_minute: int
    ) -> RateDecision:
        # The braces make org_id a hash tag: one org's keys stay on one Redis Cluster slot.
        key = f"rl:{{{org_id}}}:{product}"
        state = await window.hit(key, per_minute, self.window_seconds)
        reset_seconds = (state.oldest_us + self.window_seconds * 1_000_000 - state.now_us) / 1e6
        return self._decision(state.admitted, per_minute, per_minute - state.count, reset_seconds)

    def _hit_memory(self, org_id: str, product: str, per_minute: int, share: int) -> RateDecision:
        """Count against `share` (the whole limit without Redis); the headers show the limit.
        The key is Redis's, so an outage's hits can be added there when it is back."""
        state = self._memory.hit(f"rl:{{{org_id}}}:{product}", share, self.window_seconds)
        return self._decision(state.admitted, per_minute, share - state.count, state.reset_seconds)

    def _unavailable(self, per_minute: int) -> RateDecision:
        wait = max(1, math.ceil(self._redis_paused_until - time.monotonic()))
        return RateDecision(
            allowed=False,
            limit=per_minute,
            remaining=0,
            reset_after=wait,
            reset_at=math.ceil(time.time()) + wait,
            window=self.window_seconds,
            unavailable=True,
        )

    def _redis_failed(self, exc: Exception) -> None:
        self.redis_failures += 1
        now = time.monotonic()
        self._redis_paused_until = now + REDIS_RETRY_AFTER_SECONDS
        self._outage_failures += 1
        if self._outage_since is not None:
            return  # logged when the outage began
        self._outage_since = now
        logger.warning(
            "Redis rate-limit storage failed (%s: %s); counting in process memory, each of %d "
            "server process(es) admitting its share of every limit (fail-closed plans: %s), "
            "and trying Redis again every %.0f s",
            type(exc).__name__,
            exc,
            self.processes,
            ", ".join(sorted(self.fail_closed)) or "none",
            REDIS_RETRY_AFTER_SECONDS,
        )

    async def _redis_back(self, window: RedisMovingWindow) -> None:
        """Reconcile: the hits this process admitted during the outage join the shared windows,
        so the processes together stay within the limit for the rest of the minute."""
        assert self._outage_since is not None
        hits = self._memory.ages(self.window_seconds)
        self._reconciling = True
        try:
            await window.add(hits, self.window_seconds)
        finally:
            self._reconciling = False
        self._memory.clear()
        outage_seconds = time.monotonic() - self._outage_since
        self._outage_since = None
        failures, self._outage_failures = self._outage_failures, 0
        logger.info(
            "Redis rate-limit storage answers again after %.1f s (%d failed attempts); "
            "counting in Redis, %d requests admitted meanwhile added to its windows",
            outage_seconds,
            failures,
            sum(len(ages) for ages in hits.values()),
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
