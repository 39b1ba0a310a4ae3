"""Cost of the per-request rate-limit check, with Redis (shared) and in process memory.

    .venv/bin/python bench/rate_limit_check.py [--redis redis://127.0.0.1:6379/15] [--n 20000]

Each check is one call of RateLimiter.hit for one of 1,000 organizations on a 480/minute plan, as
the request path does it. Prints p50/p95/p99 in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from finite.core.ratelimit.limiter import RateLimiter, redis_client
from finite.kit.ids import new_id


async def measure(limiter: RateLimiter, n: int, orgs: list[str]) -> list[float]:
    timings = []
    for i in range(n):
        org_id = orgs[i % len(orgs)]
        started = time.perf_counter()
        await limiter.hit(org_id, "crm", 480)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def report(label: str, timings: list[float]) -> None:
    ordered = sorted(timings)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))]

    print(
        f"{label:8} n={len(ordered)}  p50={pct(0.50):.3f} ms  p95={pct(0.95):.3f} ms  "
        f"p99={pct(0.99):.3f} ms  mean={statistics.fmean(ordered):.3f} ms"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/15")
    parser.add_argument("--n", type=int, default=20000)
    args = parser.parse_args()
    orgs = [new_id("org") for _ in range(1000)]
    for label, url in (("redis", args.redis), ("memory", None)):
        client = redis_client(url) if url else None
        limiter = RateLimiter(client)
        try:
            await measure(limiter, 1000, orgs)  # warm up: connections, script load
            report(label, await measure(limiter, args.n, orgs))
            if url and limiter.redis_failures:
                print(f"  warning: {limiter.redis_failures} Redis failures (fell back to memory)")
        finally:
            if client is not None:
                await client.aclose()


if __name__ == "__main__":
    asyncio.run(main())
