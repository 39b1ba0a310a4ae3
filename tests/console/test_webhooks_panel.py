"""Admin → Webhooks in the console: create through the form (the secret shown once and on no
other page), list and status, edit, disable and enable, ping, rotate, delete; field errors for
bad input (the CRM's own rules: URL, SSRF, plan limit) with nothing changed; Admins only; CSRF;
the delivery history of real deliveries to a loopback receiver, redeliver and recover; every
change audited with the member as actor."""

from __future__ import annotations

import dataclasses
import html
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from finite.app import create_app
from finite.config import Settings
from finite.core.accounts.service import PlanChoice, set_plan
from finite.core.webhooks.worker import DeliveryWorker
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.models import AuditEntry
from finite.models.webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from tests.console.helpers import (
    Client,
    SignedIn,
    make_console_member,
    post_form,
    sign_in,
)
from tests.factories import OrgSetup, bearer
from tests.webhook_receiver import Answer, FakeClock, Receiver

pytestmark = pytest.mark.usefixtures("quiet_queue")  # the worker sends this test's deliveries
_SECRET = re.compile(r'id="secret" class="secret" value="(whsec_[^"]+)"')
_CREATED_ID = re.compile(r'href="/console/webhooks/(wh[^"/]+)"')


async def admin(client: Client, db: Database, org: OrgSetup) -> SignedIn:
    member = await make_console_member(db, org.org_id, name="Ada Admin")
    return await sign_in(client, member.email)


def form(url: str, **fields: Any) -> dict[str, Any]:
    return {"url": url, "modules": "*", "events": "*", "description": "", **fields}


async def create(client: Client, signed_in: SignedIn, url: str, **fields: Any) -> tuple[str, str]:
    """The new webhook's id and the secret its page showed."""
    answer = await post_form(client, "/console/webhooks", signed_in, form(url, **fields))
    assert answer.status_code == 200, answer.text
    secret = _SECRET.search(answer.text)
    webhook_id = _CREATED_ID.search(answer.text)
    assert secret is not None, answer.text
    assert webhook_id is not None, answer.text
    assert answer.headers["cache-control"] == "no-store"
    return webhook_id.group(1), secret.group(1)


async def endpoints(db: Database, org_id: str) -> list[WebhookEndpoint]:
    async with db.read() as session:
        query = select(WebhookEndpoint).where(WebhookEndpoint.org_id == org_id)
        return list((await session.scalars(query)).all())


async def console_rows(db: Database, org_id: str) -> list[AuditEntry]:
    async with db.read() as session:
        query = (
            select(AuditEntry)
            .where(AuditEntry.org_id == org_id, AuditEntry.module == "webhooks")
            .order_by(AuditEntry.occurred_at, AuditEntry.id)
        )
        return list((await session.scalars(query)).all())


def text_of(page: httpx.Response) -> str:
    return html.unescape(page.text)


async def test_an_admin_creates_a_webhook_and_sees_its_secret_once(
    client: Client, db: Database, org: OrgSetup, rx: Receiver
) -> None:
    signed_in = await admin(client, db, org)
    webhook_id, secret = await create(
        client, signed_in, rx.url, modules=["leads", "contacts"], events="create", description="Zap"
    )
    (stored,) = await endpoints(db, org.org_id)
    assert stored.id == webhook_id
    assert (stored.modules, stored.events, stored.description) == (
        ["leads", "contacts"],
        ["create"],
        "Zap",
    )
    assert secret.encode() not in stored.secret_sealed  # sealed at rest

    pages = [
        await client.get("/console/webhooks"),
        await client.get(f"/console/webhooks/{webhook_id}"),
        await client.get(f"/console/webhooks/{webhook_id}/edit"),
    ]
    for page in pages:
        assert page.status_code == 200, page.text
        assert secret not in page.text
    listing = text_of(pages[0])
    assert rx.url in listing
    assert "leads, contacts" in listing
    assert "Active" in listing
    assert "1 is in use" in listing

    # The secret signs deliveries: the API agrees it is the webhook's.
    (row,) = await console_rows(db, org.org_id)
    assert (row.product, row.action, row.member_id, row.key_id) == (
        "console",
        "webhook.create",
        signed_in_member_id(row),
        None,
    )
    assert row.changes is not None
    assert row.changes["id"] == webhook_id
    assert secret not in str(row.changes)


