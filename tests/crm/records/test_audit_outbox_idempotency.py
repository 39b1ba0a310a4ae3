"""Audit trail, events outbox and Idempotency-Key on CRM records, on SQLite and PostgreSQL.

Every API call leaves exactly one audit row; a change's row, its event and the change itself
commit in one transaction; a retried POST with an Idempotency-Key acts once.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from httpx import Response
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import Text, cast, func, select, update
from sqlalchemy.exc import IntegrityError

import finite.core.audit.writer as audit_writer
import finite.core.idempotency.store as idempotency_store
import finite.platform.unit_of_work as unit_of_work_module
from finite.app import create_app
from finite.config import Settings
from finite.core.accounts.service import PlanChoice, set_plan
from finite.core.auth.authenticate import authenticate
from finite.crm.fields.service import load_schema
from finite.crm.modules.tables import MODULE_TABLES
from finite.crm.records import service
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.models import AuditEntry, Event
from finite.models.crm import RecordCounter
from finite.models.events import IdempotentRequest
from tests.concurrency import concurrent_client
from tests.factories import OrgSetup, bearer, make_member_key

Client = AsyncTestClient[Litestar]
UA = "finite-audit-test/1.0 (+pytest)"
LEADS = "/api/records/leads"
LEAD_BODY = {"name": "Ada Lovelace", "company": "Analytical Engines", "email": "ada@example.com"}


def headers(key: str, **extra: str) -> dict[str, str]:
    return {**bearer(key), "User-Agent": UA, **extra}


async def flush(client: Client) -> None:
    """Write the buffered audit rows now. The test client serves the app on its own event loop
    in another thread (its blocking portal), where the app's database connections live."""
    client.blocking_portal.call(client.app.state.platform.audit.flush)


async def rows_of(db: Database, request_id: str) -> list[AuditEntry]:
    async with db.read() as session:
        found = await session.execute(select(AuditEntry).where(AuditEntry.request_id == request_id))
        return list(found.scalars().all())


async def only_row(db: Database, response: Response) -> AuditEntry:
    found = await rows_of(db, response.headers["X-Request-ID"])
    assert len(found) == 1, [(r.method, r.path, r.status) for r in found]
    return found[0]


async def org_rows(db: Database, org_id: str) -> list[AuditEntry]:
    async with db.read() as session:
        found = await session.execute(select(AuditEntry).where(AuditEntry.org_id == org_id))
        return list(found.scalars().all())


async def events_of(db: Database, org_id: str, record_id: int | None = None) -> list[Event]:
    query = select(Event).where(Event.org_id == org_id, Event.module == "leads")
    if record_id is not None:
        query = query.where(Event.record_id == record_id)
    async with db.read() as session:
        found = await session.execute(query.order_by(Event.version, Event.occurred_at))
        return list(found.scalars().all())


async def lead_count(db: Database, org_id: str) -> int:
    leads = MODULE_TABLES["leads"]
    async with db.read() as session:
        query = select(func.count()).select_from(leads).where(leads.c.org_id == org_id)
        return int((await session.execute(query)).scalar_one())


def assert_caller(row: AuditEntry, response: Response, org: OrgSetup) -> None:
    """Who and how: the CRM key by id and name, its member, the request id, IP and agent."""
    assert row.request_id == response.headers["X-Request-ID"]
    assert row.org_id == org.org_id
    assert row.product == "crm"
    assert row.key_id == org.crm_key_id
    assert row.key_name == "crm test"
    assert row.member_id == org.owner_id
    assert row.client_ip  # the test client's address
    assert row.user_agent == UA
    assert row.occurred_at is not None


async def create_lead(client: Client, key: str, body: dict[str, Any] | None = None) -> Response:
    response = await client.post(LEADS, json=body or LEAD_BODY, headers=headers(key))
    assert response.status_code == 201, response.text
    return response


# --- A. One audit row per API call ----------------------------------------------------------


async def test_a_create_leaves_one_row_with_the_after_values(
    client: Client, db: Database, org: OrgSetup
) -> None:
    response = await create_lead(client, org.crm_key)
    lead = response.json()
    row = await only_row(db, response)
    assert_caller(row, response, org)
    assert (row.method, row.path, row.status) == ("POST", LEADS, 201)
    assert (row.module, row.record_id, row.action) == ("leads", lead["id"], "create")
    assert row.changes is not None
    for field, value in LEAD_BODY.items():
        assert row.changes[field] == {"before": None, "after": value}
    assert row.changes["status"] == {"before": None, "after": "New"}  # the default, too
    assert row.changes["owner"] == {"before": None, "after": org.owner_id}
    assert not {"id", "version", "created_at", "updated_at"} & set(row.changes)


