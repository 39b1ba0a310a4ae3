"""One small HTTP connection pool per endpoint.

Endpoints never share a pool, so one slow endpoint's open connections cannot starve another.
Idle pools beyond `max_pools` are closed, least recently used first.
"""

from __future__ import annotations

from collections import OrderedDict

import aiohttp

from finite.core.webhooks.sender import TargetRules, new_session


class EndpointClients:
    def __init__(
        self, rules: TargetRules, *, connections_per_endpoint: int, max_pools: int = 256
    ) -> None:
        self.rules = rules
        self.connections_per_endpoint = connections_per_endpoint
        self.max_pools = max_pools
        self._pools: OrderedDict[str, aiohttp.ClientSession] = OrderedDict()
        self._busy: dict[str, int] = {}

    def acquire(self, endpoint_id: str) -> aiohttp.ClientSession:
        session = self._pools.get(endpoint_id)
        if session is None:
            session = new_session(self.rules, self.connections_per_endpoint)
            self._pools[endpoint_id] = session
        self._pools.move_to_end(endpoint_id)
        self._busy[endpoint_id] = self._busy.get(endpoint_id, 0) + 1
        return session

    async def release(self, endpoint_id: str) -> None:
        self._busy[endpoint_id] -= 1
        if not self._busy[endpoint_id]:
            del self._busy[endpoint_id]
        while len(self._pools) > self.max_pools:
            idle = next((key for key in self._pools if key not in self._busy), None)
            if idle is None:
                return
            await self._pools.pop(idle).close()

    async def aclose(self) -> None:
        sessions = list(self._pools.values())
        self._pools.clear()
        for session in sessions:
            await session.close()
