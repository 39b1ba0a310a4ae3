"""The handover's event log: `project.created` and `pack.sent` (one per recipient) are written
with their change, in its transaction, and roll back with it; their data names the project, the
client and the recipient, never a token or a password."""

from __future__ import annotations

import re
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from finite.core.plans.entitlement import entitlement_for
from finite.handover.events import record_handover_event
from finite.handover.projects.schemas import ProjectIn
from finite.handover.projects.service import create_project as create_project_service
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.models.events import Event
from finite.models.handover import HandoverProject
from tests.factories import OrgSetup
from tests.handover.factories import create_project, send_pack

Client = AsyncTestClient[Litestar]
TOKEN = re.compile(r"pk_[A-Za-z0-9_-]{43}")


async def events_of(db: Database, org_id: str) -> list[Event]:
    async with db.read() as session:
        found = await session.scalars(
            select(Event)
            .where(Event.org_id == org_id, Event.product == "handover")
            .order_by(Event.id)
        )
        return list(found)


async def test_creating_a_project_records_project_created(
    client: Client, org: OrgSetup, db: Database
) -> None:
    project = await create_project(client, org.handover_key)

    (event,) = await events_of(db, org.org_id)
    assert event.event == "project.created"
    assert event.module == "projects"
    assert event.subject_id == project["id"]
    assert event.data["projectId"] == project["id"]
    assert event.data["projectName"] == "Website closeout"
    assert event.data["clientId"] == project["client"]["id"]
    assert event.data["clientEmail"] == "jane@example.com"
    assert event.data["packId"] == project["packId"]
    assert event.data["launchDate"] == "2026-06-01"


async def test_each_recipient_of_a_send_is_one_pack_sent_event(
    client: Client, org: OrgSetup, db: Database
) -> None:
    project = await create_project(client, org.handover_key)
    recipients = ["jane@example.com", "ops@example.com", "cto@example.com"]
    sent = await send_pack(
        client, org.handover_key, project["id"], recipients=recipients, personalMessage="Hi"
    )

    found = [e for e in await events_of(db, org.org_id) if e.event == "pack.sent"]
    assert sorted(e.data["recipient"] for e in found) == sorted(recipients)
    by_recipient = {e.data["recipient"]: e for e in found}
    for send in sent["sends"]:
        event = by_recipient[send["recipientEmail"]]
        assert event.subject_id == project["id"]
        assert event.data["sendId"] == send["id"]
        assert event.data["projectStatus"] == "pack_sent"
        assert event.data["personalMessage"] == "Hi"
        assert event.data["linkExpiresAt"].startswith(send["linkExpiresAt"][:16])
    dumped = msgspec.json.encode([e.data for e in found]).decode()
    assert not TOKEN.search(dumped)  # the link's token went into the mail only
    assert "/p/" not in dumped


async def test_a_refused_send_records_nothing(client: Client, org: OrgSetup, db: Database) -> None:
    project = await create_project(client, org.handover_key)
    answer = await client.post(
        f"/api/v1/projects/{project['id']}/pack/send",
        json={"recipients": ["not an address"]},
        headers={"Authorization": f"Bearer {org.handover_key}"},
    )
    assert answer.status_code == 400
    assert [e.event for e in await events_of(db, org.org_id)] == ["project.created"]


async def test_the_event_rolls_back_with_its_change(org: OrgSetup, db: Database) -> None:
    class Abandoned(Exception):
        pass

    data = msgspec.convert(
        {
            "name": "Never",
            "clientName": "Nia",
            "clientEmail": "nia@example.com",
            "projectType": "SEO",
        },
        ProjectIn,
    )
    entitlement = entitlement_for("handover", "agency", "active", None, None, None, utcnow())

    async def create_then_fail() -> None:
        async with db.transaction() as session:
            await create_project_service(session, org.org_id, entitlement, data)
            written = await session.scalars(select(Event.event).where(Event.org_id == org.org_id))
            assert list(written) == ["project.created"]  # in the transaction, until it fails
            raise Abandoned

    with pytest.raises(Abandoned):
        await create_then_fail()
    assert await events_of(db, org.org_id) == []
    async with db.read() as session:
        projects = await session.scalars(
            select(HandoverProject).where(HandoverProject.org_id == org.org_id)
        )
        assert list(projects) == []


@pytest.mark.parametrize("name", ["token", "linkToken", "password", "packPassword", "secret"])
async def test_event_data_never_takes_a_secret(
    client: Client, org: OrgSetup, db: Database, name: str
) -> None:
    project = await create_project(client, org.handover_key)
    extra: dict[str, Any] = {name: "x"}
    async with db.transaction() as session:
        with pytest.raises(ValueError, match="secrets"):
            await record_handover_event(
                session,
                org_id=org.org_id,
                event="credential.revealed",
                project_id=project["id"],
                data=extra,
            )
