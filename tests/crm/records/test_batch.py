"""Batch writes (POST /api/records/{module}/batch), on SQLite and PostgreSQL: creates, updates
with versions and upserts on an email, all or nothing or partial; one audit row and one event
per record written, as single writes leave; Idempotency-Key; who may; another organization's
ids."""

from __future__ import annotations

import asyncio
from typing import Any

from httpx import Response
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from finite.app import create_app
from finite.config import Settings
from finite.core.auth.authenticate import authenticate
from finite.crm.fields.service import load_schema
from finite.crm.modules.tables import MODULE_TABLES
from finite.crm.records.batch import BatchItem, apply_batch
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.models import AuditEntry, Event
from tests.concurrency import concurrent_client
from tests.crm.factories import assert_error, assert_invalid, create, read, total
from tests.factories import OrgSetup, bearer, make_member_key, make_org

Client = AsyncTestClient[Litestar]
BATCH = "/api/records/leads/batch"


async def batch(
    client: Client | Any, key: str, body: Any, path: str = BATCH, **headers: str
) -> Response:
    response: Response = await client.post(path, json=body, headers={**bearer(key), **headers})
    return response


def leads(count: int, prefix: str = "Lead") -> list[dict[str, Any]]:
    return [
        {"name": f"{prefix} {n}", "email": f"{prefix.lower()}{n}@example.com"} for n in range(count)
    ]


async def flush(client: Client) -> None:
    client.blocking_portal.call(client.app.state.platform.audit.flush)


async def audit_rows(db: Database, response: Response) -> list[AuditEntry]:
    async with db.read() as session:
        found = await session.execute(
            select(AuditEntry)
            .where(AuditEntry.request_id == response.headers["X-Request-ID"])
            .order_by(AuditEntry.record_id)
        )
        return list(found.scalars().all())


async def events(db: Database, org_id: str) -> list[Event]:
    async with db.read() as session:
        found = await session.execute(
            select(Event).where(Event.org_id == org_id).order_by(Event.record_id, Event.version)
        )
        return list(found.scalars().all())


async def test_a_batch_creates_each_record_with_its_audit_row_and_event(
    client: Client, db: Database, org: OrgSetup
) -> None:
    response = await batch(client, org.crm_key, {"records": leads(3)})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["created"], body["updated"], body["failed"]) == (3, 0, 0)
    results = body["results"]
    assert [(r["index"], r["status"]) for r in results] == [(0, 201), (1, 201), (2, 201)]
    ids = [r["id"] for r in results]
    assert len(set(ids)) == 3
    for result, sent in zip(results, leads(3), strict=True):
        stored = await read(client, org.crm_key, "leads", result["id"])
        assert stored == result["record"]
        assert (stored["name"], stored["email"], stored["version"]) == (
            sent["name"],
            sent["email"],
            1,
        )
        assert stored["status"] == "New"  # the module's default, as a single create sets it
    assert await total(client, org.crm_key, "leads") == 3
    await flush(client)
    rows = await audit_rows(db, response)
    assert [(r.module, r.record_id, r.action, r.status) for r in rows] == [
        ("leads", record_id, "create", 201) for record_id in sorted(ids)
    ]
    assert all(r.method == "POST" and r.path == BATCH for r in rows)
    assert all(r.key_id == org.crm_key_id and r.member_id == org.owner_id for r in rows)
    assert rows[0].changes is not None
    assert rows[0].changes["name"] == {"before": None, "after": "Lead 0"}
    found = await events(db, org.org_id)
    assert [(e.event, e.record_id, e.version) for e in found] == [
        ("create", record_id, 1) for record_id in sorted(ids)
    ]
    assert found[0].data["name"] == "Lead 0"
    assert "name" in found[0].changed_fields


async def test_a_batch_matches_what_a_single_create_writes(
    client: Client, db: Database, org: OrgSetup
) -> None:
    body = {"name": "Same", "email": "same@example.com", "value": 12.5}
    single = await create(client, org.crm_key, "leads", body)
    response = await batch(client, org.crm_key, {"records": [body]})
    batched = response.json()["results"][0]["record"]
    volatile = ("id", "created_at", "updated_at")
    assert {k: v for k, v in batched.items() if k not in volatile} == {
        k: v for k, v in single.items() if k not in volatile
    }
    await flush(client)
    found = await events(db, org.org_id)
    assert sorted(found[0].changed_fields) == sorted(found[1].changed_fields)


