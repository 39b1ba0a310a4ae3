"""POST one delivery through the SSRF-pinning transport and describe what happened."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime

import httpx

from finite.core.webhooks.signing import signature_headers
from finite.kit.ssrf import PinnedTransport, UnsafeTarget

USER_AGENT = "Finite-Webhooks/1.0 (+https://github.com/finite)"
CONNECT_TIMEOUT = 5.0
TOTAL_TIMEOUT = 15.0
MAX_RESPONSE_BYTES = 2048


@dataclass(frozen=True, slots=True)
class Outgoing:
    org_id: str
    delivery_id: str
    endpoint_id: str
    url: str
    event: str
    payload: bytes
    secrets: tuple[str, ...]  # the current secret first, then one still in its overlap window


@dataclass(frozen=True, slots=True)
class Outcome:
    attempted_at: datetime
    latency_ms: int
    status_code: int | None
    error: str | None
    response_body: str | None
    retry_after: str | None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def gone(self) -> bool:
        return self.status_code == 410


def new_http_client(*, allow_private: bool, max_connections: int) -> httpx.AsyncClient:
    transport = PinnedTransport(
        allow_private=allow_private,
        limits=httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        ),
    )
    return httpx.AsyncClient(
        transport=transport,
        timeout=httpx.Timeout(TOTAL_TIMEOUT, connect=CONNECT_TIMEOUT),
        follow_redirects=False,
    )


def _headers(outgoing: Outgoing, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Finite-Event": outgoing.event,
        "X-Finite-Delivery": outgoing.delivery_id,
        **signature_headers(outgoing.secrets, outgoing.delivery_id, timestamp, outgoing.payload),
    }


async def send(client: httpx.AsyncClient, outgoing: Outgoing, attempted_at: datetime) -> Outcome:
    """Never raises for the receiver's faults: every way of failing becomes an Outcome."""
    started = time.perf_counter()
    status: int | None = None
    error: str | None = None
    body: str | None = None
    retry_after: str | None = None
    try:
        async with asyncio.timeout(TOTAL_TIMEOUT):
            request = client.build_request(
                "POST",
                outgoing.url,
                content=outgoing.payload,
                headers=_headers(outgoing, int(attempted_at.timestamp())),
            )
            response = await client.send(request, stream=True)
            try:
                status = response.status_code
                retry_after = response.headers.get("retry-after")
                body = await _read_start(response)
            finally:
                await response.aclose()
    except UnsafeTarget as refused:
        error = f"refused target: {refused.message}"
    except TimeoutError:
        error = f"timed out after {TOTAL_TIMEOUT:.0f} s"
    except httpx.TimeoutException as exc:
        error = f"timed out ({type(exc).__name__})"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    latency_ms = round((time.perf_counter() - started) * 1000)
    if status is not None and not 200 <= status < 300:
        error = _status_error(status)
    return Outcome(attempted_at, latency_ms, status, error, body, retry_after)


def _status_error(status: int) -> str:
    if 300 <= status < 400:
        return f"HTTP {status}: redirects are not followed"
    return f"HTTP {status}"


async def _read_start(response: httpx.Response) -> str:
    """The first 2 KB of the answer, for the delivery history; the rest is not read."""
    collected = bytearray()
    async for chunk in response.aiter_bytes():
        collected += chunk
        if len(collected) >= MAX_RESPONSE_BYTES:
            break
    return bytes(collected[:MAX_RESPONSE_BYTES]).decode("utf-8", errors="replace")
