"""One small HTTP connection pool per endpoint.

Endpoints never share a pool, so one slow endpoint's open connections cannot starve another
endpoint, and each pool stays small (httpcore scans every pooled connection on each request,
which makes one large pool slower than several small ones). Idle pools beyond `max_pools` are
closed, least recently used first.
"""

from __future__ import annotations

from collections import OrderedDict

import httpx

from finite.core.webhooks.sender import new_http_client


class EndpointClients:
    def __init__(
        self,
        *,
        allow_private: bool,
        connections_per_endpoint: int,
        max_pools: int = 256,
        shared: httpx.AsyncClient | None = None,
    ) -> None:
        self.allow_private = allow_private
        self.connections_per_endpoint = connections_per_endpoint
        self.max_pools = max_pools
        self.shared = shared  # tests pass one client (e.g. with a fake resolver) for everything
        self._pools: OrderedDict[str, httpx.AsyncClient] = OrderedDict()
        self._busy: dict[str, int] = {}
        self.is_closed = False

    def acquire(self, endpoint_id: str) -> httpx.AsyncClient:
        if self.shared is not None:
            return self.shared
        client = self._pools.get(endpoint_id)
        if client is None:
            client = new_http_client(
                allow_private=self.allow_private, max_connections=self.connections_per_endpoint
            )
            self._pools[endpoint_id] = client
        self._pools.move_to_end(endpoint_id)
        self._busy[endpoint_id] = self._busy.get(endpoint_id, 0) + 1
        return client

    async def release(self, endpoint_id: str) -> None:
        if self.shared is not None:
            return
        self._busy[endpoint_id] -= 1
        if not self._busy[endpoint_id]:
            del self._busy[endpoint_id]
        while len(self._pools) > self.max_pools:
            idle = next((key for key in self._pools if key not in self._busy), None)
            if idle is None:
                return
            await self._pools.pop(idle).aclose()

    async def aclose(self) -> None:
        self.is_closed = True
        pools = list(self._pools.values())
        self._pools.clear()
        if self.shared is not None:
            pools.append(self.shared)
        for client in pools:
            await client.aclose()
