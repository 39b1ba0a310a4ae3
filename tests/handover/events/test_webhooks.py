"""/api/v1/webhooks: admin keys on Agency manage endpoints for the handover's events; deliveries
go through the webhook engine to a real receiver, signed both ways (X-Finite-Signature and
Standard Webhooks, checked with the `standardwebhooks` library), filtered by event type."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from standardwebhooks.webhooks import Webhook

from finite.core.accounts.service import PlanChoice
from finite.core.webhooks.worker import DeliveryWorker
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from tests.factories import OrgSetup, bearer, make_handover_key, make_org
from tests.handover.factories import create_project, send_pack
from tests.webhook_receiver import Answer, FakeClock, Receiver

# The worker serves every organization of the shared database: it starts on an empty queue.
pytestmark = pytest.mark.usefixtures("quiet_queue")

Client = AsyncTestClient[Litestar]
HOOKS = "/api/v1/webhooks"


async def create_webhook(client: Client, key: str, url: str, **body: Any) -> dict[str, Any]:
    answer = await client.post(HOOKS, json={"url": url, **body}, headers=bearer(key))
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()["data"]
    return created


async def deliveries(client: Client, key: str, webhook_id: str) -> list[dict[str, Any]]:
    answer = await client.get(f"{HOOKS}/{webhook_id}/deliveries", headers=bearer(key))
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()["data"]
    return found


def verify(request: Any, secret: str, *older: str) -> Any:
    """Both signatures: the seed's HMAC of the raw body (one per secret in force, newest first),
    and Standard Webhooks' (each secret verifies with the library)."""
    expected = ",".join(
        "sha256=" + hmac.new(s.encode(), request.body, hashlib.sha256).hexdigest()
        for s in (secret, *older)
    )
    assert hmac.compare_digest(request.headers["x-finite-signature"], expected)
    for each in older:
        Webhook(each).verify(request.body, request.headers)
    return Webhook(secret).verify(request.body, request.headers)


async def test_project_and_send_are_delivered_signed(
    client: Client, org: OrgSetup, worker: DeliveryWorker, rx: Receiver
) -> None:
    webhook = await create_webhook(client, org.handover_key, rx.url, description="CRM sync")
    assert webhook["secret"].startswith("whsec_")
    assert webhook["events"] == "*"
    project = await create_project(client, org.handover_key)
    sent = await send_pack(client, org.handover_key, project["id"])

    assert await worker.run_once() == 2
    requests = rx.wait_for(2)
    bodies = sorted((verify(r, webhook["secret"]) for r in requests), key=lambda b: b["id"])
    created, pack_sent = bodies
    assert created["event"] == "project.created"
    assert pack_sent["event"] == "pack.sent"
    assert set(pack_sent) == {"id", "event", "occurredAt", "data", "deliveryId"}
    assert pack_sent["id"].startswith("evt_")
    assert pack_sent["data"]["projectId"] == project["id"]
    assert pack_sent["data"]["clientName"] == "Jane Smith"
    assert pack_sent["data"]["recipient"] == "jane@example.com"
    assert pack_sent["data"]["sendId"] == sent["sends"][0]["id"]
    for request in requests:
        body = request.json()
        assert request.headers["webhook-id"] == body["deliveryId"]
        with pytest.raises(Exception, match="signature"):
            Webhook(webhook["secret"]).verify(request.body + b" ", request.headers)

    shown = await deliveries(client, org.handover_key, webhook["id"])
    assert sorted(d["event"] for d in shown) == ["pack.sent", "project.created"]
    assert all(d["status"] == "succeeded" and d["projectId"] == project["id"] for d in shown)
    assert {d["eventId"] for d in shown} == {created["id"], pack_sent["id"]}
    assert all(d["attempts"][0]["statusCode"] == 200 for d in shown)


async def test_a_webhook_gets_only_the_events_it_chose(
    client: Client, org: OrgSetup, worker: DeliveryWorker, rx: Receiver
) -> None:
    await create_webhook(client, org.handover_key, rx.url, events=["pack.sent"])
    project = await create_project(client, org.handover_key)
    await send_pack(client, org.handover_key, project["id"], recipients=["a@example.com"])

    assert await worker.run_once() == 1
    (request,) = rx.wait_for(1)
    assert request.json()["event"] == "pack.sent"


