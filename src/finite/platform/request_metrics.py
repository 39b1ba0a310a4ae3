"""Every HTTP request is counted and timed, by route template (never the raw path: no ids in
labels), method and status; and its request id is set for the log lines written meanwhile.

It wraps the app's whole ASGI handler, so unknown paths (404 before any route) count too, under
one label. It costs a few microseconds a request: the labelled children are kept in dicts here
(prometheus-client's `labels()` takes a lock and builds a key each time).
"""

from __future__ import annotations

from time import perf_counter
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from finite.core.metrics import metrics
from finite.kit.request_id import current_request_id, request_id_of

UNMATCHED = "(unmatched)"  # no route: a 404 before routing, or a refused method
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RequestMetrics:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._counters: dict[tuple[str, str, int], Any] = {}
        self._latencies: dict[tuple[str, str], Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        token = current_request_id.set(request_id_of(scope))
        started = perf_counter()
        status = 500  # when the app fails before answering

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            self._record(scope, status, perf_counter() - started)
            current_request_id.reset(token)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        route = scope.get("path_template") or UNMATCHED
        method = scope.get("method", "")
        if method not in METHODS:
            method = "OTHER"  # the method is the client's text: keep the labels bounded
        counter = self._counters.get((route, method, status))
        if counter is None:
            counter = metrics().http_requests.labels(route, method, str(status))
            self._counters[(route, method, status)] = counter
        counter.inc()
        latency = self._latencies.get((route, method))
        if latency is None:
            latency = metrics().http_latency.labels(route, method)
            self._latencies[(route, method)] = latency
        latency.observe(seconds)