async def test_one_bad_record_refuses_the_whole_batch(
    client: Client, db: Database, org: OrgSetup
) -> None:
    records = leads(3)
    records[1]["status"] = "Bogus"
    records[2]["created_at"] = "2000-01-01T00:00:00Z"  # a system field, refused as singly
    response = await batch(client, org.crm_key, {"records": records})
    body = assert_error(response, 422, "BATCH_REJECTED")
    fields = {d["field"] for d in body["details"]}
    assert {"records[1].status", "records[2].created_at"} <= fields
    assert [(r["index"], r["status"], r["code"]) for r in body["results"]] == [
        (1, 400, "VALIDATION_ERROR"),
        (2, 400, "VALIDATION_ERROR"),
    ]
    assert body["request_id"] == response.headers["X-Request-ID"]
    assert await total(client, org.crm_key, "leads") == 0
    assert await events(db, org.org_id) == []
    await flush(client)
    rows = await audit_rows(db, response)
    assert [(r.status, r.action, r.record_id) for r in rows] == [(422, "batch", None)]


async def test_partial_writes_the_good_records_and_answers_each_failure(
    client: Client, db: Database, org: OrgSetup
) -> None:
    records = leads(3)
    records[1]["email"] = "not an email"
    response = await batch(client, org.crm_key, {"records": records}, BATCH + "?partial=true")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["created"], body["updated"], body["failed"]) == (2, 0, 1)
    failure = body["results"][1]
    assert (failure["index"], failure["status"], failure["code"]) == (1, 400, "VALIDATION_ERROR")
    assert failure["details"][0]["field"] == "email"
    assert "id" not in failure
    assert await total(client, org.crm_key, "leads") == 2
    await flush(client)
    rows = await audit_rows(db, response)
    assert [(r.action, r.status) for r in rows] == [("create", 201), ("create", 201)]
    assert len(await events(db, org.org_id)) == 2
    # Every record failing: nothing written, and the call's own audit row.
    nothing = await batch(client, org.crm_key, {"records": [{"name": ""}]}, BATCH + "?partial=true")
    assert nothing.status_code == 200, nothing.text
    assert nothing.json()["failed"] == 1
    await flush(client)
    assert [(r.action, r.status) for r in await audit_rows(db, nothing)] == [("batch", 200)]


async def test_updates_in_a_batch_check_versions(
    client: Client, db: Database, org: OrgSetup
) -> None:
    first = await create(client, org.crm_key, "leads", {"name": "First"})
    second = await create(client, org.crm_key, "leads", {"name": "Second"})
    updated = await batch(
        client,
        org.crm_key,
        {
            "records": [
                {"id": first["id"], "version": 1, "title": "CEO"},
                {"id": second["id"], "title": "CTO"},  # no version: no check, as PUT
                {"name": "Third"},
            ]
        },
    )
    assert updated.status_code == 200, updated.text
    results = updated.json()["results"]
    assert [r["status"] for r in results] == [200, 200, 201]
    assert results[0]["record"]["version"] == 2
    assert results[0]["record"]["title"] == "CEO"
    await flush(client)
    rows = await audit_rows(db, updated)
    assert [(r.record_id, r.action, r.status) for r in rows] == [
        (first["id"], "update", 200),
        (second["id"], "update", 200),
        (results[2]["id"], "create", 201),
    ]
    assert rows[0].changes == {"title": {"before": None, "after": "CEO"}}
    # A stale version refuses the batch: nothing changes, the current record is shown.
    stale = await batch(
        client,
        org.crm_key,
        {"records": [{"id": first["id"], "version": 1, "title": "X"}, {"name": "Fourth"}]},
    )
    body = assert_error(stale, 422, "BATCH_REJECTED")
    assert body["results"][0]["status"] == 409
    assert body["results"][0]["code"] == "VERSION_CONFLICT"
    assert body["results"][0]["current"]["version"] == 2
    assert (await read(client, org.crm_key, "leads", first["id"]))["title"] == "CEO"
    assert await total(client, org.crm_key, "leads") == 3
    # Partial: the stale one answered 409 in its place, the other written.
    mixed = await batch(
        client,
        org.crm_key,
        {
            "records": [
                {"id": first["id"], "version": 1, "title": "X"},
                {"id": second["id"], "version": 2, "title": "VP"},
            ]
        },
        BATCH + "?partial=true",
    )
    assert [r["status"] for r in mixed.json()["results"]] == [409, 200]
    assert (await read(client, org.crm_key, "leads", second["id"]))["title"] == "VP"
    # One record twice in a batch: the second is refused.
    twice = await batch(
        client,
        org.crm_key,
        {"records": [{"id": first["id"], "title": "A"}, {"id": first["id"], "title": "B"}]},
    )
    assert assert_error(twice, 422, "BATCH_REJECTED")["results"][0]["index"] == 1


