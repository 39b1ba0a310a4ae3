"""POST /api/import/{module}.csv on SQLite and PostgreSQL: rows become records with their audit
rows and events; bad rows are reported exactly (row, field, reason) and never stop the others;
unknown and system columns are reported as ignored; custom fields by key or label; upsert on
email in any case; a dry run writes nothing but its report; stop_on_error; the permissions;
the content type; an exported file re-imports."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from finite.crm.imports.runner import ImportRunner
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.models import AuditEntry, Event
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
from tests.factories import OrgSetup, bearer, make_member_key

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
    assert records[0]["value"] == 50000 and records[0]["employees"] == 12
    assert records[0]["email_opt_out"] is True and records[1]["status"] == "New"
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