async def test_an_update_row_diffs_only_the_changed_fields(
    client: Client, db: Database, org: OrgSetup
) -> None:
    lead = (await create_lead(client, org.crm_key)).json()
    response = await client.put(
        f"{LEADS}/{lead['id']}",
        json={"company": "Difference Engines", "status": "Contacted", "name": LEAD_BODY["name"]},
        headers=headers(org.crm_key),
    )
    assert response.status_code == 200, response.text
    row = await only_row(db, response)
    assert_caller(row, response, org)
    assert (row.method, row.status, row.action) == ("PUT", 200, "update")
    assert (row.module, row.record_id) == ("leads", lead["id"])
    assert row.changes == {
        "company": {"before": "Analytical Engines", "after": "Difference Engines"},
        "status": {"before": "New", "after": "Contacted"},
    }


async def test_a_delete_row_keeps_the_before_values(
    client: Client, db: Database, org: OrgSetup
) -> None:
    lead = (await create_lead(client, org.crm_key)).json()
    response = await client.delete(f"{LEADS}/{lead['id']}", headers=headers(org.crm_key))
    assert response.status_code == 204, response.text
    row = await only_row(db, response)
    assert_caller(row, response, org)
    assert (row.method, row.status, row.action) == ("DELETE", 204, "delete")
    assert (row.module, row.record_id) == ("leads", lead["id"])
    assert row.changes is not None
    assert row.changes["name"] == {"before": LEAD_BODY["name"], "after": None}
    assert row.changes["company"] == {"before": LEAD_BODY["company"], "after": None}
    assert row.changes["id"] == {"before": lead["id"], "after": None}
    assert row.changes["version"] == {"before": 1, "after": None}


async def test_reads_leave_one_row_each(client: Client, db: Database, org: OrgSetup) -> None:
    lead = (await create_lead(client, org.crm_key)).json()
    trace = f"trace-{lead['id']}-{org.org_id[-8:]}"
    got = await client.get(
        f"{LEADS}/{lead['id']}", headers=headers(org.crm_key, **{"X-Request-ID": trace})
    )
    assert got.headers["X-Request-ID"] == trace  # the caller's own id is kept
    listed = await client.get(f"{LEADS}?page=1&per_page=10", headers=headers(org.crm_key))
    assert (got.status_code, listed.status_code) == (200, 200)
    await flush(client)
    row = await only_row(db, got)
    assert_caller(row, got, org)
    assert (row.method, row.path, row.status) == ("GET", f"{LEADS}/{lead['id']}", 200)
    assert (row.module, row.record_id, row.action, row.changes) == (
        "leads",
        lead["id"],
        "view",
        None,
    )
    row = await only_row(db, listed)
    assert_caller(row, listed, org)
    assert (row.method, row.path, row.status) == ("GET", LEADS, 200)
    assert (row.module, row.record_id, row.action, row.changes) == ("leads", None, "list", None)