async def test_manage_ping_redeliver_recover_rotate(
    client: Client, org: OrgSetup, worker: DeliveryWorker, rx: Receiver, clock: FakeClock
) -> None:
    async def run_worker() -> int:
        clock.set(utcnow())  # pings and redeliveries are due from the time they were asked
        return await worker.run_once()

    key = org.handover_key
    webhook = await create_webhook(client, key, rx.url)
    one = f"{HOOKS}/{webhook['id']}"

    got = (await client.get(one, headers=bearer(key))).json()["data"]
    assert "secret" not in got
    listed = (await client.get(HOOKS, headers=bearer(key))).json()["data"]
    assert [w["id"] for w in listed] == [webhook["id"]]
    patched = await client.patch(
        one, json={"events": ["pack.viewed", "signoff.completed"]}, headers=bearer(key)
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["data"]["events"] == ["pack.viewed", "signoff.completed"]

    ping = await client.post(f"{one}/ping", headers=bearer(key))
    assert ping.status_code == 202, ping.text
    rx.default = Answer(status=500)
    assert await run_worker() == 1
    (first,) = rx.wait_for(1)
    assert verify(first, webhook["secret"])["event"] == "ping"
    (failed,) = await deliveries(client, key, webhook["id"])
    assert failed["status"] == "failed"

    rx.default = Answer(status=200)
    again = await client.post(f"{one}/deliveries/{failed['id']}/redeliver", headers=bearer(key))
    assert again.status_code == 202, again.text
    assert await run_worker() == 1
    (done,) = await deliveries(client, key, webhook["id"])
    assert done["status"] == "succeeded"
    assert [a["statusCode"] for a in done["attempts"]] == [500, 200]

    since = (utcnow() - timedelta(hours=1)).isoformat()
    recovered = await client.post(f"{one}/recover", json={"since": since}, headers=bearer(key))
    assert recovered.status_code == 202, recovered.text
    assert recovered.json()["data"] == {"requeued": 0}

    rotated = await client.post(f"{one}/rotate-secret", headers=bearer(key))
    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["data"]["secret"]
    assert new_secret != webhook["secret"]
    await client.post(f"{one}/ping", headers=bearer(key))
    assert await run_worker() == 1
    latest = rx.wait_for(3)[-1]
    verify(latest, new_secret, webhook["secret"])  # the old secret signs for 24 hours more

    deleted = await client.delete(one, headers=bearer(key))
    assert deleted.status_code == 200
    assert deleted.json()["data"] == {"id": webhook["id"], "deleted": True}
    assert (await client.get(one, headers=bearer(key))).status_code == 404


async def test_bad_input_names_every_field(client: Client, org: OrgSetup) -> None:
    answer = await client.post(
        HOOKS,
        json={"url": "ftp://example.com/x", "events": ["pack.sent", "lead.created"]},
        headers=bearer(org.handover_key),
    )
    assert answer.status_code == 400
    fields = {d["field"] for d in answer.json()["error"]["details"]}
    assert fields == {"url", "events"}


@pytest.mark.parametrize("scopes", [("read",), ("read", "write")])
async def test_only_an_admin_key_manages_webhooks(
    client: Client, org: OrgSetup, db: Database, peppers: Peppers, scopes: tuple[str, ...]
) -> None:
    key = await make_handover_key(db, peppers, org.org_id, scopes)
    for answer in (
        await client.get(HOOKS, headers=bearer(key)),
        await client.post(HOOKS, json={"url": "https://example.com/h"}, headers=bearer(key)),
    ):
        assert answer.status_code == 403
        assert answer.json()["error"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize("plan", ["free", "pro"])
async def test_webhooks_need_the_agency_plan(
    client: Client, db: Database, peppers: Peppers, plan: str
) -> None:
    org = await make_org(db, peppers, handover=PlanChoice(plan))
    answer = await client.post(
        HOOKS, json={"url": "https://example.com/h"}, headers=bearer(org.handover_key)
    )
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "PLAN_LIMIT"
