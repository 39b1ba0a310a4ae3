"""`finite worker --metrics-port`: the worker's own /metrics (its deliveries by outcome, in
flight, its pools, and the webhook queues), guarded by FINITE_METRICS_TOKEN like the server's.

A small aiohttp server on the worker's event loop: the worker has no HTTP app of its own, and
aiohttp is already what it sends deliveries with.
"""

from __future__ import annotations

from aiohttp import web

from finite.core.metrics import exposition
from finite.core.webhooks.worker import DeliveryWorker
from finite.kit.db import Database
from finite.platform.metrics import MEDIA_TYPE, queue_families, token_accepted
from finite.platform.metrics_sampler import sample


async def start_metrics_server(
    db: Database, worker: DeliveryWorker, *, host: str, port: int, token: str | None
) -> web.AppRunner:
    async def answer(request: web.Request) -> web.Response:
        if not token_accepted(request.headers.get("Authorization"), token):
            return web.Response(
                status=401,
                text="a bearer token is required (FINITE_METRICS_TOKEN)\n",
                headers={"WWW-Authenticate": "Bearer"},
            )
        sample(db, None, worker)
        body = exposition(await queue_families(db))
        return web.Response(body=body, headers={"Content-Type": f"{MEDIA_TYPE}; charset=utf-8"})

    app = web.Application()
    app.router.add_get("/metrics", answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