async def test_refusals_and_failures_leave_one_row_each(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    invalid = await client.post(LEADS, json={"name": "", "bogus": 1}, headers=headers(org.crm_key))
    assert invalid.status_code == 400
    missing = await client.get(f"{LEADS}/987654", headers=headers(org.crm_key))
    assert missing.status_code == 404
    unknown = await client.get("/api/records/no_such_module", headers=headers(org.crm_key))
    assert unknown.status_code == 404
    reader_id, reader_key = await make_member_key(db, peppers, org.org_id, "Read-only")
    refused = await client.post(LEADS, json=LEAD_BODY, headers=headers(reader_key))
    assert refused.status_code == 403
    await flush(client)

    row = await only_row(db, invalid)
    assert_caller(row, invalid, org)
    assert (row.status, row.module, row.action, row.record_id, row.changes) == (
        400,
        "leads",
        "create",
        None,
        None,
    )
    row = await only_row(db, missing)
    assert_caller(row, missing, org)
    assert (row.status, row.module, row.record_id, row.action, row.changes) == (
        404,
        "leads",
        987654,
        "view",
        None,
    )
    row = await only_row(db, unknown)
    assert_caller(row, unknown, org)
    assert (row.status, row.path, row.changes) == (404, "/api/records/no_such_module", None)

    row = await only_row(db, refused)
    assert row.request_id == refused.headers["X-Request-ID"]
    assert (row.org_id, row.member_id, row.key_name) == (org.org_id, reader_id, "Read-only key")
    assert row.key_id
    assert row.key_id != org.crm_key_id
    assert (row.status, row.module, row.action, row.record_id, row.changes) == (
        403,
        "leads",
        "create",
        None,
        None,
    )
    assert row.user_agent == UA
    assert await lead_count(db, org.org_id) == 0


async def test_a_bad_key_leaves_an_anonymous_row_on_both_surfaces(
    client: Client, db: Database, org: OrgSetup
) -> None:
    forged = org.crm_key[:-4] + ("AAAA" if not org.crm_key.endswith("AAAA") else "BBBB")
    crm = await client.post(LEADS, json=LEAD_BODY, headers=headers(forged))
    handover = await client.get("/api/v1/auth", headers=headers("fz_live_not-a-real-key"))
    no_header = await client.get(LEADS, headers={"User-Agent": UA})
    assert (crm.status_code, handover.status_code, no_header.status_code) == (401, 401, 401)
    await flush(client)
    for response, product, method, path in (
        (crm, "crm", "POST", LEADS),
        (handover, "handover", "GET", "/api/v1/auth"),
        (no_header, "crm", "GET", LEADS),
    ):
        row = await only_row(db, response)
        assert (row.org_id, row.key_id, row.key_name, row.member_id) == ("", None, None, None)
        assert (row.product, row.method, row.path, row.status) == (product, method, path, 401)
        assert row.user_agent == UA
        assert row.client_ip
        serialized = json.dumps([row.changes, row.path, row.user_agent, row.key_name])
        assert forged not in serialized
        assert "fz_live_not-a-real-key" not in serialized
    assert await lead_count(db, org.org_id) == 0


async def test_a_rate_limited_call_leaves_a_row_and_creates_nothing(
    client: Client, db: Database, org: OrgSetup
) -> None:
    async with db.transaction() as session:
        await set_plan(session, org.org_id, "crm", PlanChoice("enterprise"), rpm_override=1)
    first = await client.get(LEADS, headers=headers(org.crm_key))
    assert first.status_code == 200
    limited = await client.post(LEADS, json=LEAD_BODY, headers=headers(org.crm_key))
    assert limited.status_code == 429, limited.text
    assert limited.json()["code"] == "RATE_LIMITED"
    await flush(client)
    row = await only_row(db, limited)
    assert_caller(row, limited, org)
    assert (row.method, row.path, row.status, row.changes) == ("POST", LEADS, 429, None)
    assert row.record_id is None
    assert await lead_count(db, org.org_id) == 0
    assert await events_of(db, org.org_id) == []


async def test_the_handover_auth_call_leaves_a_handover_row(
    client: Client, db: Database, org: OrgSetup
) -> None:
    response = await client.get("/api/v1/auth", headers=headers(org.handover_key))
    assert response.status_code == 200, response.text
    await flush(client)
    row = await only_row(db, response)
    assert row.request_id == response.headers["X-Request-ID"]
    assert (row.org_id, row.product) == (org.org_id, "handover")
    assert (row.key_id, row.key_name) == (org.handover_key_id, "handover test")
    assert row.member_id == org.owner_id  # the factory gives the handover key the owner
    assert (row.method, row.path, row.status, row.changes) == ("GET", "/api/v1/auth", 200, None)
    assert row.client_ip
    assert row.user_agent == UA


async def test_an_unrouted_api_path_still_leaves_a_row(
    client: Client, db: Database, org: OrgSetup
) -> None:
    response = await client.get("/api/no/such/route", headers=headers(org.crm_key))
    assert response.status_code == 404
    await flush(client)
    row = await only_row(db, response)
    assert (row.status, row.path, row.method) == (404, "/api/no/such/route", "GET")


@pytest.mark.parametrize("case", ["method", "module", "record_id"])
async def test_an_unstorable_call_does_not_block_the_audit_log(
    client: Client,
    db: Database,
    org: OrgSetup,
    case: str,
) -> None:
    """A long method or module name, or an id beyond 64 bits, must not stop the audit log."""
    if case == "method":  # anonymous: no key is needed for this one
        odd = await client.request("PROPFINDXYZ", LEADS, headers={"User-Agent": UA})
        expected = 405
    elif case == "module":
        odd = await client.get("/api/records/" + "m" * 60, headers=headers(org.crm_key))
        expected = 404
    else:
        odd = await client.get(f"{LEADS}/{10**22}", headers=headers(org.crm_key))
        expected = 404
    assert odd.status_code == expected
    normal = await client.get(LEADS, headers=headers(org.crm_key))
    assert normal.status_code == 200
    await flush(client)
    assert (await only_row(db, normal)).status == 200
    assert (await only_row(db, odd)).status == expected


async def test_health_checks_leave_no_row(client: Client, db: Database) -> None:
    responses = [await client.get(path) for path in ("/healthz", "/healthz", "/readyz")]
    assert [r.status_code for r in responses[:2]] == [200, 200]
    await flush(client)
    for response in responses:
        assert await rows_of(db, response.headers["X-Request-ID"]) == []
    async with db.read() as session:
        health_rows = await session.execute(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.path.in_(["/healthz", "/readyz"]))
        )
        assert health_rows.scalar_one() == 0