def signed_in_member_id(row: AuditEntry) -> str:
    assert row.member_id is not None
    return row.member_id


async def test_edit_disable_enable_rotate_and_delete(
    client: Client, db: Database, org: OrgSetup, rx: Receiver
) -> None:
    signed_in = await admin(client, db, org)
    webhook_id, secret = await create(client, signed_in, rx.url)

    edited = await post_form(
        client,
        f"/console/webhooks/{webhook_id}/edit",
        signed_in,
        form(rx.url + "/v2", modules=["deals"], events=["update", "delete"], description="New"),
    )
    assert edited.status_code == 303
    assert edited.headers["location"] == f"/console/webhooks/{webhook_id}?done=updated"
    (stored,) = await endpoints(db, org.org_id)
    assert (stored.url, stored.modules, stored.events) == (
        rx.url + "/v2",
        ["deals"],
        ["update", "delete"],
    )

    disabled = await post_form(client, f"/console/webhooks/{webhook_id}/disable", signed_in)
    assert disabled.status_code == 303
    page = text_of(await client.get(f"/console/webhooks/{webhook_id}"))
    assert "Disabled since" in page
    assert "Disabled by an administrator." in page
    listing = text_of(await client.get("/console/webhooks"))
    assert "Disabled by an administrator." in listing
    # A disabled webhook is not pinged: the service's refusal, as a page.
    refused = await post_form(client, f"/console/webhooks/{webhook_id}/ping", signed_in)
    assert refused.status_code == 409
    assert "enable it before sending a test event" in refused.text

    enabled = await post_form(client, f"/console/webhooks/{webhook_id}/enable", signed_in)
    assert enabled.status_code == 303
    assert (await endpoints(db, org.org_id))[0].status == "active"

    rotated = await post_form(client, f"/console/webhooks/{webhook_id}/rotate-secret", signed_in)
    assert rotated.status_code == 200
    found = _SECRET.search(rotated.text)
    assert found is not None
    new_secret = found.group(1)
    assert new_secret != secret
    assert "also signs every delivery until" in rotated.text
    shown = await client.get(f"/console/webhooks/{webhook_id}")
    assert new_secret not in shown.text
    assert secret not in shown.text

    confirm = await client.get(f"/console/webhooks/{webhook_id}/delete")
    assert confirm.status_code == 200
    assert "cannot be undone" in confirm.text
    assert len(await endpoints(db, org.org_id)) == 1  # asking changes nothing
    deleted = await post_form(client, f"/console/webhooks/{webhook_id}/delete", signed_in)
    assert deleted.status_code == 303
    assert await endpoints(db, org.org_id) == []

    actions = [row.action for row in await console_rows(db, org.org_id)]
    assert actions == [
        "webhook.create",
        "webhook.update",
        "webhook.disable",
        "webhook.enable",
        "webhook.rotate_secret",
        "webhook.delete",
    ]
    rows = await console_rows(db, org.org_id)
    assert rows[1].changes is not None
    assert rows[1].changes["url"] == {"before": rx.url, "after": rx.url + "/v2"}
    assert all(new_secret not in str(row.changes) for row in rows)


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        ({"url": "ftp://example.com/x"}, "url", "http"),
        ({"url": ""}, "url", ""),
        ({"modules": ["leads", "unicorns"]}, "modules", "unknown 'unicorns'"),
        ({"events": []}, "events", 'must be "*" or a non-empty list'),
        ({"description": "x" * 501}, "description", "at most 500"),
    ],
)
async def test_bad_input_shows_the_form_again_with_the_reason_and_changes_nothing(
    client: Client,
    db: Database,
    org: OrgSetup,
    fields: dict[str, Any],
    field: str,
    reason: str,
) -> None:
    signed_in = await admin(client, db, org)
    data = {**form("https://hooks.example.com/in"), **fields}
    if data["events"] == []:
        del data["events"]
    answer = await post_form(client, "/console/webhooks", signed_in, data)
    assert answer.status_code == 400, answer.text
    page = text_of(answer)
    assert "Nothing was saved." in page
    assert f"<li>{field}: " in page
    assert reason in page
    assert "whsec_" not in page
    assert await endpoints(db, org.org_id) == []
    assert await console_rows(db, org.org_id) == []


