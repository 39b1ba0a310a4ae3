"""POST /api/import/{module}.csv on SQLite and PostgreSQL: rows become records with their audit
rows and events; bad rows are reported exactly (row, field, reason) and never stop the others;
unknown and system columns are reported as ignored; custom fields by key or label; upsert on
email in any case; a dry run writes nothing but its report; stop_on_error; the permissions;
the content type; an exported file re-imports."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient, TestClient
from sqlalchemy import func, select

from finite.app import create_app
from finite.config import Settings
from finite.crm.imports.runner import ImportRunner
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.models import AuditEntry, Event, ImportChunk
from tests.crm.factories import (
    add_field,
    assert_error,
    assert_invalid,
    create,
    import_job,
    import_report,
    total,
    upload_csv,
)
from tests.factories import OrgSetup, bearer, make_member_key, make_org

Client = AsyncTestClient[Litestar]


async def run_imports(db: Database) -> None:
    runner = ImportRunner(db)
    while await runner.run_once():
        pass


async def imported(
    client: Client, db: Database, key: str, module: str, text: str, **params: str
) -> dict[str, Any]:
    """Upload, run the job to its end, answer the job."""
    response = await upload_csv(client, key, module, text, **params)
    assert response.status_code == 202, response.text
    job = response.json()
    assert response.headers["location"] == f"/api/import/jobs/{job['id']}"
    assert job["status"] == "queued"
    await run_imports(db)
    return await import_job(client, key, job["id"])


async def leads(client: Client, key: str) -> list[dict[str, Any]]:
    response = await client.get(
        "/api/records/leads", params={"per_page": "100", "sort": "id"}, headers=bearer(key)
    )
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["data"]
    return found


async def test_good_rows_become_records_with_audit_rows_and_events(
    client: Client, db: Database, org: OrgSetup
) -> None:
    text = (
        "name,company,email,value,employees,email_opt_out\r\n"
        "Asha Rao,Acme Pumps,asha@acmepumps.in,50000,12,true\r\n"
        '"Rao, Bina","Quoted ""Co""",bina@example.com,12.50,,false\r\n'
    )
    job = await imported(client, db, org.crm_key, "leads", text)
    assert job["status"] == "done", job
    assert (job["total_rows"], job["rows_done"], job["created"], job["failed"]) == (2, 2, 2, 0)
    assert job["committed_through_row"] == 3
    records = await leads(client, org.crm_key)
    assert [(r["name"], r["company"], r["email"]) for r in records] == [
        ("Asha Rao", "Acme Pumps", "asha@acmepumps.in"),
        ("Rao, Bina", 'Quoted "Co"', "bina@example.com"),
    ]
    assert records[0]["value"] == 50000
    assert records[0]["employees"] == 12
    assert records[0]["email_opt_out"] is True
    assert records[1]["status"] == "New"
    async with db.read() as session:
        audit = (
            await session.execute(
                select(AuditEntry.action, AuditEntry.record_id, AuditEntry.path).where(
                    AuditEntry.org_id == org.org_id, AuditEntry.module == "leads"
                )
            )
        ).all()
        events = await session.scalar(
            select(func.count()).where(Event.org_id == org.org_id, Event.event == "create")
        )
    ids = sorted(r["id"] for r in records)
    creates = sorted(row.record_id for row in audit if row.action == "create")
    assert creates == ids
    assert {row.path for row in audit if row.action == "create"} == {
        f"/api/import/jobs/{job['id']}"
    }
    assert [row.action for row in audit].count("import") == 1  # the upload's own row
    assert events == 2


