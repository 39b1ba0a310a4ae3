"""Serve an app on the test's own event loop, so asyncio.gather really overlaps requests.

Litestar's test client runs the app in a thread of its own and serves one request at a time. Use
this inside the test body (not in a fixture: the lifespan must end in the task that started it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from litestar import Litestar


@asynccontextmanager
async def concurrent_client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with (
        app.lifespan(),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
    ):
        yield client