async def test_every_bad_field_is_named_at_once(
    client: Client, db: Database, org: OrgSetup
) -> None:
    signed_in = await admin(client, db, org)
    data = {"url": "nope", "modules": "unicorns", "description": "ok"}
    answer = await post_form(client, "/console/webhooks", signed_in, data)
    assert answer.status_code == 400
    page = text_of(answer)
    assert "<li>url: " in page
    assert "<li>modules: " in page
    assert "<li>events: " in page
    assert 'value="nope"' in answer.text  # the form keeps what was typed


@pytest.fixture
async def public_only_client(settings: Settings) -> AsyncIterator[Client]:
    app = create_app(dataclasses.replace(settings, allow_private_targets=False))
    async with AsyncTestClient(app) as test_client:
        yield test_client


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1/hooks", "http://10.0.0.8/x", "http://[::1]/", "http://169.254.169.254/"],
)
async def test_a_private_target_is_refused_by_the_ssrf_rules(
    public_only_client: Client, db: Database, org: OrgSetup, url: str
) -> None:
    signed_in = await admin(public_only_client, db, org)
    answer = await post_form(public_only_client, "/console/webhooks", signed_in, form(url))
    assert answer.status_code == 400, answer.text
    assert "<li>url: " in answer.text
    assert await endpoints(db, org.org_id) == []


async def test_the_plans_limit_is_a_form_error(
    client: Client, db: Database, org: OrgSetup, rx: Receiver
) -> None:
    async with db.transaction() as session:
        await set_plan(session, org.org_id, "crm", PlanChoice("free"))
    signed_in = await admin(client, db, org)
    await create(client, signed_in, rx.url)
    listing = text_of(await client.get("/console/webhooks"))
    assert "The plan's limit is reached" in listing
    answer = await post_form(client, "/console/webhooks", signed_in, form(rx.url + "/2"))
    assert answer.status_code == 403
    page = text_of(answer)
    assert "The free plan allows 1 webhook endpoint and 1 is in use" in page
    assert "whsec_" not in page
    assert len(await endpoints(db, org.org_id)) == 1


async def test_members_who_are_not_admins_are_refused(
    client: Client, db: Database, org: OrgSetup, rx: Receiver
) -> None:
    owner = await admin(client, db, org)
    webhook_id, _ = await create(client, owner, rx.url)
    member = await make_console_member(db, org.org_id, role="Standard")
    other = await sign_in(client, member.email)
    for path in ("/console/webhooks", f"/console/webhooks/{webhook_id}", "/console/webhooks/new"):
        page = await client.get(path, headers=other.cookie)
        assert page.status_code == 403, path
    refused = await post_form(client, "/console/webhooks", other, form(rx.url))
    assert refused.status_code == 403
    disabled = await post_form(client, f"/console/webhooks/{webhook_id}/disable", other)
    assert disabled.status_code == 403
    assert [e.status for e in await endpoints(db, org.org_id)] == ["active"]


async def test_without_the_csrf_token_nothing_changes(
    client: Client, db: Database, org: OrgSetup, rx: Receiver
) -> None:
    signed_in = await admin(client, db, org)
    webhook_id, _ = await create(client, signed_in, rx.url)
    for path, data in [
        ("/console/webhooks", form(rx.url + "/2")),
        (f"/console/webhooks/{webhook_id}/disable", {}),
        (f"/console/webhooks/{webhook_id}/delete", {}),
        (f"/console/webhooks/{webhook_id}/rotate-secret", {}),
    ]:
        answer = await post_form(client, path, signed_in, data, csrf="")
        assert answer.status_code == 403, path
        assert "whsec_" not in answer.text
    (stored,) = await endpoints(db, org.org_id)
    assert stored.status == "active"
    assert stored.previous_secret_sealed is None
    assert len(await console_rows(db, org.org_id)) == 1  # the create alone