async def test_bad_rows_are_reported_exactly_and_the_rest_land(
    client: Client, db: Database, org: OrgSetup
) -> None:
    text = (
        "name,email,employees,status,value\n"
        "Good One,one@example.com,5,New,10\n"  # row 2
        ",two@example.com,5,New,10\n"  # row 3: no name
        "Bad Three,not-an-email,many,Sleeping,10\n"  # row 4: three problems
        "\n"  # row 5: blank, skipped
        "Good Six,six@example.com,,Qualified,1.5\n"  # row 6
        "Bad Seven,seven@example.com,1,New,1.234\n"  # row 7: too many decimals
        "Eight,eight@example.com,1,New,1,extra\n"  # row 8: more cells than the header
    )
    job = await imported(client, db, org.crm_key, "leads", text)
    assert job["status"] == "done"
    assert (job["total_rows"], job["created"], job["failed"]) == (6, 2, 4)
    assert await import_report(client, org.crm_key, job["id"]) == [
        ["row", "field", "reason"],
        ["3", "name", "is required"],
        ["4", "email", "must be a valid email address"],
        ["4", "employees", "must be a whole number"],
        ["4", "status", "must be one of: New, Contacted, Qualified, Unqualified, Converted, Lost"],
        ["7", "value", "must have at most 2 decimal places"],
        ["8", "", "has 6 cells; the header has 5 columns"],
    ]
    assert [r["name"] for r in await leads(client, org.crm_key)] == ["Good One", "Good Six"]


async def test_columns_by_key_or_label_custom_fields_and_ignored_columns(
    client: Client, db: Database, org: OrgSetup
) -> None:
    key = org.crm_key
    await add_field(client, key, "leads", {"key": "cf_tier", "label": "Tier", "type": "integer"})
    await add_field(
        client,
        key,
        "leads",
        {"key": "cf_tags", "label": "Tags", "type": "multi_picklist", "options": ["a", "b"]},
    )
    text = (
        "id,Name,LEAD SOURCE,cf_tier,tags,Shoe Size,created_at,,name\n"
        "99,Custom Carla,Web,3,a;b,44,2020-01-01,x,Again\n"
        '7,Json Jo,,-1,"[""b""]",,,,\n'
        "8,Bad Tier,,1.5,c,,,,\n"
    )
    job = await imported(client, db, key, "leads", text)
    assert job["columns"] == [
        {"column": "Name", "field": "name"},
        {"column": "LEAD SOURCE", "field": "source"},
        {"column": "cf_tier", "field": "cf_tier"},
        {"column": "tags", "field": "cf_tags"},
    ]
    assert job["ignored_columns"] == [
        {"column": "id", "reason": "is set by the server"},
        {"column": "Shoe Size", "reason": "is not a field of leads"},
        {"column": "created_at", "reason": "is set by the server"},
        {"column": "", "reason": "has no name"},
        {"column": "name", "reason": "repeats the column 'Name' (field name)"},
    ]
    assert (job["created"], job["failed"]) == (2, 1)
    records = await leads(client, key)
    assert [(r["id"], r["name"], r["source"], r["cf_tier"], r["cf_tags"]) for r in records] == [
        (1, "Custom Carla", "Web", 3, ["a", "b"]),
        (2, "Json Jo", None, -1, ["b"]),
    ]
    report = await import_report(client, key, job["id"])
    assert report[1:] == [
        ["4", "cf_tier", "must be a whole number"],
        ["4", "cf_tags", "must be one of: a, b"],
    ]


async def test_a_header_naming_no_field_or_an_empty_file_is_refused(
    client: Client, db: Database, org: OrgSetup
) -> None:
    key = org.crm_key
    assert_invalid(await upload_csv(client, key, "leads", "shoe,size\n1,2\n"), "header")
    assert_invalid(await upload_csv(client, key, "leads", ""), "body")
    assert_invalid(await upload_csv(client, key, "leads", 'name\n"unclosed\n'), "body")
    response = await client.post(
        "/api/import/leads.csv",
        content=b"name\n\xff\xfe\n",
        headers={**bearer(key), "Content-Type": "text/csv"},
    )
    assert_invalid(response, "body")
    assert_invalid(
        await upload_csv(client, key, "leads", "name\nx\n", upsert_on="nope"), "upsert_on"
    )
    # A standard field, but not an upsert key (as a batch's upsert_on: crm/records/batch_body.py)
    assert_invalid(
        await upload_csv(client, key, "leads", "name\nx\n", upsert_on="name"), "upsert_on"
    )
    assert_invalid(
        await upload_csv(client, key, "leads", "name\nx\n", upsert_on="email"), "upsert_on"
    )
    assert_invalid(await upload_csv(client, key, "leads", "name\nx\n", dry_run="maybe"), "dry_run")
    for content_type in ("application/json", None):
        headers = bearer(key) | ({"Content-Type": content_type} if content_type else {})
        response = await client.post("/api/import/leads.csv", content=b"name\nx\n", headers=headers)
        assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")
    assert_error(await upload_csv(client, key, "widgets", "name\nx\n"), 404, "NOT_FOUND")
    response = await client.get("/api/import/jobs", headers=bearer(key))
    assert response.json()["data"] == []  # no job was created
    async with db.read() as session:  # and no upload left behind
        assert await session.scalar(select(func.count()).select_from(ImportChunk)) == 0


