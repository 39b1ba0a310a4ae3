"""A CSV import in a real `finite serve`, killed with SIGKILL part-way, on SQLite and
PostgreSQL: at the kill the job says exactly which rows landed (every row up to
`committed_through_row`, none after), and a new server resumes it from there once the dead
runner's lease runs out: every row lands once — no duplicate record, audit row, event or
reported problem, and none lost."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from finite.crm.records import repository
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.models import AuditEntry, Event, ImportJob, ImportProblem
from finite.platform.migrations import migrate_to_head
from tests.conftest import TEST_SECRET
from tests.crm.imports.rows import lead_rows
from tests.factories import OrgSetup, bearer, make_org
from tests.servers import Server, Servers, server_env

ROWS = 2000
BAD_EVERY = 300  # these rows have an invalid email
LEASE_SECONDS = 2


def start(servers: Servers, url: str) -> Server:
    env = server_env(
        database_url=url,
        secret_key=TEST_SECRET,
        env="development",
        demo="0",
        inline_worker="1",
        import_lease_seconds=str(LEASE_SECONDS),
    )
    (server,) = servers.start(env)
    return server


def job_of(server: Server, key: str, job_id: str) -> dict[str, Any]:
    response = server.client.get(f"/api/import/jobs/{job_id}", headers=bearer(key))
    assert response.status_code == 200, response.text
    job: dict[str, Any] = response.json()
    return job


async def landed(db: Database, org: OrgSetup) -> list[tuple[str, int]]:
    """(email, how many records hold it) for every lead of the organization."""
    table = repository.table("leads")
    async with db.read() as session:
        rows = await session.execute(
            select(table.c.email, func.count())
            .where(table.c.org_id == org.org_id)
            .group_by(table.c.email)
        )
    return sorted((str(email), int(count)) for email, count in rows.all())


async def test_a_killed_import_resumes_without_duplicates_or_loss(
    fresh_url: str, servers: Servers, tmp_path: Path
) -> None:
    await asyncio.to_thread(migrate_to_head, fresh_url)
    db = Database(fresh_url)
    try:
        org = await make_org(db, Peppers.from_secrets(TEST_SECRET))
        text, emails, bad = lead_rows(ROWS, BAD_EVERY)
        server = start(servers, fresh_url)
        response = server.client.post(
            "/api/import/leads.csv",
            content=text.encode(),
            headers={**bearer(org.crm_key), "Content-Type": "text/csv"},
            timeout=60,
        )
        assert response.status_code == 202, response.text
        job_id = response.json()["id"]
        deadline = time.monotonic() + 60
        while True:  # kill once a chunk or more has landed, well before the end
            job = job_of(server, org.crm_key, job_id)
            if job["rows_done"] >= 500:
                break
            assert job["status"] in ("queued", "running"), job
            assert time.monotonic() < deadline, job
            time.sleep(0.02)
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=10)
        server.client.close()

        async with db.read() as session:
            stored = await session.scalar(select(ImportJob).where(ImportJob.id == job_id))
        assert stored is not None
        assert stored.status == "running", "killed too late"
        through = stored.last_row
        assert 2 < through < ROWS + 1
        expected = sorted(
            (email, 1)
            for row, email in enumerate(emails, start=2)
            if row <= through and row not in bad
        )
        assert await landed(db, org) == expected  # exactly the rows through `through`
        assert stored.created == len(expected)

        resumed = start(servers, fresh_url)
        deadline = time.monotonic() + 120
        while (job := job_of(resumed, org.crm_key, job_id))["status"] != "done":
            assert job["status"] == "running" or job["status"] == "queued", job
            assert time.monotonic() < deadline, job
            time.sleep(0.1)
        assert job["attempts"] == 2
        assert (job["total_rows"], job["rows_done"]) == (ROWS, ROWS)
        assert (job["created"], job["failed"]) == (ROWS - len(bad), len(bad))
        assert job["committed_through_row"] == ROWS + 1
        good = sorted((email, 1) for row, email in enumerate(emails, start=2) if row not in bad)
        assert await landed(db, org) == good
        async with db.read() as session:
            audited = await session.scalar(
                select(func.count(func.distinct(AuditEntry.record_id))).where(
                    AuditEntry.org_id == org.org_id, AuditEntry.action == "create"
                )
            )
            audit_rows = await session.scalar(
                select(func.count()).where(
                    AuditEntry.org_id == org.org_id, AuditEntry.action == "create"
                )
            )
            events = await session.scalar(
                select(func.count()).where(Event.org_id == org.org_id, Event.event == "create")
            )
            problems = (
                await session.execute(
                    select(ImportProblem.row, ImportProblem.field).where(
                        ImportProblem.job_id == job_id
                    )
                )
            ).all()
        assert audited == audit_rows == events == ROWS - len(bad)
        assert sorted(row for row, _ in problems) == sorted(bad)
        report = resumed.client.get(
            f"/api/import/jobs/{job_id}/errors.csv", headers=bearer(org.crm_key)
        )
        assert report.text.splitlines()[1:] == [
            f"{row},email,must be a valid email address" for row in sorted(bad)
        ]
    finally:
        await db.dispose()
