"""Zapier's polling triggers read the handover's event log: in the envelope, newest first, each
item's `id` the event's (unique, stable across polls), at most 100, honouring `limit` and
`page`; one organization never sees another's; Free has none, Pro and Agency have them."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from finite.core.accounts.service import PlanChoice
from finite.handover.events import HandoverEvent, moment, record_handover_event
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from tests.factories import OrgSetup, bearer, make_handover_key, make_org
from tests.handover.factories import create_project, send_pack

Client = AsyncTestClient[Litestar]
TRIGGERS = "/api/v1/zapier/triggers"


async def poll(client: Client, key: str, trigger: str, **params: Any) -> list[dict[str, Any]]:
    answer = await client.get(f"{TRIGGERS}/{trigger}", params=params, headers=bearer(key))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["error"] is None
    assert body["meta"]["request_id"]
    items: list[dict[str, Any]] = body["data"]
    return items


async def test_pack_sent_lists_each_send_newest_first(client: Client, org: OrgSetup) -> None:
    key = org.handover_key
    project = await create_project(client, key)
    first = ["a1@example.com", "a2@example.com", "a3@example.com"]
    await send_pack(client, key, project["id"], recipients=first)
    await send_pack(client, key, project["id"], recipients=["b1@example.com", "b2@example.com"])

    items = await poll(client, key, "pack-sent")
    assert len(items) == 5
    ids = [item["id"] for item in items]
    assert ids == sorted(ids, reverse=True)  # ULIDs: newest first
    assert len(set(ids)) == 5
    assert {item["recipient"] for item in items[:2]} == {"b1@example.com", "b2@example.com"}
    assert {item["recipient"] for item in items[2:]} == set(first)
    item = items[0]
    assert item["event"] == "pack.sent"
    assert item["project_id"] == project["id"]
    assert item["project_name"] == "Website closeout"
    assert item["client_email"] == "jane@example.com"
    assert item["client_name"] == "Jane Smith"
    assert item["occurred_at"].endswith("Z")
    assert await poll(client, key, "pack-sent") == items  # stable

    assert await poll(client, key, "pack-sent", limit=2) == items[:2]
    assert await poll(client, key, "pack-sent", limit=2, page=1) == items[2:4]
    assert await poll(client, key, "pack-sent", limit=2, page=3) == []
    assert await poll(client, key, "pack-viewed") == []
    for bad in ({"limit": 0}, {"limit": 101}, {"page": -1}):
        answer = await client.get(f"{TRIGGERS}/pack-sent", params=bad, headers=bearer(key))
        assert answer.status_code == 400, bad


async def test_at_most_100_items(client: Client, org: OrgSetup, db: Database) -> None:
    project = await create_project(client, org.handover_key)
    await record(db, org, project["id"], "pack.viewed", 105)
    items = await poll(client, org.handover_key, "pack-viewed")
    assert len(items) == 100
    assert len(await poll(client, org.handover_key, "pack-viewed", page=1)) == 5


async def record(
    db: Database, org: OrgSetup, project_id: str, event: HandoverEvent, n: int
) -> None:
    """What the client page and the sign-off record (their own work)."""
    async with db.transaction() as session:
        for number in range(n):
            await record_handover_event(
                session,
                org_id=org.org_id,
                event=event,
                project_id=project_id,
                data={"number": number, "at": moment(utcnow())},
            )


@pytest.mark.parametrize(
    ("trigger", "event"),
    [("pack-viewed", "pack.viewed"), ("client-signed-off", "signoff.completed")],
)
async def test_each_trigger_lists_its_own_event(
    client: Client, org: OrgSetup, db: Database, trigger: str, event: HandoverEvent
) -> None:
    project = await create_project(client, org.handover_key)
    await send_pack(client, org.handover_key, project["id"])
    await record(db, org, project["id"], event, 2)
    await record(db, org, project["id"], "credential.revealed", 1)
    items = await poll(client, org.handover_key, trigger)
    assert [item["event"] for item in items] == [event, event]
    assert sorted(item["number"] for item in items) == [0, 1]


async def test_another_organizations_events_never_show(
    client: Client, org: OrgSetup, db: Database, peppers: Peppers
) -> None:
    other = await make_org(db, peppers)
    project = await create_project(client, other.handover_key)
    await send_pack(client, other.handover_key, project["id"])
    assert await poll(client, org.handover_key, "pack-sent") == []
    assert len(await poll(client, other.handover_key, "pack-sent")) == 1


async def test_a_read_key_polls(
    client: Client, org: OrgSetup, db: Database, peppers: Peppers
) -> None:
    key = await make_handover_key(db, peppers, org.org_id, ("read",))
    assert await poll(client, key, "client-signed-off") == []


async def test_pro_polls_free_does_not(client: Client, db: Database, peppers: Peppers) -> None:
    pro = await make_org(db, peppers, handover=PlanChoice("pro"))
    assert await poll(client, pro.handover_key, "pack-sent") == []
    free = await make_org(db, peppers, handover=PlanChoice("free"))
    answer = await client.get(f"{TRIGGERS}/pack-sent", headers=bearer(free.handover_key))
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "PLAN_LIMIT"
