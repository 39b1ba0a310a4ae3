"""Deliveries to a real HTTP receiver on loopback: signatures, payloads, filters, retries on the
seed's schedule (with a fake clock), endpoint health, redeliver and recover, secret rotation, and
a worker that never lets one slow endpoint hold up another."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from finite.config import Settings
from finite.core.webhooks import schedule, sender
from finite.core.webhooks.worker import DeliveryWorker
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.models.webhooks import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from tests.factories import OrgSetup, bearer, make_org
from tests.webhook_receiver import (
    Answer,
    FakeClock,
    Received,
    Receiver,
    new_worker,
    running_receiver,
)

Client = AsyncTestClient[Litestar]
OCCURRED_AT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$")
PAYLOAD_KEYS = {"event", "module", "record_id", "occurred_at", "data", "version", "delivery_id"}
pytestmark = pytest.mark.usefixtures("quiet_queue")  # each test counts only its own deliveries


# --- fixtures and helpers ---------------------------------------------------------------------


@pytest.fixture
async def worker(
    db: Database, settings: Settings, clock: FakeClock
) -> AsyncIterator[DeliveryWorker]:
    delivery_worker = new_worker(db, settings, clock)
    yield delivery_worker
    await delivery_worker.stop()  # also closes the HTTP clients of a worker never started


async def create_webhook(client: Client, key: str, url: str, **body: Any) -> dict[str, Any]:
    response = await client.post("/api/webhooks", json={"url": url, **body}, headers=bearer(key))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def create_record(
    client: Client, key: str, module: str = "leads", **fields: Any
) -> dict[str, Any]:
    body = fields or {"name": "Asha Rao", "company": "Acme Pumps", "email": "asha@acmepumps.in"}
    response = await client.post(f"/api/records/{module}", json=body, headers=bearer(key))
    assert response.status_code == 201, response.text
    record: dict[str, Any] = response.json()
    return record


async def deliveries(client: Client, key: str, webhook_id: str) -> list[dict[str, Any]]:
    """Newest first, each with its attempts, as the API shows them."""
    response = await client.get(
        f"/api/webhooks/{webhook_id}/deliveries", params={"limit": 100}, headers=bearer(key)
    )
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["deliveries"]
    return found


async def only_delivery(db: Database, webhook_id: str) -> WebhookDelivery:
    async with db.read() as session:
        (row,) = (
            await session.scalars(
                select(WebhookDelivery).where(WebhookDelivery.endpoint_id == webhook_id)
            )
        ).all()
    return row


async def endpoint_row(db: Database, webhook_id: str) -> WebhookEndpoint:
    async with db.read() as session:
        return (
            await session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.id == webhook_id))
        ).one()


def finite_signatures(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def assert_signed_by(request: Received, *secrets: str) -> None:
    """X-Finite-Signature lists exactly these secrets' signatures (newest first) and every one
    verifies with the standardwebhooks library as well."""
    expected = ",".join(finite_signatures(secret, request.body) for secret in secrets)
    assert hmac.compare_digest(request.headers["x-finite-signature"], expected)
    entries = request.headers["webhook-signature"].split(" ")
    assert len(entries) == len(secrets)
    stamp = datetime.fromtimestamp(int(request.headers["webhook-timestamp"]), UTC)
    for secret, entry in zip(secrets, entries, strict=True):
        library = Webhook(secret)
        assert entry == library.sign(request.headers["webhook-id"], stamp, request.body.decode())


def around(value: datetime | None, start: datetime, nominal: timedelta) -> bool:
    """`value` is `start` plus `nominal` with at most ±10 % jitter."""
    assert value is not None
    return nominal * 0.9 <= value - start <= nominal * 1.1


# --- signed, exact payloads -------------------------------------------------------------------


async def test_a_new_lead_is_delivered_signed_as_the_seed_says(
    client: Client, org: OrgSetup, worker: DeliveryWorker, rx: Receiver
) -> None:
    webhook = await create_webhook(client, org.crm_key, rx.url)
    lead = await create_record(client, org.crm_key)

    assert await worker.run_once() == 1
    (request,) = rx.wait_for(1)

    # Python's hmac, keyed with the secret string, over the raw body.
    expected = (
        "sha256=" + hmac.new(webhook["secret"].encode(), request.body, hashlib.sha256).hexdigest()
    )
    assert request.headers["x-finite-signature"] == expected
    # The Standard Webhooks library (timestamp within its 5 minutes: the fake clock is now).
    verified = Webhook(webhook["secret"]).verify(request.body, request.headers)
    assert verified == request.json()
    tampered = request.body.replace(b"Asha", b"Asha!")
    with pytest.raises(Exception, match="signature"):
        Webhook(webhook["secret"]).verify(tampered, request.headers)

    payload = request.json()
    assert set(payload) == PAYLOAD_KEYS
    assert payload["event"] == "create"
    assert payload["module"] == "leads"
    assert payload["record_id"] == lead["id"]
    assert OCCURRED_AT.match(payload["occurred_at"]), payload["occurred_at"]
    assert payload["data"] == lead
    assert payload["data"]["status"] == "New"
    assert payload["version"] == lead["version"] == 1
    assert payload["delivery_id"].startswith("dlv")
    assert request.path == "/hooks"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-finite-event"] == "create"
    assert request.headers["x-finite-delivery"] == payload["delivery_id"]
    assert request.headers["webhook-id"] == payload["delivery_id"]
    assert int(request.headers["webhook-timestamp"]) == int(worker.clock().timestamp())

    (delivery,) = await deliveries(client, org.crm_key, webhook["id"])
    assert delivery["id"] == payload["delivery_id"]
    assert delivery["status"] == "succeeded"
    assert delivery["record_id"] == lead["id"]
    (attempt,) = delivery["attempts"]
    assert attempt["status_code"] == 200
    assert attempt["error"] is None
    assert attempt["response_body"] == "ok"
    assert (await endpoint_row(worker.db, webhook["id"])).last_success_at == worker.clock()

    assert await worker.run_once() == 0  # delivered once, not again
    assert len(rx.snapshot()) == 1


async def test_updates_carry_the_new_version_and_deletes_the_last_snapshot(
    client: Client, org: OrgSetup, worker: DeliveryWorker, rx: Receiver
) -> None:
    await create_webhook(client, org.crm_key, rx.url)
    lead = await create_record(client, org.crm_key)
    path = f"/api/records/leads/{lead['id']}"
    updated = await client.put(path, json={"company": "Acme Valves"}, headers=bearer(org.crm_key))
    assert updated.status_code == 200, updated.text
    again = await client.put(path, json={"status": "Contacted"}, headers=bearer(org.crm_key))
    assert again.status_code == 200, again.text
    deleted = await client.delete(path, headers=bearer(org.crm_key))
    assert deleted.status_code == 204

    assert await worker.run_once() == 4
    order = {"create": 0, "update": 1, "delete": 2}
    by_version = sorted(rx.bodies(), key=lambda body: (body["version"], order[body["event"]]))
    assert [(body["event"], body["version"]) for body in by_version] == [
        ("create", 1),
        ("update", 2),
        ("update", 3),
        ("delete", 3),
    ]
    assert by_version[1]["data"] == updated.json()
    assert by_version[1]["data"]["company"] == "Acme Valves"
    assert by_version[2]["data"] == again.json()
    # The delete carries the record as it was last seen.
    assert by_version[3]["data"] == again.json()
    assert by_version[3]["data"]["status"] == "Contacted"
    assert all(body["record_id"] == lead["id"] for body in by_version)
    assert len({body["delivery_id"] for body in by_version}) == 4


async def test_module_and_event_filters_and_endpoints_created_later(
    client: Client, org: OrgSetup, worker: DeliveryWorker
) -> None:
    with (
        running_receiver() as contacts_rx,
        running_receiver() as deletes_rx,
        running_receiver() as all_rx,
        running_receiver() as late_rx,
    ):
        await create_webhook(client, org.crm_key, contacts_rx.url, modules=["contacts"])
        await create_webhook(client, org.crm_key, deletes_rx.url, events=["delete"])
        await create_webhook(client, org.crm_key, all_rx.url)

        lead = await create_record(client, org.crm_key)
        await client.put(
            f"/api/records/leads/{lead['id']}", json={"name": "B"}, headers=bearer(org.crm_key)
        )
        contact = await create_record(client, org.crm_key, "contacts", name="Ravi Menon")
        await client.delete(f"/api/records/leads/{lead['id']}", headers=bearer(org.crm_key))
        # Created after those four events, before the worker fanned them out.
        await create_webhook(client, org.crm_key, late_rx.url)

        assert await worker.run_once() == 1 + 1 + 4
        assert [(b["module"], b["event"]) for b in contacts_rx.bodies()] == [("contacts", "create")]
        assert contacts_rx.bodies()[0]["record_id"] == contact["id"]
        assert [(b["module"], b["event"]) for b in deletes_rx.bodies()] == [("leads", "delete")]
        assert sorted((b["module"], b["event"]) for b in all_rx.bodies()) == [
            ("contacts", "create"),
            ("leads", "create"),
            ("leads", "delete"),
            ("leads", "update"),
        ]
        assert late_rx.snapshot() == []

        # The later endpoint does get what happens after it was created.
        await create_record(client, org.crm_key, name="After")
        assert await worker.run_once() == 2  # the late one and the catch-all
        assert [b["data"]["name"] for b in late_rx.bodies()] == ["After"]
        assert contacts_rx.bodies()[1:] == []
        assert deletes_rx.bodies()[1:] == []


async def test_another_organizations_events_never_reach_an_endpoint(
    client: Client,
    db: Database,
    peppers: Peppers,
    org: OrgSetup,
    worker: DeliveryWorker,
    rx: Receiver,
) -> None:
    other = await make_org(db, peppers)
    await create_webhook(client, org.crm_key, rx.url)
    await create_record(client, other.crm_key, name="Theirs")
    mine = await create_record(client, org.crm_key, name="Mine")
    await worker.run_once()
    assert [body["record_id"] for body in rx.bodies()] == [mine["id"]]


async def test_ping_is_delivered_signed(
    client: Client, org: OrgSetup, worker: DeliveryWorker, rx: Receiver, clock: FakeClock
) -> None:
    webhook = await create_webhook(client, org.crm_key, rx.url, modules=["deals"])
    queued = await client.post(f"/api/webhooks/{webhook['id']}/ping", headers=bearer(org.crm_key))
    assert queued.status_code == 202
    clock.set(utcnow())  # the ping is due from the moment the API queued it

    assert await worker.run_once() == 1
    (request,) = rx.wait_for(1)
    assert_signed_by(request, webhook["secret"])
    Webhook(webhook["secret"]).verify(request.body, request.headers)
    payload = request.json()
    assert set(payload) == PAYLOAD_KEYS
    assert payload["event"] == "ping"
    assert payload["delivery_id"] == queued.json()["id"]
    assert payload["data"]["webhook_id"] == webhook["id"]
    assert OCCURRED_AT.match(payload["occurred_at"])
    assert request.headers["x-finite-event"] == "ping"
    (delivery,) = await deliveries(client, org.crm_key, webhook["id"])
    assert delivery["status"] == "succeeded"


# --- retries on the seed's schedule -----------------------------------------------------------


def test_the_schedule_is_one_minute_to_six_hours_with_jitter() -> None:
    start = datetime(2026, 6, 12, 10, 30, tzinfo=UTC)
    nominal = [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30)]
    nominal += [timedelta(hours=2), timedelta(hours=6)]
    assert schedule.MAX_ATTEMPTS == 6
    for failed, wait in enumerate(nominal, start=1):
        moments = {schedule.next_attempt_at(failed, start) for _ in range(50)}
        assert all(around(moment, start, wait) for moment in moments)
        assert len(moments) > 40, "jittered, not in lockstep"
    assert schedule.next_attempt_at(6, start) is None


async def test_failing_then_succeeding_follows_the_schedule(
    client: Client,
    org: OrgSetup,
    worker: DeliveryWorker,
    rx: Receiver,
    clock: FakeClock,
) -> None:
    webhook = await create_webhook(client, org.crm_key, rx.url)
    rx.script = [
        Answer(500, body=b"E" * 5000),
        Answer(502, body="ünïcödé ".encode() * 400),
        Answer(500, body=b"", delay=0.05),
    ]
    lead = await create_record(client, org.crm_key)

    waits = [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30)]
    for number, wait in enumerate(waits, start=1):
        attempted = clock()
        assert await worker.run_once() == 1
        delivery = await only_delivery(worker.db, webhook["id"])
        assert delivery.status == "failed"
        assert delivery.attempt_total == number
        assert around(delivery.next_attempt_at, attempted, wait)
        assert delivery.next_attempt_at is not None
        # Nothing goes before the due time…
        clock.set(delivery.next_attempt_at - timedelta(seconds=1))
        assert await worker.run_once() == 0
        assert len(rx.snapshot()) == number
        # …and it goes once due.
        clock.set(delivery.next_attempt_at)

    assert await worker.run_once() == 1
    assert len(rx.snapshot()) == 4
    assert {body["delivery_id"] for body in rx.bodies()} == {delivery.id}
    assert {body["record_id"] for body in rx.bodies()} == {lead["id"]}
    assert len({r.body for r in rx.snapshot()}) == 1, "the same body on every attempt"

    (shown,) = await deliveries(client, org.crm_key, webhook["id"])
    assert shown["status"] == "succeeded"
    assert shown["next_attempt_at"] is None
    attempts = shown["attempts"]
    assert [a["number"] for a in attempts] == [1, 2, 3, 4]
    assert [a["status_code"] for a in attempts] == [500, 502, 500, 200]
    assert [a["error"] for a in attempts] == ["HTTP 500", "HTTP 502", "HTTP 500", None]
    assert attempts[0]["response_body"] == "E" * 2048
    assert len(attempts[1]["response_body"].encode()) <= 2048 + 3
    assert attempts[1]["response_body"].startswith("ünïcödé")
    assert attempts[2]["response_body"] == ""
    assert attempts[2]["latency_ms"] >= 50
    assert all(0 <= a["latency_ms"] < 5000 for a in attempts)
    endpoint = await endpoint_row(worker.db, webhook["id"])
    assert endpoint.failing_since is None
    assert endpoint.status == "active"


async def test_six_failed_attempts_make_a_delivery_dead(
    client: Client, org: OrgSetup, worker: DeliveryWorker, rx: Receiver, clock: FakeClock
) -> None:
    webhook = await create_webhook(client, org.crm_key, rx.url)
    rx.default = Answer(503)
    await create_record(client, org.crm_key)
    nominal = [timedelta(minutes=m) for m in (1, 5, 30, 120, 360)]
    attempted_at = []
    for number in range(1, 7):
        attempted_at.append(clock())
        assert await worker.run_once() == 1
        delivery = await only_delivery(worker.db, webhook["id"])
        assert delivery.attempt_total == number
        if number < 6:
            assert delivery.status == "failed"
            assert around(delivery.next_attempt_at, clock(), nominal[number - 1])
            assert delivery.next_attempt_at is not None
            clock.set(delivery.next_attempt_at)
    assert delivery.status == "dead"
    assert delivery.next_attempt_at is None
    assert delivery.last_status_code == 503
    clock.advance(days=2)
    assert await worker.run_once() == 0
    assert len(rx.snapshot()) == 6
    (shown,) = await deliveries(client, org.crm_key, webhook["id"])
    assert shown["status"] == "dead"
    assert [datetime.fromisoformat(a["attempted_at"]) for a in shown["attempts"]] == attempted_at


@pytest.mark.parametrize("status", [429, 503])
async def test_retry_after_is_honoured(
    client: Client,
    org: OrgSetup,
    worker: DeliveryWorker,
    rx: Receiver,
    clock: FakeClock,
    status: int,
) -> None:
    webhook = await create_webhook(client, org.crm_key, rx.url)
    rx.script = [
        Answer(status, headers={"Retry-After": "3600"}),
        Answer(
            status, headers={"Retry-After": format_datetime(clock() + timedelta(hours=3), True)}
        ),
        Answer(500, headers={"Retry-After": "7200"}),  # only 429 and 503 are asked to wait
    ]
    await create_record(client, org.crm_key)

    start = clock()
    await worker.run_once()
    delivery = await only_delivery(worker.db, webhook["id"])
    assert delivery.next_attempt_at == start + timedelta(seconds=3600)
    clock.set(start + timedelta(minutes=59))
    assert await worker.run_once() == 0, "the one-minute retry waits for Retry-After"

    clock.set(start + timedelta(hours=1))
    second = clock()
    await worker.run_once()
    delivery = await only_delivery(worker.db, webhook["id"])
    assert delivery.next_attempt_at is not None
    assert abs(delivery.next_attempt_at - (start + timedelta(hours=3))) < timedelta(seconds=1)
    assert delivery.next_attempt_at - second > timedelta(minutes=5) * 1.1

    clock.set(delivery.next_attempt_at)
    third = clock()
    await worker.run_once()
    delivery = await only_delivery(worker.db, webhook["id"])
    assert around(delivery.next_attempt_at, third, timedelta(minutes=30))
    assert len(rx.snapshot()) == 3


async def test_410_disables_the_endpoint_and_kills_its_queue(
    client: Client, org: OrgSetup, worker: DeliveryWorker, rx: Receiver, clock: FakeClock
) -> None:
    webhook = await create_webhook(client, org.crm_key, rx.url)
    rx.script = [Answer(500)]
    await create_record(client, org.crm_key, name="Waits for its retry")
    await worker.run_once()
    await create_record(client, org.crm_key, name="Meets the 410")
    rx.script = [Answer(410, body=b"gone")]
    assert await worker.run_once() == 1

    endpoint = (
        await client.get(f"/api/webhooks/{webhook['id']}", headers=bearer(org.crm_key))
    ).json()
    assert endpoint["status"] == "disabled"
    assert "410" in endpoint["disabled_reason"]
    assert endpoint["disabled_at"] is not None
    shown = await deliveries(client, org.crm_key, webhook["id"])
    assert [d["status"] for d in shown] == ["dead", "dead"]
    assert all(d["next_attempt_at"] is None for d in shown)
    assert shown[0]["last_status_code"] == 410

    # Neither the waiting retry nor new events go out.
    await create_record(client, org.crm_key, name="After")
    clock.advance(hours=1)
    assert await worker.run_once() == 0
    assert len(rx.snapshot()) == 2
    refused = await client.post(
        f"/api/webhooks/{webhook['id']}/recover",
        json={"since": "2020-01-01T00:00:00Z"},
        headers=bearer(org.crm_key),
    )
    assert refused.status_code == 409


async def test_a_redirect_is_a_failure_and_is_not_followed(
    client: Client, org: OrgSetup, worker: DeliveryWorker, rx: Receiver
) -> None:
    with running_receiver() as target:
        webhook = await create_webhook(client, org.crm_key, rx.url)
        rx.script = [Answer(302, headers={"Location": target.url})]
        await create_record(client, org.crm_key)
        assert await worker.run_once() == 1
        time.sleep(0.1)
        assert target.snapshot() == []
    (shown,) = await deliveries(client, org.crm_key, webhook["id"])
    assert shown["status"] == "failed"
    (attempt,) = shown["attempts"]
    assert attempt["status_code"] == 302
    assert "redirect" in attempt["error"]


async def test_an_unreachable_endpoint_is_a_recorded_failure(
    client: Client, org: OrgSetup, worker: DeliveryWorker
) -> None:
    with running_receiver() as closed:
        url = closed.url
    webhook = await create_webhook(client, org.crm_key, url)
    await create_record(client, org.crm_key)
    assert await worker.run_once() == 1
    (shown,) = await deliveries(client, org.crm_key, webhook["id"])
    assert shown["status"] == "failed"
    (attempt,) = shown["attempts"]
    assert attempt["status_code"] is None
    assert attempt["error"].startswith("could not connect to 127.0.0.1:")


async def test_an_endpoint_failing_past_disable_after_is_disabled(
    client: Client,
    db: Database,
    settings: Settings,
    org: OrgSetup,
    rx: Receiver,
    clock: FakeClock,
) -> None:
    worker = new_worker(db, settings, clock, disable_after=timedelta(hours=1))
    try:
        webhook = await create_webhook(client, org.crm_key, rx.url)
        rx.default = Answer(500)
        await create_record(client, org.crm_key)
        first_failure = clock()
        for _ in range(4):  # attempts at about 0, 1, 6 and 36 minutes: less than an hour
            await worker.run_once()
            delivery = await only_delivery(db, webhook["id"])
            endpoint = await endpoint_row(db, webhook["id"])
            assert endpoint.status == "active"
            assert endpoint.failing_since == first_failure
            assert delivery.next_attempt_at is not None
            clock.set(delivery.next_attempt_at)
        await worker.run_once()  # about 2 h 36 min after the first failure
        shown = (
            await client.get(f"/api/webhooks/{webhook['id']}", headers=bearer(org.crm_key))
        ).json()
        assert shown["status"] == "disabled"
        assert "Disabled automatically" in shown["disabled_reason"]
        assert "1 hours" in shown["disabled_reason"] or "1 hour" in shown["disabled_reason"]
        (delivery_shown,) = await deliveries(client, org.crm_key, webhook["id"])
        assert delivery_shown["status"] == "dead"
        clock.advance(days=1)
        assert await worker.run_once() == 0
        assert len(rx.snapshot()) == 5

        # Enabled again, it is healthy until it fails anew.
        enabled = await client.patch(
            f"/api/webhooks/{webhook['id']}", json={"enabled": True}, headers=bearer(org.crm_key)
        )
        assert enabled.json()["status"] == "active"
        assert enabled.json()["failing_since"] is None
    finally:
        await worker.stop()  # also closes the HTTP clients of a worker never started


async def test_a_success_in_between_keeps_the_endpoint_active(
    client: Client,
    db: Database,
    settings: Settings,
    org: OrgSetup,
    rx: Receiver,
    clock: FakeClock,
) -> None:
    worker = new_worker(db, settings, clock, disable_after=timedelta(hours=1))
    try:
        webhook = await create_webhook(client, org.crm_key, rx.url)
        rx.script = [Answer(500)]
        await create_record(client, org.crm_key)
        await worker.run_once()
        assert (await endpoint_row(db, webhook["id"])).failing_since == clock()
        clock.advance(minutes=2)
        await worker.run_once()  # the retry succeeds
        endpoint = await endpoint_row(db, webhook["id"])
        assert endpoint.failing_since is None
        assert endpoint.last_success_at == clock()
        clock.advance(hours=2)
        rx.script = [Answer(500)]
        await create_record(client, org.crm_key)
        await worker.run_once()  # failing again, but only since now
        endpoint = await endpoint_row(db, webhook["id"])
        assert endpoint.status == "active"
        assert endpoint.failing_since == clock()
    finally:
        await worker.stop()  # also closes the HTTP clients of a worker never started


# --- redeliver and recover --------------------------------------------------------------------


async def test_redeliver_sends_one_delivery_again(
    client: Client, org: OrgSetup, worker: DeliveryWorker, rx: Receiver, clock: FakeClock
) -> None:
    webhook = await create_webhook(client, org.crm_key, rx.url)
    await create_record(client, org.crm_key, name="One")
    await create_record(client, org.crm_key, name="Two")
    assert await worker.run_once() == 2
    history = await deliveries(client, org.crm_key, webhook["id"])
    chosen = history[0]
    assert chosen["status"] == "succeeded"

    response = await client.post(
        f"/api/webhooks/{webhook['id']}/deliveries/{chosen['id']}/redeliver",
        headers=bearer(org.crm_key),
    )
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "pending"
    clock.set(utcnow())
    assert await worker.run_once() == 1
    assert rx.per_delivery() == {chosen["id"]: 2, history[1]["id"]: 1}
    first, second = [r for r in rx.snapshot() if r.json()["delivery_id"] == chosen["id"]]
    assert first.body == second.body

    after = {d["id"]: d for d in await deliveries(client, org.crm_key, webhook["id"])}
    assert after[chosen["id"]]["status"] == "succeeded"
    assert [a["number"] for a in after[chosen["id"]]["attempts"]] == [1, 2]
    assert len(after[history[1]["id"]]["attempts"]) == 1


async def test_redeliver_of_a_dead_delivery_gets_a_fresh_round(
    client: Client, org: OrgSetup, worker: DeliveryWorker, rx: Receiver, clock: FakeClock
) -> None:
    webhook = await create_webhook(client, org.crm_key, rx.url)
    rx.default = Answer(500)
    await create_record(client, org.crm_key)
    for _ in range(6):
        await worker.run_once()
        delivery = await only_delivery(worker.db, webhook["id"])
        if delivery.next_attempt_at is not None:
            clock.set(delivery.next_attempt_at)
    assert delivery.status == "dead"
    await client.post(
        f"/api/webhooks/{webhook['id']}/deliveries/{delivery.id}/redeliver",
        headers=bearer(org.crm_key),
    )
    clock.set(max(clock(), utcnow()))
    assert await worker.run_once() == 1
    delivery = await only_delivery(worker.db, webhook["id"])
    assert delivery.status == "failed", "a fresh round of six attempts, not dead at once"
    assert delivery.attempt_total == 7
    assert around(delivery.next_attempt_at, clock(), timedelta(minutes=1))


async def delivery_of(db: Database, webhook_id: str, record_id: int) -> WebhookDelivery:
    async with db.read() as session:
        return (
            await session.scalars(
                select(WebhookDelivery).where(
                    WebhookDelivery.endpoint_id == webhook_id,
                    WebhookDelivery.subject_id == str(record_id),
                )
            )
        ).one()


async def fail_until_dead(
    worker: DeliveryWorker, clock: FakeClock, webhook_id: str, record_id: int
) -> None:
    """Run the worker through every retry of one delivery (the receiver keeps failing)."""
    for _ in range(schedule.MAX_ATTEMPTS):
        await worker.run_once()
        delivery = await delivery_of(worker.db, webhook_id, record_id)
        if delivery.next_attempt_at is None:
            break
        clock.set(delivery.next_attempt_at)
    assert delivery.status == "dead"


async def test_recover_requeues_failed_and_dead_since_a_moment_only(
    client: Client, org: OrgSetup, worker: DeliveryWorker, rx: Receiver, clock: FakeClock
) -> None:
    webhook = await create_webhook(client, org.crm_key, rx.url)
    # A delivery's created_at is the fake clock's time at fan-out: run it in the past, so the
    # moment `since` is not in the future for the API.
    clock.set(utcnow() - timedelta(hours=30))
    rx.default = Answer(500)
    old = await create_record(client, org.crm_key, name="old")
    await fail_until_dead(worker, clock, webhook["id"], old["id"])

    since = clock.advance(minutes=1)
    clock.advance(minutes=1)
    dead = await create_record(client, org.crm_key, name="dead")
    await fail_until_dead(worker, clock, webhook["id"], dead["id"])
    clock.advance(minutes=1)
    failed = await create_record(client, org.crm_key, name="failed")
    await worker.run_once()
    rx.default = Answer(200)
    fine = await create_record(client, org.crm_key, name="fine")
    await worker.run_once()
    assert clock() < utcnow() - timedelta(hours=1), "every moment so far is in the past"

    expected = {old["id"]: "dead", dead["id"]: "dead", failed["id"]: "failed"}
    assert await statuses_by_record(client, org.crm_key, webhook["id"]) == {
        **expected,
        fine["id"]: "succeeded",
    }
    response = await client.post(
        f"/api/webhooks/{webhook['id']}/recover",
        json={"since": since.isoformat()},
        headers=bearer(org.crm_key),
    )
    assert response.status_code == 202, response.text
    assert response.json() == {"requeued": 2}
    assert await statuses_by_record(client, org.crm_key, webhook["id"]) == {
        old["id"]: "dead",
        dead["id"]: "pending",
        failed["id"]: "pending",
        fine["id"]: "succeeded",
    }

    before = rx.per_delivery()
    clock.set(utcnow())
    assert await worker.run_once() == 2
    sent_again = rx.per_delivery() - before
    dead_delivery = await delivery_of(worker.db, webhook["id"], dead["id"])
    failed_delivery = await delivery_of(worker.db, webhook["id"], failed["id"])
    assert sent_again == {dead_delivery.id: 1, failed_delivery.id: 1}
    assert await statuses_by_record(client, org.crm_key, webhook["id"]) == {
        old["id"]: "dead",
        dead["id"]: "succeeded",
        failed["id"]: "succeeded",
        fine["id"]: "succeeded",
    }
    assert dead_delivery.attempt_total == 7


async def statuses_by_record(client: Client, key: str, webhook_id: str) -> dict[int, str]:
    return {d["record_id"]: d["status"] for d in await deliveries(client, key, webhook_id)}


# --- secret rotation --------------------------------------------------------------------------


async def test_rotation_signs_with_both_secrets_for_24_hours(
    client: Client, org: OrgSetup, worker: DeliveryWorker, rx: Receiver, clock: FakeClock
) -> None:
    webhook = await create_webhook(client, org.crm_key, rx.url)
    old_secret = webhook["secret"]
    rotated = await client.post(
        f"/api/webhooks/{webhook['id']}/rotate-secret", headers=bearer(org.crm_key)
    )
    assert rotated.status_code == 200
    new_secret = rotated.json()["secret"]
    expires = datetime.fromisoformat(rotated.json()["previous_secret_expires_at"])
    assert abs(expires - (utcnow() + timedelta(hours=24))) < timedelta(minutes=1)

    await create_record(client, org.crm_key, name="During the overlap")
    clock.set(max(clock(), utcnow()))
    await worker.run_once()
    (during,) = rx.wait_for(1)
    assert during.headers["x-finite-signature"].count("sha256=") == 2
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    assert_signed_by(during, new_secret, old_secret)
    # Receivers holding either secret verify with the official library.
    Webhook(new_secret).verify(during.body, during.headers)
    Webhook(old_secret).verify(during.body, during.headers)

    clock.set(expires + timedelta(seconds=1))
    await create_record(client, org.crm_key, name="After the overlap")
    await worker.run_once()
    after = rx.wait_for(2)[1]
    assert after.json()["data"]["name"] == "After the overlap"
    assert_signed_by(after, new_secret)
    assert old_secret not in after.headers["x-finite-signature"]


# --- the background worker --------------------------------------------------------------------


async def test_a_slow_endpoint_does_not_delay_another(
    client: Client, org: OrgSetup, worker: DeliveryWorker
) -> None:
    slow_seconds = 2.0
    with running_receiver() as slow, running_receiver() as fast:
        slow.default = Answer(delay=slow_seconds)
        slow_hook = await create_webhook(client, org.crm_key, slow.url)
        fast_hook = await create_webhook(client, org.crm_key, fast.url)
        # Several events, so the slow endpoint has a backlog as well.
        for number in range(3):
            await create_record(client, org.crm_key, name=f"Lead {number}")

        started = time.monotonic()
        worker.start()
        try:
            await fast.until(3, timeout=slow_seconds)
            await slow.until(1, timeout=slow_seconds)
            # Every fast delivery is recorded while the slow endpoint still holds its requests.
            deadline = time.monotonic() + slow_seconds
            while time.monotonic() < deadline:
                async with worker.db.read() as session:
                    fast_done = (
                        await session.scalars(
                            select(WebhookDelivery.status).where(
                                WebhookDelivery.endpoint_id == fast_hook["id"]
                            )
                        )
                    ).all()
                if fast_done == ["succeeded"] * 3:
                    break
                await asyncio.sleep(0.02)
            recorded_at = time.monotonic()
            assert fast_done == ["succeeded"] * 3
            assert all(r.answered_at is None for r in slow.snapshot()), "slow ones still going"
            assert recorded_at - started < slow_seconds
            assert max(r.received_at for r in fast.snapshot()) - started < slow_seconds / 2
            await slow.until(3, timeout=3 * slow_seconds)
        finally:
            await worker.stop()
    async with worker.db.read() as session:
        slow_done = (
            await session.scalars(
                select(WebhookDelivery.status).where(WebhookDelivery.endpoint_id == slow_hook["id"])
            )
        ).all()
    assert slow_done == ["succeeded"] * 3


async def test_graceful_stop_finishes_and_records_a_delivery_in_flight(
    client: Client, db: Database, settings: Settings, org: OrgSetup, clock: FakeClock
) -> None:
    worker = new_worker(db, settings, clock)
    with running_receiver() as rx:
        rx.default = Answer(delay=0.8)
        webhook = await create_webhook(client, org.crm_key, rx.url)
        await create_record(client, org.crm_key)
        worker.start()
        await rx.until(1)
        stopping = time.monotonic()
        await worker.stop()
        assert time.monotonic() - stopping > 0.5, "stop waited for the answer"
        assert rx.snapshot()[0].answered_at is not None
    delivery = await only_delivery(db, webhook["id"])
    assert delivery.status == "succeeded"
    assert delivery.lease_until is None
    async with db.read() as session:
        attempts = (
            await session.scalars(
                select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery.id)
            )
        ).all()
    assert [(a.number, a.status_code) for a in attempts] == [(1, 200)]


async def test_the_background_worker_delivers_and_retries(
    client: Client, org: OrgSetup, worker: DeliveryWorker, rx: Receiver, clock: FakeClock
) -> None:
    webhook = await create_webhook(client, org.crm_key, rx.url)
    rx.script = [Answer(500)]
    worker.start()
    try:
        await create_record(client, org.crm_key)
        await rx.until(1)
        await asyncio.sleep(0.3)
        assert len(rx.snapshot()) == 1, "the retry waits for its time"
        delivery = await only_delivery(worker.db, webhook["id"])
        assert delivery.status == "failed"
        assert delivery.next_attempt_at is not None
        clock.set(delivery.next_attempt_at)
        worker.nudge()
        await rx.until(2)
    finally:
        await worker.stop()
    assert (await only_delivery(worker.db, webhook["id"])).status == "succeeded"


async def test_deleting_a_webhook_while_its_delivery_is_in_flight(
    client: Client, org: OrgSetup, worker: DeliveryWorker
) -> None:
    with running_receiver() as slow, running_receiver() as fast:
        # Long enough that the DELETE lands first even on a loaded machine (0.5 s once did not).
        slow.default = Answer(delay=3.0)
        slow_hook = await create_webhook(client, org.crm_key, slow.url)
        fast_hook = await create_webhook(client, org.crm_key, fast.url)
        await create_record(client, org.crm_key)
        running = asyncio.create_task(worker.run_once())
        await slow.until(1)
        await fast.until(1)
        deleted = await client.delete(
            f"/api/webhooks/{slow_hook['id']}", headers=bearer(org.crm_key)
        )
        assert deleted.status_code == 204
        assert slow.snapshot()[0].answered_at is None, "deleted while its delivery was in flight"
        assert await running == 2
    # The other endpoint's outcome is recorded; the deleted one's is dropped with it.
    delivery = await only_delivery(worker.db, fast_hook["id"])
    assert delivery.status == "succeeded"
    assert delivery.lease_until is None
    async with worker.db.read() as session:
        orphans = (
            await session.scalars(
                select(WebhookAttempt.id)
                .where(WebhookAttempt.delivery_id.not_in([delivery.id]))
                .where(WebhookAttempt.org_id == org.org_id)
            )
        ).all()
    assert orphans == []


async def test_a_delivery_taking_too_long_times_out_as_a_failure(
    client: Client,
    org: OrgSetup,
    worker: DeliveryWorker,
    rx: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sender, "TOTAL_TIMEOUT", 0.3)  # 15 s in production
    webhook = await create_webhook(client, org.crm_key, rx.url)
    # Far longer than the timeout, so the pass's own database work (three commits, which a
    # busy disk once held up for over a second) cannot make it look as if the answer was awaited.
    rx.script = [Answer(delay=10.0)]
    await create_record(client, org.crm_key)
    assert await worker.run_once() == 1
    (request,) = rx.snapshot()
    assert request.answered_at is None, "the pass waited for the receiver's answer"
    (shown,) = await deliveries(client, org.crm_key, webhook["id"])
    assert shown["status"] == "failed"
    (attempt,) = shown["attempts"]
    assert attempt["status_code"] is None
    assert "timed out" in attempt["error"]
    assert 250 <= attempt["latency_ms"] < 1200


async def test_stop_gives_back_a_claim_it_cannot_finish(
    client: Client, db: Database, settings: Settings, org: OrgSetup, clock: FakeClock
) -> None:
    worker = new_worker(db, settings, clock)
    with running_receiver() as rx:
        rx.script = [Answer(delay=1.5)]
        webhook = await create_webhook(client, org.crm_key, rx.url)
        await create_record(client, org.crm_key)
        worker.start()
        await rx.until(1)
        await worker.stop(grace=0.1)
        delivery = await only_delivery(db, webhook["id"])
        assert delivery.status == "pending", "not recorded: its answer never came"
        assert delivery.lease_until is None, "released, not left to expire"
        assert delivery.attempt_total == 0

        # The next worker sends it at once, without waiting for a lease to run out.
        successor = new_worker(db, settings, clock)
        try:
            assert await successor.run_once() == 1
        finally:
            await successor.stop()
        rx.wait_for(2)
    assert (await only_delivery(db, webhook["id"])).status == "succeeded"


async def test_a_paused_endpoint_gets_nothing_until_enabled_and_recovered(
    client: Client, org: OrgSetup, worker: DeliveryWorker, rx: Receiver, clock: FakeClock
) -> None:
    webhook = await create_webhook(client, org.crm_key, rx.url)
    path = f"/api/webhooks/{webhook['id']}"
    since = clock()  # deliveries are stamped with the worker's clock when fanned out
    await create_record(client, org.crm_key, name="Queued before the pause")
    await worker.run_once()
    rx.script = [Answer(500)]
    await create_record(client, org.crm_key, name="Failed before the pause")
    await worker.run_once()
    paused = await client.patch(path, json={"enabled": False}, headers=bearer(org.crm_key))
    assert paused.json()["status"] == "disabled"
    await create_record(client, org.crm_key, name="During the pause")
    clock.advance(minutes=2)
    assert await worker.run_once() == 0
    assert len(rx.snapshot()) == 2
    shown = {d["record_id"]: d for d in await deliveries(client, org.crm_key, webhook["id"])}
    assert len(shown) == 2, "nothing is queued for a disabled endpoint"
    failed = next(d for d in shown.values() if d["attempts"][0]["status_code"] == 500)
    assert failed["status"] == "dead"
    assert "disabled" in failed["last_error"]

    await client.patch(path, json={"enabled": True}, headers=bearer(org.crm_key))
    recovered = await client.post(
        f"{path}/recover", json={"since": since.isoformat()}, headers=bearer(org.crm_key)
    )
    assert recovered.json() == {"requeued": 1}
    clock.set(max(clock(), utcnow()))
    assert await worker.run_once() == 1
    assert rx.per_delivery()[failed["id"]] == 2
