"""CPU a request pays for being counted and timed (platform/request_metrics.py): the same empty
ASGI app called directly and through RequestMetrics, in process.

    python bench/request_metrics_cost.py [--rounds 200000] [--multiprocess]

`--multiprocess`: as `finite serve` runs (PROMETHEUS_MULTIPROC_DIR set: values in mmap files).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import tempfile
import time
from typing import Any


async def empty_app(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})


async def measure(app: Any, rounds: int) -> float:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        return None

    started = time.process_time()
    for number in range(rounds):
        scope = {
            "type": "http",
            "method": "GET",
            "path": f"/api/records/leads/{number}",
            "path_template": "/api/records/{module}/{record_id}",
            "headers": [],
            "state": {},
        }
        await app(scope, receive, send)
    return (time.process_time() - started) / rounds


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=200_000)
    parser.add_argument("--multiprocess", action="store_true")
    args = parser.parse_args()
    if args.multiprocess:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="finite-bench-")
    from finite.platform.request_metrics import RequestMetrics

    wrapped = RequestMetrics(empty_app)
    await measure(wrapped, 1000)  # children created, files mapped
    for _ in range(3):
        bare = await measure(empty_app, args.rounds)
        counted = await measure(wrapped, args.rounds)
        print(
            f"bare {bare * 1e6:.2f} µs, counted {counted * 1e6:.2f} µs: "
            f"+{(counted - bare) * 1e6:.2f} µs a request"
            f" ({'multiprocess' if args.multiprocess else 'in memory'})"
        )


if __name__ == "__main__":
    try:
        asyncio.run(main())
    finally:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR", "").startswith(tempfile.gettempdir()):
            shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
