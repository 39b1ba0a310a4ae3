"""Serve an app on the test's own event loop, so asyncio.gather really overlaps requests.

Litestar's test client runs the app in a thread of its own and serves one request at a time. Use
this inside the test body (not in a fixture: the lifespan must end in the task that started it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

import httpx
from litestar import Litestar


def asgi(app: Litestar) -> Any:
    """The app as httpx's ASGITransport takes it (Litestar types its ASGI events more narrowly)."""
    return cast(Any, app)


@asynccontextmanager
async def concurrent_client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=asgi(app))
    async with (
        app.lifespan(),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
    ):
        yield client