async def test_no_audit_row_or_diff_contains_a_key(
    client: Client, db: Database, org: OrgSetup
) -> None:
    lead = (await create_lead(client, org.crm_key)).json()
    lead_url = f"{LEADS}/{lead['id']}"
    await client.put(lead_url, json={"company": "Other"}, headers=headers(org.crm_key))
    await client.get(lead_url, headers=headers(org.crm_key))
    created = await client.post("/api/keys", json={"name": "minted"}, headers=headers(org.crm_key))
    assert created.status_code == 201
    minted = created.json()["key"]
    await client.get("/api/me", headers=headers(minted))
    await client.get("/api/v1/auth", headers=headers(org.handover_key))
    await client.delete(lead_url, headers=headers(org.crm_key))
    await flush(client)
    found = await org_rows(db, org.org_id)
    assert len(found) >= 7
    dumped = json.dumps(
        [[getattr(row, column.key) for column in AuditEntry.__table__.columns] for row in found],
        default=str,
    )
    for key in (org.crm_key, org.handover_key, minted):
        assert key not in dumped
        assert key[-20:] not in dumped  # nor a recognizable piece of one


# --- B. A change's row commits with the change ----------------------------------------------


async def test_a_change_row_is_written_in_its_transaction_not_buffered(
    client: Client, db: Database, org: OrgSetup, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = client.app.state.platform.audit
    real_flush = writer.flush

    async def no_flush() -> None:
        return None

    monkeypatch.setattr(writer, "flush", no_flush)  # the buffer never reaches the database
    created = await client.post(LEADS, json=LEAD_BODY, headers=headers(org.crm_key))
    assert created.status_code == 201
    lead_url = f"{LEADS}/{created.json()['id']}"
    updated = await client.put(lead_url, json={"title": "Countess"}, headers=headers(org.crm_key))
    assert updated.status_code == 200
    read = await client.get(lead_url, headers=headers(org.crm_key))
    assert read.status_code == 200

    assert (await only_row(db, created)).status == 201
    assert (await only_row(db, updated)).changes == {"title": {"before": None, "after": "Countess"}}
    assert await rows_of(db, read.headers["X-Request-ID"]) == []  # a read is buffered
    monkeypatch.undo()
    client.blocking_portal.call(real_flush)
    assert (await only_row(db, read)).status == 200


async def test_a_failing_audit_row_rolls_the_change_back(
    client: Client, db: Database, org: OrgSetup, monkeypatch: pytest.MonkeyPatch
) -> None:
    lead = (await create_lead(client, org.crm_key)).json()
    before_events = len(await events_of(db, org.org_id))

    async def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("audit storage failed")

    monkeypatch.setattr(unit_of_work_module, "insert_audit_entry", broken)
    created = await client.post(LEADS, json={"name": "Never"}, headers=headers(org.crm_key))
    updated = await client.put(
        f"{LEADS}/{lead['id']}", json={"name": "Never"}, headers=headers(org.crm_key)
    )
    deleted = await client.delete(f"{LEADS}/{lead['id']}", headers=headers(org.crm_key))
    monkeypatch.undo()
    assert [created.status_code, updated.status_code, deleted.status_code] == [500, 500, 500]
    assert await lead_count(db, org.org_id) == 1
    current = (await client.get(f"{LEADS}/{lead['id']}", headers=headers(org.crm_key))).json()
    assert (current["name"], current["version"]) == (LEAD_BODY["name"], 1)
    assert len(await events_of(db, org.org_id)) == before_events
    await flush(client)
    for response in (created, updated, deleted):  # the failure itself is still on record
        row = await only_row(db, response)
        assert (row.status, row.changes) == (500, None)


async def test_a_failed_change_leaves_no_success_row_and_the_record_unchanged(
    client: Client, db: Database, org: OrgSetup
) -> None:
    lead = (await create_lead(client, org.crm_key)).json()
    lead_url = f"{LEADS}/{lead['id']}"
    stale = await client.put(
        lead_url, json={"company": "Stale"}, headers=headers(org.crm_key, **{"If-Match": '"7"'})
    )
    assert stale.status_code == 409, stale.text
    assert stale.json()["code"] == "VERSION_CONFLICT"
    stale_body = await client.put(
        lead_url, json={"company": "Stale", "version": 3}, headers=headers(org.crm_key)
    )
    assert stale_body.status_code == 409
    invalid = await client.put(
        lead_url, json={"company": "Fine", "status": "Bogus"}, headers=headers(org.crm_key)
    )
    assert invalid.status_code == 400
    stale_delete = await client.delete(lead_url, headers=headers(org.crm_key, **{"If-Match": "9"}))
    assert stale_delete.status_code == 409

    current = (await client.get(lead_url, headers=headers(org.crm_key))).json()
    assert current == lead
    await flush(client)
    for response, status in (
        (stale, 409),
        (stale_body, 409),
        (invalid, 400),
        (stale_delete, 409),
    ):
        row = await only_row(db, response)
        assert (row.status, row.changes, row.record_id) == (status, None, lead["id"])
    history = [
        row
        for row in await org_rows(db, org.org_id)
        if row.record_id == lead["id"] and row.changes is not None
    ]
    assert [(row.action, row.status) for row in history] == [("create", 201)]


# --- C. A clean shutdown loses no buffered row ----------------------------------------------


async def test_a_clean_shutdown_writes_every_buffered_row(
    settings: Settings, db: Database, org: OrgSetup, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit_writer, "FLUSH_INTERVAL_SECONDS", 3600)  # no periodic flush
    app = create_app(settings)
    async with AsyncTestClient(app) as client:
        responses = [await client.get(LEADS, headers=headers(org.crm_key)) for _ in range(5)]
        responses.append(await client.get("/api/me", headers=headers(org.crm_key)))
        responses.append(await client.get("/api/v1/auth", headers=headers(org.handover_key)))
        assert all(r.status_code == 200 for r in responses)
        # Still in memory: nothing has flushed them yet.
        assert all([await rows_of(db, r.headers["X-Request-ID"]) == [] for r in responses])
    for response in responses:
        row = await only_row(db, response)
        assert (row.status, row.org_id) == (200, org.org_id)
    assert app.state.platform.audit.dropped == 0


# --- D. The events outbox ---------------------------------------------------------------


async def test_each_change_writes_exactly_one_event(
    client: Client, db: Database, org: OrgSetup
) -> None:
    created = (await create_lead(client, org.crm_key)).json()
    lead_id = created["id"]
    [event] = await events_of(db, org.org_id, lead_id)
    assert (event.event, event.module, event.record_id, event.version) == (
        "create",
        "leads",
        lead_id,
        1,
    )
    assert event.product == "crm"
    assert event.occurred_at is not None
    assert event.data["id"] == lead_id
    assert event.data["name"] == LEAD_BODY["name"]
    assert event.data["company"] == LEAD_BODY["company"]
    assert event.data["version"] == 1
    assert {"name", "company", "email", "status", "owner"} <= set(event.changed_fields)
    assert not {"id", "version", "created_at", "updated_at"} & set(event.changed_fields)

    updated = await client.put(
        f"{LEADS}/{lead_id}",
        json={"company": "Difference Engines", "rating": "Hot"},
        headers=headers(org.crm_key),
    )
    assert updated.status_code == 200
    events = await events_of(db, org.org_id, lead_id)
    assert [e.event for e in events] == ["create", "update"]
    update = events[1]
    assert update.version == 2
    assert sorted(update.changed_fields) == ["company", "rating"]
    assert update.data["company"] == "Difference Engines"
    assert update.data["rating"] == "Hot"
    assert update.data["version"] == 2
    assert update.occurred_at >= event.occurred_at

    deleted = await client.delete(f"{LEADS}/{lead_id}", headers=headers(org.crm_key))
    assert deleted.status_code == 204
    events = await events_of(db, org.org_id, lead_id)
    assert [e.event for e in events] == ["create", "update", "delete"]
    removal = events[2]
    assert removal.version == 2
    assert removal.changed_fields == []
    assert removal.data == update.data  # the last snapshot
    assert len({e.id for e in events}) == 3


async def test_failed_changes_write_no_event(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    lead = (await create_lead(client, org.crm_key)).json()
    lead_url = f"{LEADS}/{lead['id']}"
    _, reader = await make_member_key(db, peppers, org.org_id, "Read-only")
    _, standard = await make_member_key(db, peppers, org.org_id, "Standard")
    attempts = [
        await client.post(LEADS, json={"name": ""}, headers=headers(org.crm_key)),
        await client.post(LEADS, json={"name": "x", "version": 2}, headers=headers(org.crm_key)),
        await client.put(lead_url, json={"status": "Bogus"}, headers=headers(org.crm_key)),
        await client.put(
            lead_url, json={"name": "Late"}, headers=headers(org.crm_key, **{"If-Match": '"2"'})
        ),
        await client.delete(lead_url, headers=headers(org.crm_key, **{"If-Match": '"5"'})),
        await client.post(LEADS, json=LEAD_BODY, headers=headers(reader)),
        await client.put(lead_url, json={"name": "Nope"}, headers=headers(reader)),
        await client.delete(lead_url, headers=headers(standard)),
    ]
    assert [r.status_code for r in attempts] == [400, 400, 400, 409, 409, 403, 403, 403]
    assert [e.event for e in await events_of(db, org.org_id)] == ["create"]
    assert await lead_count(db, org.org_id) == 1
    current = (await client.get(lead_url, headers=headers(org.crm_key))).json()
    assert current == lead


async def test_a_put_that_changes_nothing_writes_no_event_and_keeps_the_version(
    client: Client, db: Database, org: OrgSetup
) -> None:
    lead = (await create_lead(client, org.crm_key)).json()
    same = await client.put(
        f"{LEADS}/{lead['id']}",
        json={"name": LEAD_BODY["name"], "company": LEAD_BODY["company"], "status": "New"},
        headers=headers(org.crm_key, **{"If-Match": '"1"'}),
    )
    assert same.status_code == 200, same.text
    assert same.json() == lead
    assert same.headers["ETag"] == '"1"'
    assert [e.event for e in await events_of(db, org.org_id, lead["id"])] == ["create"]
    await flush(client)
    row = await only_row(db, same)
    assert (row.status, row.action, row.changes) == (200, "update", None)


async def test_the_event_and_the_diff_keep_every_digit(
    client: Client, db: Database, org: OrgSetup
) -> None:
    body = {"name": "Big Deal", "annual_revenue": "9999999999999999.99", "value": "0.10"}
    created = await create_lead(client, org.crm_key, body)
    assert '"annual_revenue":9999999999999999.99' in created.text
    async with db.read() as session:
        stored = await session.execute(
            select(cast(Event.data, Text)).where(Event.org_id == org.org_id)
        )
        raw = stored.scalar_one()
    assert json.loads(raw, parse_float=Decimal)["annual_revenue"] == Decimal("9999999999999999.99")
    [row] = await org_rows(db, org.org_id)
    assert row.changes is not None
    assert row.changes["annual_revenue"] == {"before": None, "after": "9999999999999999.99"}
    assert row.changes["value"] == {"before": None, "after": "0.10"}


async def test_a_rolled_back_service_change_leaves_nothing(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    principal = await authenticate(
        db, peppers, [(b"authorization", b"Bearer " + org.crm_key.encode())], "crm"
    )

    class Boom(Exception):
        pass

    seen: dict[str, Any] = {}

    async def change_then_fail() -> None:
        async with db.transaction() as session:
            schema = await load_schema(session, org.org_id, "leads")
            outcome = await service.create_record(session, principal, schema, dict(LEAD_BODY))
            seen["outcome"] = outcome
            in_flight = await session.execute(
                select(func.count()).select_from(Event).where(Event.org_id == org.org_id)
            )
            seen["events_in_flight"] = in_flight.scalar_one()
            raise Boom

    with pytest.raises(Boom):
        await change_then_fail()
    assert seen["outcome"].data["id"] == 1
    assert seen["outcome"].diff["name"] == {"before": None, "after": LEAD_BODY["name"]}
    assert seen["events_in_flight"] == 1  # the event was written inside the transaction

    assert await lead_count(db, org.org_id) == 0
    assert await events_of(db, org.org_id) == []
    async with db.read() as session:
        counter = await session.get(RecordCounter, (org.org_id, "leads"))
    listed = (await client.get(LEADS, headers=headers(org.crm_key))).json()
    assert (listed["total"], listed["data"]) == (0, [])
    if db.is_sqlite:
        # The id counter moves with the transaction: the first real lead still gets id 1.
        assert counter is None
        assert (await create_lead(client, org.crm_key)).json()["id"] == 1
    else:
        # PostgreSQL takes ids outside the change's transaction: the id stays a gap, and the
        # count (its delta rolled back) stays 0.
        assert counter is not None
        assert (counter.last_id, counter.record_count) == (1, 0)
        assert (await create_lead(client, org.crm_key)).json()["id"] == 2
    listed = (await client.get(LEADS, headers=headers(org.crm_key))).json()
    assert listed["total"] == 1


# --- E. Idempotency-Key ---------------------------------------------------------------------


async def test_a_retry_with_the_same_key_replays_the_first_answer(
    client: Client, db: Database, org: OrgSetup
) -> None:
    idem = {"Idempotency-Key": "order-7f3a"}
    first = await client.post(LEADS, json=LEAD_BODY, headers=headers(org.crm_key, **idem))
    second = await client.post(LEADS, json=LEAD_BODY, headers=headers(org.crm_key, **idem))
    assert first.status_code == 201, first.text
    assert "Idempotent-Replayed" not in first.headers
    assert second.status_code == 201, second.text
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.content == first.content
    assert second.json()["id"] == first.json()["id"]
    assert await lead_count(db, org.org_id) == 1
    assert [e.event for e in await events_of(db, org.org_id)] == ["create"]
    await flush(client)
    assert (await only_row(db, first)).changes is not None
    replay_row = await only_row(db, second)
    assert (replay_row.status, replay_row.action, replay_row.changes) == (201, "create", None)


async def test_a_replayed_create_is_audited_against_its_record(
    client: Client, db: Database, org: OrgSetup
) -> None:
    idem = {"Idempotency-Key": "replay-audit"}
    first = await client.post(LEADS, json=LEAD_BODY, headers=headers(org.crm_key, **idem))
    second = await client.post(LEADS, json=LEAD_BODY, headers=headers(org.crm_key, **idem))
    assert second.headers["Idempotent-Replayed"] == "true"
    await flush(client)
    assert (await only_row(db, second)).record_id == first.json()["id"]


async def test_the_same_key_with_another_body_is_422(
    client: Client, db: Database, org: OrgSetup
) -> None:
    idem = {"Idempotency-Key": "reuse-me"}
    first = await client.post(LEADS, json=LEAD_BODY, headers=headers(org.crm_key, **idem))
    assert first.status_code == 201
    other = await client.post(
        LEADS, json={**LEAD_BODY, "name": "Someone Else"}, headers=headers(org.crm_key, **idem)
    )
    assert other.status_code == 422, other.text
    assert other.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert "Idempotent-Replayed" not in other.headers
    assert await lead_count(db, org.org_id) == 1
    assert len(await events_of(db, org.org_id)) == 1


async def test_keys_of_the_same_org_have_their_own_idempotency_keys(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    _, manager = await make_member_key(db, peppers, org.org_id, "Manager")
    idem = {"Idempotency-Key": "shared-name"}
    mine = await client.post(LEADS, json=LEAD_BODY, headers=headers(org.crm_key, **idem))
    theirs = await client.post(LEADS, json=LEAD_BODY, headers=headers(manager, **idem))
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in theirs.headers
    assert mine.json()["id"] != theirs.json()["id"]
    assert await lead_count(db, org.org_id) == 2
    again = await client.post(LEADS, json=LEAD_BODY, headers=headers(manager, **idem))
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == theirs.json()["id"]


async def test_an_over_long_idempotency_key_is_400(
    client: Client, db: Database, org: OrgSetup
) -> None:
    too_long = await client.post(
        LEADS, json=LEAD_BODY, headers=headers(org.crm_key, **{"Idempotency-Key": "k" * 256})
    )
    assert too_long.status_code == 400, too_long.text
    assert too_long.json()["code"] == "VALIDATION_ERROR"
    assert "Idempotency-Key" in {d["field"] for d in too_long.json()["details"]}
    assert await lead_count(db, org.org_id) == 0
    longest = await client.post(
        LEADS, json=LEAD_BODY, headers=headers(org.crm_key, **{"Idempotency-Key": "k" * 255})
    )
    assert longest.status_code == 201, longest.text
    assert await lead_count(db, org.org_id) == 1


async def test_concurrent_retries_with_one_key_create_one_lead(
    settings: Settings, db: Database, org: OrgSetup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Truly concurrent: the app runs on this test's event loop behind httpx's ASGI transport
    (the Litestar test client would hand the requests to its portal one at a time), and every
    request has looked for a saved answer before any claims the key, so all ten race for it."""
    app = create_app(settings)
    idem = {"Idempotency-Key": "burst-0001"}
    claims = {"won": 0, "lost": 0}
    real_claim = idempotency_store.claim
    real_find = idempotency_store.find_replay
    lined_up = asyncio.Barrier(10)
    looks = 0

    async def find_when_all_looked(session: Any, scope: idempotency_store.Scope) -> Any:
        nonlocal looks
        looks += 1
        found = await real_find(session, scope)
        if looks <= 10:  # each request's first look; a loser's second look goes straight on
            await lined_up.wait()
        return found

    async def counted_claim(session: Any, scope: idempotency_store.Scope) -> None:
        try:
            await real_claim(session, scope)
        except IntegrityError:
            claims["lost"] += 1
            raise
        claims["won"] += 1

    monkeypatch.setattr(idempotency_store, "claim", counted_claim)
    monkeypatch.setattr(idempotency_store, "find_replay", find_when_all_looked)
    async with concurrent_client(app) as http:
        responses = await asyncio.gather(
            *(
                http.post(LEADS, json=LEAD_BODY, headers=headers(org.crm_key, **idem))
                for _ in range(10)
            )
        )
    assert [r.status_code for r in responses] == [201] * 10, [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert len({r.content for r in responses}) == 1
    replayed = [r for r in responses if r.headers.get("Idempotent-Replayed") == "true"]
    assert len(replayed) == 9
    assert await lead_count(db, org.org_id) == 1
    assert len(await events_of(db, org.org_id)) == 1
    assert claims == {"won": 1, "lost": 9}  # every loser hit the key the winner held
    for response in responses:  # each call, original or replay, is audited once
        assert (await only_row(db, response)).status == 201


async def test_a_failed_first_attempt_is_not_remembered(
    client: Client, db: Database, org: OrgSetup
) -> None:
    idem = {"Idempotency-Key": "fix-and-retry"}
    failed = await client.post(
        LEADS, json={"name": "", "status": "Bogus"}, headers=headers(org.crm_key, **idem)
    )
    assert failed.status_code == 400
    async with db.read() as session:
        stored = await session.get(
            IdempotentRequest, (org.org_id, org.crm_key_id, idem["Idempotency-Key"])
        )
        assert stored is None
    # Nothing was stored, so the corrected body under the same key acts, and is then remembered.
    fixed = await client.post(LEADS, json=LEAD_BODY, headers=headers(org.crm_key, **idem))
    assert fixed.status_code == 201, fixed.text
    assert "Idempotent-Replayed" not in fixed.headers
    retried = await client.post(LEADS, json=LEAD_BODY, headers=headers(org.crm_key, **idem))
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert retried.json()["id"] == fixed.json()["id"]
    assert await lead_count(db, org.org_id) == 1
    assert len(await events_of(db, org.org_id)) == 1


async def test_an_expired_idempotency_key_acts_afresh(
    client: Client, db: Database, org: OrgSetup
) -> None:
    idem = {"Idempotency-Key": "yesterday"}
    first = await client.post(LEADS, json=LEAD_BODY, headers=headers(org.crm_key, **idem))
    assert first.status_code == 201
    async with db.transaction() as session:
        await session.execute(
            update(IdempotentRequest)
            .where(IdempotentRequest.org_id == org.org_id)
            .values(created_at=utcnow() - idempotency_store.RETENTION - timedelta(minutes=1))
        )
    other_body = {**LEAD_BODY, "name": "Next Day"}
    fresh = await client.post(LEADS, json=other_body, headers=headers(org.crm_key, **idem))
    assert fresh.status_code == 201, fresh.text  # not 422: the old answer has expired
    assert "Idempotent-Replayed" not in fresh.headers
    assert fresh.json()["id"] != first.json()["id"]
    again = await client.post(LEADS, json=other_body, headers=headers(org.crm_key, **idem))
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == fresh.json()["id"]
    assert await lead_count(db, org.org_id) == 2