async def test_an_upsert_updates_the_record_with_the_email_or_creates_one(
    client: Client, db: Database, org: OrgSetup
) -> None:
    known = await create(client, org.crm_key, "leads", {"name": "Ada", "email": "ada@example.com"})
    response = await batch(
        client,
        org.crm_key,
        {
            "upsert_on": "email",
            "records": [
                {"name": "Ada L.", "email": "ADA@Example.com"},
                {"name": "Grace", "email": "grace@example.com"},
            ],
        },
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == [200, 201]
    assert results[0]["id"] == known["id"]
    assert results[0]["record"]["name"] == "Ada L."
    assert results[0]["record"]["version"] == 2
    assert await total(client, org.crm_key, "leads") == 2
    # The key is needed, must be valid, once per batch, and a key of the module.
    refused = await batch(
        client,
        org.crm_key,
        {
            "upsert_on": "email",
            "records": [
                {"name": "No email"},
                {"name": "G", "email": "grace@example.com"},
                {"name": "G2", "email": "Grace@example.com"},
            ],
        },
    )
    body = assert_error(refused, 422, "BATCH_REJECTED")
    assert [(r["index"], r["details"][0]["field"]) for r in body["results"]] == [
        (0, "email"),
        (2, "email"),
    ]
    assert_invalid(
        await batch(client, org.crm_key, {"upsert_on": "name", "records": [{"name": "x"}]}),
        "upsert_on",
    )
    assert_invalid(
        await batch(
            client,
            org.crm_key,
            {"upsert_on": "email", "records": [{"subject": "x"}]},
            "/api/records/activities/batch",
        ),
        "upsert_on",
    )


async def test_two_concurrent_batches_upserting_one_email_create_one_record(
    settings: Settings, db: Database, org: OrgSetup
) -> None:
    """Truly concurrent (the app on this test's loop, behind httpx's ASGI transport): every
    round, two batches upserting the same ten emails; ten records in the end, each once."""
    app = create_app(settings)
    emails = [f"race{n}@example.com" for n in range(10)]
    async with concurrent_client(app) as http:
        for round_number in range(3):
            bodies = [
                {
                    "upsert_on": "email",
                    "records": [
                        {"name": f"{who} {round_number}", "email": email}
                        for email in (emails if who == "a" else list(reversed(emails)))
                    ],
                }
                for who in ("a", "b")
            ]
            answers = await asyncio.gather(*(batch(http, org.crm_key, body) for body in bodies))
            assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
    async with db.read() as session:
        leads_table = MODULE_TABLES["leads"]
        counted = await session.execute(
            select(leads_table.c.email, func.count())
            .where(leads_table.c.org_id == org.org_id)
            .group_by(leads_table.c.email)
        )
        assert dict(counted.all()) == dict.fromkeys(emails, 1)


async def test_a_batch_retried_with_its_idempotency_key_acts_once(
    client: Client, db: Database, org: OrgSetup
) -> None:
    key = {"Idempotency-Key": "batch-once"}
    body = {"records": leads(5)}
    first = await batch(client, org.crm_key, body, **key)
    again = await batch(client, org.crm_key, body, **key)
    assert first.status_code == again.status_code == 200, again.text
    assert again.content == first.content
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await total(client, org.crm_key, "leads") == 5
    assert len(await events(db, org.org_id)) == 5
    other_query = await batch(client, org.crm_key, body, BATCH + "?partial=true", **key)
    assert_error(other_query, 422, "IDEMPOTENCY_KEY_REUSED")
    other_body = await batch(client, org.crm_key, {"records": leads(1)}, **key)
    assert_error(other_body, 422, "IDEMPOTENCY_KEY_REUSED")
    await flush(client)
    assert len(await audit_rows(db, first)) == 5
    assert [(r.action, r.status) for r in await audit_rows(db, again)] == [("batch", 200)]


async def test_the_role_must_allow_every_action_the_batch_asks(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    lead = await create(client, org.crm_key, "leads", {"name": "Existing"})
    _, read_only = await make_member_key(db, peppers, org.org_id, "Read-only")
    refused = await batch(client, read_only, {"records": leads(1)})
    assert assert_error(refused, 403, "FORBIDDEN")["error"] == (
        "The Read-only role cannot create leads."
    )
    changed = await client.put(
        "/api/roles/Standard",
        json={"permissions": {"leads": ["view", "create"]}},
        headers=bearer(org.crm_key),
    )
    assert changed.status_code == 200, changed.text
    _, creator = await make_member_key(db, peppers, org.org_id, "Standard")
    assert (await batch(client, creator, {"records": leads(1)})).status_code == 200
    for body in (
        {"records": [{"id": lead["id"], "name": "Changed"}]},
        {"upsert_on": "email", "records": leads(1, "Upsert")},
    ):
        response = await batch(client, creator, body)
        assert assert_error(response, 403, "FORBIDDEN")["error"] == (
            "The Standard role cannot edit leads."
        )
    assert (await read(client, org.crm_key, "leads", lead["id"]))["name"] == "Existing"
    assert await total(client, org.crm_key, "leads") == 2


async def test_another_orgs_ids_in_a_batch_are_not_found(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    other = await make_org(db, peppers)
    theirs = await create(
        client, other.crm_key, "leads", {"name": "Theirs", "email": "t@example.com"}
    )
    unknown = theirs["id"] + 1000
    answers = []
    for record_id in (theirs["id"], unknown):
        response = await batch(
            client,
            org.crm_key,
            {"records": [{"id": record_id, "name": "by A"}]},
            BATCH + "?partial=true",
        )
        result = response.json()["results"][0]
        assert (result["status"], result["code"]) == (404, "NOT_FOUND")
        answers.append(result["error"].replace(str(record_id), "<id>"))
    assert answers[0] == answers[1]
    upsert = await batch(
        client,
        org.crm_key,
        {"upsert_on": "email", "records": [{"name": "A's", "email": "t@example.com"}]},
    )
    assert upsert.json()["results"][0]["status"] == 201  # A's own new record
    assert await read(client, other.crm_key, "leads", theirs["id"]) == theirs
    assert await total(client, other.crm_key, "leads") == 1


async def test_a_malformed_batch_is_refused_whole(client: Client, org: OrgSetup) -> None:
    assert_invalid(await batch(client, org.crm_key, {"records": []}), "records")
    assert_invalid(await batch(client, org.crm_key, {}), "records")
    too_many = assert_invalid(await batch(client, org.crm_key, {"records": leads(101)}), "records")
    assert "at most 100" in too_many["details"][0]["message"]
    assert_invalid(
        await batch(client, org.crm_key, {"records": [{"name": "x"}], "org_id": "org_x"}), "org_id"
    )
    assert_invalid(await batch(client, org.crm_key, {"records": ["x"]}), "records[0]")
    assert_invalid(
        await batch(client, org.crm_key, {"records": [{"id": "1", "name": "x"}]}), "records[0].id"
    )
    assert_invalid(
        await batch(client, org.crm_key, {"records": leads(1)}, BATCH + "?partial=yes"), "partial"
    )
    assert await total(client, org.crm_key, "leads") == 0
    assert (await batch(client, org.crm_key, {"records": leads(100)})).status_code == 200


async def test_records_with_line_items_are_batched(client: Client, org: OrgSetup) -> None:
    line = {"description": "Seat", "quantity": 2, "list_price": 10.5}
    response = await batch(
        client,
        org.crm_key,
        {"records": [{"subject": "Q1", "items": [line]}, {"subject": "Q2", "items": []}]},
        "/api/records/quotes/batch",
    )
    assert response.status_code == 200, response.text
    first = response.json()["results"][0]["record"]
    assert first["items"][0]["amount"] == 21
    assert first["grand_total"] == 21
    assert await total(client, org.crm_key, "quotes") == 2


async def test_system_fields_in_a_batchs_records_are_refused(client: Client, org: OrgSetup) -> None:
    """As a single create refuses them (the mass-assignment suite sends them beside `records`):
    `id` alone means something here, the record to update."""
    system = ("org_id", "version", "created_by", "created_at", "updated_at", "custom")
    privileged = ("secret", "key", "role", "is_admin", "scopes", "plan", "member_id", "product")
    records = [
        {"name": "MA", field: "org_01aaaaaaaaaaaaaaaaaaaaaaaa"} for field in system + privileged
    ]
    response = await batch(client, org.crm_key, {"records": records}, BATCH + "?partial=true")
    results = response.json()["results"]
    assert [r["status"] for r in results] == [400] * len(records), response.text
    for result, field in zip(results, system + privileged, strict=True):
        assert [d["field"] for d in result["details"]] == [field]
    assert await total(client, org.crm_key, "leads") == 0


async def test_apply_batch_takes_chunks_larger_than_a_call(
    db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    """The service is free of HTTP (the CSV import writes its chunks through it): 1,500 creates
    go in statements PostgreSQL's parameter limit admits, ids in order, one event each."""
    principal = await authenticate(
        db, peppers, [(b"authorization", b"Bearer " + org.crm_key.encode())], "crm"
    )
    items = [BatchItem(n, {"name": f"Bulk {n}"}) for n in range(1500)]
    async with db.transaction() as session:
        schema = await load_schema(session, org.org_id, "leads")
        outcome = await apply_batch(session, principal, schema, items, partial=False)
    assert outcome.created == 1500
    assert [item.record["id"] for item in outcome.items if item.record] == list(range(1, 1501))
    assert len(outcome.audited) == 1500
    assert len(await events(db, org.org_id)) == 1500
