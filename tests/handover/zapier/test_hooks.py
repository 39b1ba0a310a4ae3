"""Zapier's REST hooks: a subscription (`{target_url, event}` → `{id}`) gets each new event of
its trigger through the webhook engine, signed, as the same item the polling trigger lists (same
`id`); a 410 from the target deletes the subscription; unsubscribing by id removes it. Pro has
them although its plan has no webhooks; they never show among /api/v1/webhooks."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from standardwebhooks.webhooks import Webhook

from finite.core.accounts.service import PlanChoice
from finite.core.webhooks.worker import DeliveryWorker
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.kit.secretbox import SecretBox
from finite.models.webhooks import WebhookDelivery, WebhookEndpoint
from tests.factories import OrgSetup, bearer, make_handover_key, make_org
from tests.handover.factories import create_project, send_pack
from tests.webhook_receiver import Answer, Receiver

# The worker serves every organization of the shared database: it starts on an empty queue.
pytestmark = pytest.mark.usefixtures("quiet_queue")

Client = AsyncTestClient[Litestar]
HOOKS = "/api/v1/zapier/hooks"


async def subscribe(client: Client, key: str, url: str, event: str = "pack-sent") -> str:
    answer = await client.post(HOOKS, json={"target_url": url, "event": event}, headers=bearer(key))
    assert answer.status_code == 201, answer.text
    data = answer.json()["data"]
    assert data["event"] == event
    hook_id: str = data["id"]
    return hook_id


async def hook_row(db: Database, hook_id: str) -> WebhookEndpoint | None:
    async with db.read() as session:
        found: WebhookEndpoint | None = (
            await session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.id == hook_id))
        ).first()
        return found


async def secret_of(db: Database, settings: Any, hook: WebhookEndpoint) -> str:
    from finite.core.webhooks.secrets import binding

    box = SecretBox.from_secrets(settings.secret_key)
    return box.open(hook.secret_sealed, binding(hook.org_id, hook.id, "secret"))


async def test_a_hook_gets_the_polling_triggers_item_signed(
    client: Client,
    org: OrgSetup,
    db: Database,
    settings: Any,
    worker: DeliveryWorker,
    rx: Receiver,
) -> None:
    key = org.handover_key
    hook_id = await subscribe(client, key, rx.url)
    await subscribe(client, key, rx.url, "client-signed-off")  # gets nothing here
    project = await create_project(client, key)
    await send_pack(client, key, project["id"])

    assert await worker.run_once() == 1
    (request,) = rx.wait_for(1)
    hook = await hook_row(db, hook_id)
    assert hook is not None
    Webhook(await secret_of(db, settings, hook)).verify(request.body, request.headers)
    polled = await client.get("/api/v1/zapier/triggers/pack-sent", headers=bearer(key))
    (item,) = polled.json()["data"]
    assert request.json() == item  # the same id: Zapier de-duplicates both ways
    assert item["recipient"] == "jane@example.com"

    listed = await client.get("/api/v1/webhooks", headers=bearer(key))
    assert listed.json()["data"] == []  # a REST hook is not a webhook


async def test_a_410_from_the_target_deletes_the_subscription(
    client: Client, org: OrgSetup, db: Database, worker: DeliveryWorker, rx: Receiver
) -> None:
    key = org.handover_key
    hook_id = await subscribe(client, key, rx.url)
    project = await create_project(client, key)
    rx.default = Answer(status=410, body=b"gone")
    await send_pack(client, key, project["id"])

    assert await worker.run_once() == 1
    rx.wait_for(1)
    assert await hook_row(db, hook_id) is None
    async with db.read() as session:
        left = await session.scalar(
            select(func.count())
            .select_from(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == hook_id)
        )
    assert left == 0

    rx.default = Answer(status=200)
    await send_pack(client, key, project["id"])
    assert await worker.run_once() == 0
    answer = await client.delete(f"{HOOKS}/{hook_id}", headers=bearer(key))
    assert answer.status_code == 404


async def test_unsubscribe_removes_it_for_its_own_organization_only(
    client: Client, org: OrgSetup, db: Database, peppers: Peppers
) -> None:
    hook_id = await subscribe(client, org.handover_key, "http://127.0.0.1:9/zap")
    other = await make_org(db, peppers)
    answer = await client.delete(f"{HOOKS}/{hook_id}", headers=bearer(other.handover_key))
    assert answer.status_code == 404
    assert await hook_row(db, hook_id) is not None

    answer = await client.delete(f"{HOOKS}/{hook_id}", headers=bearer(org.handover_key))
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"] == {"id": hook_id, "deleted": True}
    assert await hook_row(db, hook_id) is None


async def test_bad_subscriptions_are_refused(client: Client, org: OrgSetup) -> None:
    for body, field in (
        ({"target_url": "https://hooks.example.com/x", "event": "lead-created"}, "event"),
        ({"target_url": "file:///etc/passwd", "event": "pack-sent"}, "target_url"),
        ({"event": "pack-sent"}, "target_url"),
    ):
        answer = await client.post(HOOKS, json=body, headers=bearer(org.handover_key))
        assert answer.status_code == 400, (body, answer.text)
        assert field in answer.text


async def test_pro_subscribes_but_a_read_key_and_free_do_not(
    client: Client, db: Database, peppers: Peppers
) -> None:
    pro = await make_org(db, peppers, handover=PlanChoice("pro"))
    await subscribe(client, pro.handover_key, "http://127.0.0.1:9/zap")  # Pro has no webhooks
    read_key = await make_handover_key(db, peppers, pro.org_id, ("read",))
    body = {"target_url": "http://127.0.0.1:9/zap", "event": "pack-sent"}
    answer = await client.post(HOOKS, json=body, headers=bearer(read_key))
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "FORBIDDEN"
    free = await make_org(db, peppers, handover=PlanChoice("free"))
    answer = await client.post(HOOKS, json=body, headers=bearer(free.handover_key))
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "PLAN_LIMIT"


async def test_a_running_worker_deletes_a_gone_subscription_too(
    client: Client, org: OrgSetup, db: Database, worker: DeliveryWorker, rx: Receiver
) -> None:
    """The worker's own loop (as `finite worker` runs it), not only one pass."""
    key = org.handover_key
    hook_id = await subscribe(client, key, rx.url)
    project = await create_project(client, key)
    rx.default = Answer(status=410, body=b"gone")
    await send_pack(client, key, project["id"])
    worker.start()
    await rx.until(1)
    for _ in range(200):
        if await hook_row(db, hook_id) is None:
            break
        await asyncio.sleep(0.02)
    assert await hook_row(db, hook_id) is None