async def test_upsert_on_email_updates_in_any_case_and_creates_the_rest(
    client: Client, db: Database, org: OrgSetup
) -> None:
    key = org.crm_key
    asha = await create(client, key, "leads", {"name": "Asha", "email": "asha@acme.in"})
    text = (
        "name,email,company\n"
        "Asha Rao,ASHA@Acme.IN,Acme\n"  # updates Asha
        "New Nina,nina@example.com,\n"  # creates
        "Nina Again,Nina@Example.com,Later Co\n"  # updates the record the row above created
        "No Email,,\n"  # cannot be matched
    )
    job = await imported(client, db, key, "leads", text, upsert_on="email")
    assert (job["created"], job["updated"], job["failed"]) == (1, 2, 1)
    records = await leads(client, key)
    assert [(r["id"], r["name"], r["email"], r["company"], r["version"]) for r in records] == [
        (asha["id"], "Asha Rao", "asha@acme.in", "Acme", 2),
        (asha["id"] + 1, "Nina Again", "nina@example.com", "Later Co", 2),
    ]
    assert (await import_report(client, key, job["id"]))[1:] == [
        ["5", "email", "is required to upsert on it"]
    ]


async def test_a_dry_run_writes_nothing_but_its_report(
    client: Client, db: Database, org: OrgSetup
) -> None:
    key = org.crm_key
    text = "name,email\nGood,good@example.com\n,bad\n"
    async with db.read() as session:
        audit_before = await session.scalar(select(func.count()).select_from(AuditEntry))
        events_before = await session.scalar(select(func.count()).select_from(Event))
    job = await imported(client, db, key, "leads", text, dry_run="true")
    assert job["status"] == "done"
    assert job["dry_run"] is True
    assert (job["created"], job["failed"]) == (1, 1)
    assert await total(client, key, "leads") == 0
    assert (await import_report(client, key, job["id"]))[1:] == [
        ["3", "name", "is required"],
        ["3", "email", "must be a valid email address"],
    ]
    async with db.read() as session:
        # the upload's own audit row only, and no event
        assert await session.scalar(select(func.count()).select_from(AuditEntry)) == (
            (audit_before or 0) + 1
        )
        assert await session.scalar(select(func.count()).select_from(Event)) == events_before


async def test_stop_on_error_keeps_the_rows_before_and_says_where_it_stopped(
    client: Client, db: Database, org: OrgSetup
) -> None:
    text = "name,email\nOne,\nTwo,\n,four@example.com\nFour,\n"
    job = await imported(client, db, org.crm_key, "leads", text, stop_on_error="true")
    assert job["status"] == "failed"
    assert job["error"] == "stopped at row 4, which failed"
    assert (job["created"], job["failed"], job["committed_through_row"]) == (2, 1, 4)
    assert [r["name"] for r in await leads(client, org.crm_key)] == ["One", "Two"]


