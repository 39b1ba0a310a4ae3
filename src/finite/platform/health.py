"""Liveness and readiness probes."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from litestar import Response, get

from finite.platform.http import AnyRequest
from finite.platform.state import platform_of

logger = logging.getLogger("finite.health")
_CHECK_TIMEOUT_SECONDS = 2.0


@get("/healthz", sync_to_thread=False)
def healthz() -> dict[str, str]:
    """The process is up and answering."""
    return {"status": "ok"}


@get("/readyz")
async def readyz(request: AnyRequest) -> Response[dict[str, Any]]:
    """Ready to serve: the database answers, and Redis too when it is configured."""
    platform = platform_of(request)
    checks: dict[str, str] = {"database": await _check(platform.db.ping())}
    if platform.redis is not None:
        checks["redis"] = await _check(platform.redis.ping())
    ready = all(value == "ok" for value in checks.values())
    body = {"status": "ok" if ready else "unavailable", "checks": checks}
    return Response(body, status_code=200 if ready else 503)


async def _check(probe: Any) -> str:
    try:
        await asyncio.wait_for(probe, _CHECK_TIMEOUT_SECONDS)
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        logger.warning("readiness check failed: %s", type(exc).__name__)
        return "unavailable"
    return "ok"
