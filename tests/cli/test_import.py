"""`finite import MODULE FILE` on both backends: the rows land with the key as the actor, a
progress bar runs, failed rows exit 1 naming the report (exact rows, fields, reasons), a dry
run writes nothing, a key whose role cannot create is refused."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

from sqlalchemy import func, select

from finite.crm.records import repository
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.models import AuditEntry
from tests.conftest import TEST_SECRET, Invoke
from tests.factories import OrgSetup, make_member_key, make_org


def setup(database_url: str) -> OrgSetup:
    async def make() -> OrgSetup:
        db = Database(database_url)
        try:
            return await make_org(db, Peppers.from_secrets(TEST_SECRET))
        finally:
            await db.dispose()

    return asyncio.run(make())


def lead_names(database_url: str, org_id: str) -> list[str]:
    async def read() -> list[str]:
        db = Database(database_url)
        table = repository.table("leads")
        try:
            async with db.read() as session:
                rows = await session.scalars(
                    select(table.c.name).where(table.c.org_id == org_id).order_by(table.c.id)
                )
                return list(rows.all())
        finally:
            await db.dispose()

    return asyncio.run(read())


def audited_creates(database_url: str, org_id: str) -> int:
    async def read() -> int:
        db = Database(database_url)
        try:
            async with db.read() as session:
                return int(
                    await session.scalar(
                        select(func.count()).where(
                            AuditEntry.org_id == org_id, AuditEntry.action == "create"
                        )
                    )
                    or 0
                )
        finally:
            await db.dispose()

    return asyncio.run(read())


def test_import_writes_the_good_rows_and_names_the_report(
    cli: Invoke, database_url: str, tmp_path: Path
) -> None:
    org = setup(database_url)
    source = tmp_path / "leads.csv"
    source.write_text("name,email,Shoe\nAsha,asha@example.com,9\n,bad,1\nBina,,2\n")
    report = tmp_path / "report.csv"
    result = cli("import", "leads", str(source), "--key", org.crm_key, "--report", str(report))
    assert result.exit_code == 1, result.output
    assert "done: 3 rows read, 2 created, 0 updated, 1 failed" in result.stdout
    assert "column 'Shoe' ignored: is not a field of leads" in result.stdout
    assert str(report) in result.stderr
    with report.open() as opened:
        assert list(csv.reader(opened)) == [
            ["row", "field", "reason"],
            ["3", "name", "is required"],
            ["3", "email", "must be a valid email address"],
        ]
    assert lead_names(database_url, org.org_id) == ["Asha", "Bina"]
    assert audited_creates(database_url, org.org_id) == 2

    result = cli(
        "import", "leads", str(source), "--key", org.crm_key, "--dry-run", "--report", str(report)
    )
    assert result.exit_code == 1
    assert "2 would create" in result.stdout
    assert lead_names(database_url, org.org_id) == ["Asha", "Bina"]

    clean = tmp_path / "clean.csv"
    clean.write_text("name,email\nAsha Rao,ASHA@example.com\nCara,cara@example.com\n")
    result = cli("import", "leads", str(clean), "--key", org.crm_key, "--upsert-on", "email")
    assert result.exit_code == 0, result.output
    assert "2 rows read, 1 created, 1 updated, 0 failed" in result.stdout
    assert lead_names(database_url, org.org_id) == ["Asha Rao", "Bina", "Cara"]


def test_a_role_without_create_cannot_import(
    cli: Invoke, database_url: str, tmp_path: Path
) -> None:
    org = setup(database_url)

    async def read_only() -> str:
        db = Database(database_url)
        try:
            return (
                await make_member_key(
                    db, Peppers.from_secrets(TEST_SECRET), org.org_id, "Read-only"
                )
            )[1]
        finally:
            await db.dispose()

    key = asyncio.run(read_only())
    source = tmp_path / "leads.csv"
    source.write_text("name\nNope\n")
    result = cli("import", "leads", str(source), "--key", key)
    assert result.exit_code == 1
    assert "cannot create leads" in result.stderr
    result = cli("import", "widgets", str(source), "--key", key)
    assert result.exit_code == 2
    assert lead_names(database_url, org.org_id) == []