async def test_another_organizations_webhook_is_not_found(
    client: Client, db: Database, org: OrgSetup, rx: Receiver
) -> None:
    from finite.kit.derived_keys import Peppers
    from tests.conftest import TEST_SECRET
    from tests.factories import make_org

    other = await make_org(db, Peppers.from_secrets(TEST_SECRET))
    theirs = await make_console_member(db, other.org_id)
    their_session = await sign_in(client, theirs.email)
    webhook_id, _ = await create(client, their_session, rx.url)
    mine = await admin(client, db, org)
    assert (
        await client.get(f"/console/webhooks/{webhook_id}", headers=mine.cookie)
    ).status_code == 404
    deleted = await post_form(client, f"/console/webhooks/{webhook_id}/delete", mine)
    assert deleted.status_code == 404
    assert len(await endpoints(db, other.org_id)) == 1


async def _history(client: Client, webhook_id: str, **params: str) -> str:
    page = await client.get(f"/console/webhooks/{webhook_id}", params=params)
    assert page.status_code == 200, page.text
    return text_of(page)


async def _attempts(db: Database, delivery_id: str) -> int:
    async with db.read() as session:
        found = await session.scalar(
            select(func.count())
            .select_from(WebhookAttempt)
            .where(WebhookAttempt.delivery_id == delivery_id)
        )
    return int(found or 0)


async def _deliveries(db: Database, webhook_id: str) -> list[WebhookDelivery]:
    async with db.read() as session:
        query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == webhook_id)
        return list((await session.scalars(query.order_by(WebhookDelivery.id))).all())


async def test_real_deliveries_show_in_the_history_and_are_sent_again(
    client: Client,
    db: Database,
    org: OrgSetup,
    rx: Receiver,
    worker: DeliveryWorker,
    clock: FakeClock,
) -> None:
    signed_in = await admin(client, db, org)
    webhook_id, _ = await create(client, signed_in, rx.url, modules=["leads"])
    rx.script = [Answer(status=503, body=b"upstream asleep")]
    lead = await client.post(
        "/api/records/leads", json={"name": "Asha Rao"}, headers=bearer(org.crm_key)
    )
    assert lead.status_code == 201, lead.text
    clock.set(utcnow())
    assert await worker.run_once() == 1
    rx.wait_for(1)

    (delivery,) = await _deliveries(db, webhook_id)
    page = await _history(client, webhook_id)
    assert delivery.id in page
    assert "create leads" in page
    assert "503" in page
    assert "upstream asleep" in page
    assert " ms" in page
    assert "failed" in page  # will retry: the next retry is shown
    assert "Active, failing since" in page
    detail = text_of(await client.get(f"/console/webhooks/{webhook_id}/deliveries/{delivery.id}"))
    assert "upstream asleep" in detail
    assert '"event":"create"' in detail.replace(" ", "")
    failed_only = await _history(client, webhook_id, status="succeeded")
    assert delivery.id not in failed_only

    redelivered = await post_form(
        client, f"/console/webhooks/{webhook_id}/deliveries/{delivery.id}/redeliver", signed_in
    )
    assert redelivered.status_code == 303
    clock.set(utcnow())
    assert await worker.run_once() == 1
    rx.wait_for(2)
    assert await _attempts(db, delivery.id) == 2
    page = await _history(client, webhook_id)
    assert "succeeded" in page
    assert ">200<" in page.replace(" ", "")

    pinged = await post_form(client, f"/console/webhooks/{webhook_id}/ping", signed_in)
    assert pinged.status_code == 303
    clock.set(utcnow())
    assert await worker.run_once() == 1
    (_, ping) = await _deliveries(db, webhook_id)
    assert ping.event == "ping"
    assert ping.status == "succeeded"
    assert rx.bodies()[-1]["event"] == "ping"

    actions = [row.action for row in await console_rows(db, org.org_id)]
    assert actions == ["webhook.create", "webhook.redeliver", "webhook.ping"]


