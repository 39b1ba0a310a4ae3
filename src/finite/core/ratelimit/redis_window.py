"""The shared moving window on Redis: one Lua script admits or refuses and reports the window.

`limits` needs two round trips for that (acquire, then read the window); a single script keeps the
check atomic and at one round trip, which the per-request budget needs. The script uses the Redis
server's clock, so processes with skewed clocks still agree.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster

# KEYS[1]: a sorted set of request times (microseconds); ARGV: limit, window (µs), unique member
# suffix. Returns {admitted 0/1, requests in window after this one, oldest time in window (µs)}.
_SCRIPT = """
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
local admitted = 0
if count < limit then
  redis.call('ZADD', key, now, now .. ':' .. ARGV[3])
  count = count + 1
  admitted = 1
end
redis.call('PEXPIRE', key, math.ceil(window / 1000) + 1000)
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
local oldest_time = now
if oldest[2] then oldest_time = tonumber(oldest[2]) end
return {admitted, count, oldest_time, now}
"""


# KEYS[1] as above; ARGV: window (µs), unique member suffix, then the ages (µs) of hits counted
# elsewhere (a process's memory during an outage), added at their times on the server's clock.
_ADD_SCRIPT = """
local key = KEYS[1]
local window = tonumber(ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
for i = 3, #ARGV do
  local at = now - tonumber(ARGV[i])
  redis.call('ZADD', key, at, at .. ':' .. ARGV[2] .. ':' .. i)
end
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
redis.call('PEXPIRE', key, math.ceil(window / 1000) + 1000)
return redis.call('ZCARD', key)
"""


# KEYS[1] as above; ARGV: window (µs). Returns {requests in window, oldest time (µs), now (µs)}
# without adding one: what a usage page reads.
_COUNT_SCRIPT = """
local key = KEYS[1]
local window = tonumber(ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local edge = now - window + 1  -- whole microseconds: hit's window excludes now - window
local count = redis.call('ZCOUNT', key, edge, '+inf')
local oldest = redis.call('ZRANGEBYSCORE', key, edge, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
local oldest_time = now
if oldest[2] then oldest_time = tonumber(oldest[2]) end
return {count, oldest_time, now}
"""


# Scripts in flight at once while an outage's hits are added (a pool connection each).
_ADD_CONCURRENCY = 32


def _microseconds(ages: list[float]) -> list[int]:
    return [int(age * 1_000_000) for age in ages]


@dataclass(frozen=True, slots=True)
class WindowState:
    admitted: bool
    count: int
    oldest_us: int
    now_us: int


class RedisMovingWindow:
    def __init__(self, client: Redis | RedisCluster) -> None:
        self._client = client
        self._script = client.register_script(_SCRIPT)
        self._add_script = client.register_script(_ADD_SCRIPT)
        self._count_script = client.register_script(_COUNT_SCRIPT)

    async def hit(self, key: str, limit: int, window_seconds: int) -> WindowState:
        admitted, count, oldest, now = await self._script(
            keys=[key], args=[limit, window_seconds * 1_000_000, secrets.token_hex(4)]
        )
        return WindowState(bool(admitted), int(count), int(oldest), int(now))

    async def count(self, key: str, window_seconds: int) -> WindowState:
        """The window's requests now, adding none."""
        count, oldest, now = await self._count_script(keys=[key], args=[window_seconds * 1_000_000])
        return WindowState(True, int(count), int(oldest), int(now))

    async def add(self, hits: dict[str, list[float]], window_seconds: int) -> None:
        """Add hits counted elsewhere (key → ages in seconds) to the shared windows."""
        window_us = window_seconds * 1_000_000
        calls = list(hits.items())
        # Concurrent script calls, not a pipeline: a Redis Cluster's pipeline cannot load a
        # script on a node that has not seen it, and the keys span many nodes' slots.
        for start in range(0, len(calls), _ADD_CONCURRENCY):
            await asyncio.gather(
                *(
                    self._add_script(
                        keys=[key],
                        args=[window_us, secrets.token_hex(4), *_microseconds(ages)],
                    )
                    for key, ages in calls[start : start + _ADD_CONCURRENCY]
                )
            )
