"""A real HTTP receiver on loopback for webhook tests: records requests, answers as scripted.

Also the fake clock the webhook tests give the delivery worker, so retry schedules are checked
without sleeping, and the worker they drive with it.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy import update

from finite.config import Settings
from finite.core.webhooks.worker import DeliveryWorker
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.kit.secretbox import SecretBox
from finite.models.events import Event
from finite.models.webhooks import DUE_STATUSES, WebhookDelivery


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    received_at: float = 0.0  # time.monotonic() when the request was read
    answered_at: float | None = None  # time.monotonic() once the answer was written

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Answer:
    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Receiver:
    port: int
    received: list[Received] = field(default_factory=list)
    script: list[Answer] = field(default_factory=list)  # consumed in order, then `default`
    default: Answer = field(default_factory=Answer)
    # When set, decides every answer from the request (the script is then ignored).
    responder: Callable[[Received], Answer] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    in_flight: int = 0
    max_in_flight: int = 0  # the most requests being answered at one time

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def next_answer(self, request: Received) -> Answer:
        if self.responder is not None:
            return self.responder(request)
        with self.lock:
            return self.script.pop(0) if self.script else self.default

    def snapshot(self) -> list[Received]:
        with self.lock:
            return list(self.received)

    def bodies(self) -> list[dict[str, Any]]:
        return [request.json() for request in self.snapshot()]

    def per_delivery(self) -> Counter[str]:
        return Counter(body["delivery_id"] for body in self.bodies())

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Blocking: only while no delivery worker runs on this thread's event loop."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.01)
        raise AssertionError(f"expected {count} requests, got {len(self.received)}")

    async def until(self, count: int, timeout: float = 10.0) -> list[Received]:
        """As `wait_for`, but lets a worker running on the same event loop go on."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            await asyncio.sleep(0.01)
        raise AssertionError(f"expected {count} requests, got {len(self.received)}")


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    receiver = Receiver(port=0)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real receivers do

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            if len(body) < length:  # the sender went away mid-request (a killed worker)
                self.close_connection = True
                return
            request = Received(
                self.path,
                {k.lower(): v for k, v in self.headers.items()},
                body,
                received_at=time.monotonic(),
            )
            with receiver.lock:
                receiver.received.append(request)
                receiver.in_flight += 1
                receiver.max_in_flight = max(receiver.max_in_flight, receiver.in_flight)
            try:
                answer = receiver.next_answer(request)
                if answer.delay:
                    time.sleep(answer.delay)
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)
                self.wfile.flush()
            finally:
                with receiver.lock:
                    receiver.in_flight -= 1
                    request.answered_at = time.monotonic()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


class FakeClock:
    """The worker's clock in tests: stands still until the test moves it."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now

    def set(self, moment: datetime) -> datetime:
        self.now = moment
        return self.now


def new_worker(
    db: Database,
    settings: Settings,
    clock: FakeClock,
    disable_after: timedelta = timedelta(days=5),
) -> DeliveryWorker:
    """A delivery worker on the test's clock, allowed to reach the loopback receiver."""
    return DeliveryWorker(
        db,
        SecretBox.from_secrets(settings.secret_key),
        allow_private=True,
        disable_after=disable_after,
        clock=clock,
    )


async def settle_waiting_webhook_work(db: Database) -> None:
    """A worker serves every organization in the shared test database: settle what earlier
    tests left waiting (events never fanned out, deliveries to receivers long gone), so each test
    counts only its own deliveries."""
    async with db.transaction() as session:
        await session.execute(
            update(Event).where(Event.fanned_out_at.is_(None)).values(fanned_out_at=utcnow())
        )
        await session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.status.in_(DUE_STATUSES))
            .values(status="dead", next_attempt_at=None)
        )