async def test_recover_queues_failed_deliveries_since_a_time(
    client: Client,
    db: Database,
    org: OrgSetup,
    rx: Receiver,
    worker: DeliveryWorker,
    clock: FakeClock,
) -> None:
    signed_in = await admin(client, db, org)
    webhook_id, _ = await create(client, signed_in, rx.url)
    start = utcnow().replace(microsecond=0)
    async with db.transaction() as session:
        for number in range(2):
            session.add(
                WebhookDelivery(
                    org_id=org.org_id,
                    id=f"dlv{start.timestamp():.0f}{number}",
                    endpoint_id=webhook_id,
                    event_id=None,
                    event="ping",
                    module=None,
                    subject_id=None,
                    payload="{}",
                    status="dead",
                    attempts_in_round=8,
                    attempt_total=8,
                    next_attempt_at=None,
                    created_at=start,
                )
            )

    bad = await post_form(
        client, f"/console/webhooks/{webhook_id}/recover", signed_in, {"since": "soon"}
    )
    assert bad.status_code == 400
    assert "<li>since: must be a date and time" in bad.text
    future = await post_form(
        client, f"/console/webhooks/{webhook_id}/recover", signed_in, {"since": "2999-01-01T00:00"}
    )
    assert future.status_code == 400
    assert "must not be in the future" in future.text
    assert {d.status for d in await _deliveries(db, webhook_id)} == {"dead"}

    since = start.strftime("%Y-%m-%dT%H:%M")
    answer = await post_form(
        client, f"/console/webhooks/{webhook_id}/recover", signed_in, {"since": since}
    )
    assert answer.status_code == 200, answer.text
    assert "2 failed deliveries are queued again." in answer.text
    assert {d.status for d in await _deliveries(db, webhook_id)} == {"pending"}
    (row,) = [r for r in await console_rows(db, org.org_id) if r.action == "webhook.recover"]
    assert row.changes is not None
    assert row.changes["requeued"] == 2


# --- the handover's webhooks: the same pages over the handover's service -----------------------


async def test_handover_webhooks_have_their_own_panel(
    client: Client,
    db: Database,
    org: OrgSetup,
    rx: Receiver,
    worker: DeliveryWorker,
    clock: FakeClock,
) -> None:
    signed_in = await admin(client, db, org)
    crm_page = text_of(await client.get("/console/webhooks"))
    assert 'href="/console/handover/webhooks"' in crm_page

    bad = await post_form(
        client,
        "/console/handover/webhooks",
        signed_in,
        {"url": "ftp://x", "events": "create", "description": ""},
    )
    assert bad.status_code == 400
    page = text_of(bad)
    assert "<li>url: " in page
    assert "<li>events: unknown 'create'" in page
    assert 'name="modules"' not in bad.text  # the handover's events have no module

    answer = await post_form(
        client, "/console/handover/webhooks", signed_in, {"url": rx.url, "events": "*"}
    )
    assert answer.status_code == 200, answer.text
    found = _SECRET.search(answer.text)
    assert found is not None
    secret = found.group(1)
    async with db.read() as session:
        query = select(WebhookEndpoint).where(WebhookEndpoint.org_id == org.org_id)
        (stored,) = (await session.scalars(query)).all()
    assert stored.product == "handover"
    assert "/console/webhooks/" + stored.id not in answer.text
    assert (await client.get(f"/console/webhooks/{stored.id}")).status_code == 404  # not the CRM's
    listing = await client.get("/console/handover/webhooks")
    assert rx.url in listing.text
    assert secret not in listing.text

    pinged = await post_form(client, f"/console/handover/webhooks/{stored.id}/ping", signed_in)
    assert pinged.status_code == 303
    assert pinged.headers["location"] == f"/console/handover/webhooks/{stored.id}?done=pinged"
    clock.set(utcnow())
    assert await worker.run_once() == 1
    rx.wait_for(1)
    history = text_of(await client.get(f"/console/handover/webhooks/{stored.id}"))
    assert "ping" in history
    assert "succeeded" in history
    assert secret not in history

    rows = [row for row in await _all_console_rows(db, org.org_id)]
    assert [(row.module, row.action) for row in rows] == [
        ("handover.webhooks", "webhook.create"),
        ("handover.webhooks", "webhook.ping"),
    ]

    member = await make_console_member(db, org.org_id, role="Standard")
    other = await sign_in(client, member.email)
    refused = await client.get("/console/handover/webhooks", headers=other.cookie)
    assert refused.status_code == 403


async def _all_console_rows(db: Database, org_id: str) -> list[AuditEntry]:
    async with db.read() as session:
        query = (
            select(AuditEntry)
            .where(AuditEntry.org_id == org_id, AuditEntry.module.like("%webhooks"))
            .order_by(AuditEntry.occurred_at, AuditEntry.id)
        )
        return list((await session.scalars(query)).all())