async def test_permissions_and_tenancy(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    _, read_only = await make_member_key(db, peppers, org.org_id, "Read-only")
    assert_error(await upload_csv(client, read_only, "leads", "name\nx\n"), 403, "FORBIDDEN")
    response = await client.put(
        "/api/roles/Standard",
        json={"permissions": {"leads": ["view", "create"]}},
        headers=bearer(org.crm_key),
    )
    assert response.status_code == 200, response.text
    _, standard = await make_member_key(db, peppers, org.org_id, "Standard")
    response = await upload_csv(
        client, standard, "leads", "name,email\nx,x@y.z\n", upsert_on="email"
    )
    assert_error(response, 403, "FORBIDDEN")  # an upsert updates: it needs edit too
    job = await imported(client, db, standard, "leads", "name\nMine\n")
    assert job["created"] == 1
    # The job is visible to keys that may import into its module, in its organization only.
    other = await make_org(db, peppers)
    for who in (other.crm_key, read_only):
        for path in (f"/api/import/jobs/{job['id']}", f"/api/import/jobs/{job['id']}/errors.csv"):
            assert_error(await client.get(path, headers=bearer(who)), 404, "NOT_FOUND")
        response = await client.post(f"/api/import/jobs/{job['id']}/cancel", headers=bearer(who))
        assert_error(response, 404, "NOT_FOUND")
        listed = await client.get("/api/import/jobs", headers=bearer(who))
        assert listed.json()["data"] == []
    listed = await client.get("/api/import/jobs", headers=bearer(org.crm_key))
    assert [j["id"] for j in listed.json()["data"]] == [job["id"]]


async def test_a_revoked_key_stops_its_import(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    _, key = await make_member_key(db, peppers, org.org_id, "Manager")
    response = await upload_csv(client, key, "leads", "name\nx\n")
    assert response.status_code == 202
    job_id = response.json()["id"]
    (mine,) = (await client.get("/api/keys", headers=bearer(key))).json()["keys"]
    revoked = await client.delete(f"/api/keys/{mine['id']}", headers=bearer(org.crm_key))
    assert revoked.status_code in (200, 204), revoked.text
    await run_imports(db)
    job = await import_job(client, org.crm_key, job_id)
    assert job["status"] == "failed"
    assert job["error"] == "the key that started the import is no longer valid"
    assert await total(client, org.crm_key, "leads") == 0


async def test_cancel_stops_a_queued_job(client: Client, db: Database, org: OrgSetup) -> None:
    key = org.crm_key
    job_id = (await upload_csv(client, key, "leads", "name\nx\n")).json()["id"]
    response = await client.post(f"/api/import/jobs/{job_id}/cancel", headers=bearer(key))
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    await run_imports(db)
    assert await total(client, key, "leads") == 0
    response = await client.post(f"/api/import/jobs/{job_id}/cancel", headers=bearer(key))
    assert_error(response, 409, "CONFLICT")


async def test_an_exported_file_reimports_as_it_is(
    client: Client, db: Database, org: OrgSetup
) -> None:
    key = org.crm_key
    await add_field(client, key, "leads", {"key": "cf_score", "label": "Score", "type": "money"})
    first = {
        "name": "=Formula Fay",
        "email": "fay@example.com",
        "phone": "+1 555 0100",
        "value": 12.5,
        "employees": 3,
        "email_opt_out": True,
        "description": 'Line one\nline "two", three',
        "cf_score": 7.25,
    }
    await create(client, key, "leads", first)
    await create(client, key, "leads", {"name": "Plain Pat"})
    exported = await client.get("/api/export/leads.csv", headers=bearer(key))
    assert exported.status_code == 200
    before = await leads(client, key)
    job = await imported(client, db, key, "leads", exported.text)
    assert (job["created"], job["failed"]) == (2, 0), await import_report(client, key, job["id"])
    after = (await leads(client, key))[2:]
    skip = {"id", "version", "created_at", "updated_at", "created_by"}
    assert [{k: v for k, v in r.items() if k not in skip} for r in after] == [
        {k: v for k, v in r.items() if k not in skip} for r in before
    ]


async def test_an_upload_past_its_cap_is_413(
    settings: Settings, db: Database, org: OrgSetup
) -> None:
    """FINITE_IMPORT_MAX_MB, counted as the file streams (no Content-Length) or declared."""
    app = create_app(replace(settings, import_max_mb=1))
    line = "Name Of Some Length,someone@example.com\n"
    big = ("name,email\n" + line * (2 * 1024 * 1024 // len(line))).encode()

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        for start in range(0, len(big), 65536):
            yield big[start : start + 65536]

    headers = {**bearer(org.crm_key), "Content-Type": "text/csv"}
    with TestClient(app) as client:  # sync: the test transport streams only sync bodies
        response = client.post("/api/import/leads.csv", content=big, headers=headers)
        assert_error(response, 413, "PAYLOAD_TOO_LARGE")
        response = client.post("/api/import/leads.csv", content=chunks(), headers=headers)
        assert "content-length" not in response.request.headers
        assert_error(response, 413, "PAYLOAD_TOO_LARGE")
        assert client.get("/api/import/jobs", headers=headers).json()["data"] == []
    async with db.read() as session:
        assert await session.scalar(select(func.count()).select_from(ImportChunk)) == 0
