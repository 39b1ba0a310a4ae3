"""The tamper-evident audit chain, on SQLite and PostgreSQL.

Rows are sealed off the request path into one hash chain per organization; `verify` (and
`finite audit verify`) finds the first broken link when any row is edited, deleted or moved.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import delete, select, update

from finite.config import Settings
from finite.core.audit.chain import (
    CHAIN_COLUMNS,
    CONTENT_COLUMNS,
    GENESIS,
    canonical,
    link_hash,
    seal_org,
    seal_pending,
    verify,
    verify_chain,
)
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.models import AuditChainHead, AuditEntry, Organization
from tests.conftest import TEST_SECRET, Invoke
from tests.factories import OrgSetup, audit_fields, bearer, make_org

Client = AsyncTestClient[Litestar]
LEADS = "/api/records/leads"


def flush_and_seal(client: Client) -> None:
    """Write the buffered rows, then seal: both on the app's own loop (its blocking portal)."""
    platform = client.app.state.platform
    client.blocking_portal.call(platform.audit.flush)
    client.blocking_portal.call(platform.sealer.seal_now)


async def chain_of(db: Database, org_id: str) -> list[AuditEntry]:
    async with db.read() as session:
        found = await session.scalars(
            select(AuditEntry)
            .where(AuditEntry.org_id == org_id, AuditEntry.seq.is_not(None))
            .order_by(AuditEntry.seq)
        )
        return list(found.all())


async def head_of(db: Database, org_id: str) -> AuditChainHead | None:
    async with db.read() as session:
        return await session.get(AuditChainHead, org_id)


async def some_traffic(client: Client, org: OrgSetup) -> dict[str, Any]:
    """Changes (rows written in the change's transaction) and reads, refusals and failures
    (rows buffered and flushed in batches); returns the lead."""
    auth = bearer(org.crm_key)
    created = await client.post(LEADS, json={"name": "Ada", "company": "AE"}, headers=auth)
    assert created.status_code == 201, created.text
    lead = created.json()
    url = f"{LEADS}/{lead['id']}"
    assert (await client.get(url, headers=auth)).status_code == 200
    updated = await client.put(url, json={"company": "DE"}, headers=auth)
    assert updated.status_code == 200, updated.text
    assert (await client.get(f"{LEADS}/99999", headers=auth)).status_code == 404
    assert (await client.get(LEADS, headers=auth)).status_code == 200
    flush_and_seal(client)
    return dict(lead)


async def sealed_chain(client: Client, db: Database, org: OrgSetup) -> list[AuditEntry]:
    await some_traffic(client, org)
    rows = await chain_of(db, org.org_id)
    assert len(rows) == 5
    assert (await verify_chain(db, org.org_id)).intact
    return rows


async def tamper(db: Database, row: AuditEntry, **values: Any) -> None:
    async with db.transaction() as session:
        await session.execute(
            update(AuditEntry)
            .where(AuditEntry.org_id == row.org_id, AuditEntry.id == row.id)
            .values(**values)
        )


async def remove(db: Database, row: AuditEntry) -> None:
    async with db.transaction() as session:
        await session.execute(
            delete(AuditEntry).where(AuditEntry.org_id == row.org_id, AuditEntry.id == row.id)
        )


def audit_row(org_id: str, **values: Any) -> AuditEntry:
    """A row as a request would leave it, unsealed."""
    return AuditEntry(**audit_fields(org_id, **values))


async def add_rows(db: Database, rows: list[AuditEntry]) -> None:
    async with db.transaction() as session:
        session.add_all(rows)


# --- the canonical form --------------------------------------------------------------------


def test_every_column_is_either_content_or_chain() -> None:
    """A new audit column must be decided on: hashed (a new canonical form) or not."""
    assert set(CONTENT_COLUMNS) | set(CHAIN_COLUMNS) == set(AuditEntry.__table__.columns.keys())
    assert not set(CONTENT_COLUMNS) & set(CHAIN_COLUMNS)


def test_the_canonical_form_is_stable_and_exact() -> None:
    row = audit_row("org_x", changes={"b": {"before": None, "after": Decimal("0.10")}, "a": 1})
    content = {name: getattr(row, name) for name in CONTENT_COLUMNS}
    once = canonical(content)
    assert once == canonical(dict(reversed(list(content.items()))))  # key order never matters
    assert b'"after":0.10' in once  # the number as stored, digit for digit
    as_text = {**content, "changes": {"b": {"before": None, "after": "0.10"}, "a": 1}}
    assert canonical(as_text) != once  # a number and a look-alike string differ
    later = {**content, "occurred_at": row.occurred_at + timedelta(microseconds=1)}
    assert canonical(later) != once
    assert link_hash(GENESIS, once) != link_hash("1" * 64, once)


# --- sealing -------------------------------------------------------------------------------


async def test_rows_of_changes_and_of_buffered_calls_are_sealed_in_one_contiguous_chain(
    client: Client, db: Database, org: OrgSetup
) -> None:
    lead = await some_traffic(client, org)
    rows = await chain_of(db, org.org_id)
    assert [row.seq for row in rows] == [1, 2, 3, 4, 5]
    assert {row.action for row in rows} == {"create", "view", "update", "list"}
    written_with_change = [row for row in rows if row.changes is not None]
    buffered = [row for row in rows if row.changes is None]
    assert [(r.action, r.record_id) for r in written_with_change] == [
        ("create", lead["id"]),
        ("update", lead["id"]),
    ]
    assert len(buffered) == 3
    # In (occurred_at, id) order, each linked to the one before.
    assert rows == sorted(rows, key=lambda r: (r.occurred_at, r.id))
    previous = GENESIS
    for row in rows:
        content = {name: getattr(row, name) for name in CONTENT_COLUMNS}
        assert row.prev_hash == previous
        assert row.hash == link_hash(previous, canonical(content))
        previous = row.hash
    head = await head_of(db, org.org_id)
    assert head is not None
    assert (head.last_seq, head.last_hash) == (5, rows[-1].hash)
    verdict = await verify_chain(db, org.org_id)
    assert (verdict.intact, verdict.rows, verdict.head_seq, verdict.pending) == (True, 5, 5, 0)


async def test_later_rows_extend_the_chain_even_when_they_are_older(
    db: Database, peppers: Peppers
) -> None:
    """A row committed late (a slow transaction, a buffered batch) takes the next seq."""
    org = await make_org(db, peppers)
    now = utcnow()
    await add_rows(db, [audit_row(org.org_id, occurred_at=now) for _ in range(3)])
    await seal_pending(db)
    late = audit_row(org.org_id, occurred_at=now - timedelta(minutes=5))
    await add_rows(db, [late])
    verdict = await verify_chain(db, org.org_id)
    assert (verdict.intact, verdict.rows, verdict.pending) == (True, 3, 1)
    assert await seal_pending(db) >= 1
    rows = await chain_of(db, org.org_id)
    assert [r.seq for r in rows] == [1, 2, 3, 4]
    assert rows[-1].id == late.id
    assert (await verify_chain(db, org.org_id)).intact


async def test_the_running_server_seals_in_the_background(
    client: Client, db: Database, org: OrgSetup
) -> None:
    assert (await client.get(LEADS, headers=bearer(org.crm_key))).status_code == 200
    for _ in range(100):  # the writer flushes every 0.5 s, the sealer runs every second
        rows = await chain_of(db, org.org_id)
        if rows:
            break
        await asyncio.sleep(0.1)
    assert [row.seq for row in rows] == [1]
    assert (await verify_chain(db, org.org_id)).intact


async def test_each_organization_has_its_own_chain(db: Database, peppers: Peppers) -> None:
    first, second = await make_org(db, peppers), await make_org(db, peppers)
    await add_rows(db, [audit_row(first.org_id) for _ in range(3)] + [audit_row(second.org_id)])
    await seal_pending(db)
    assert [r.seq for r in await chain_of(db, first.org_id)] == [1, 2, 3]
    assert [r.seq for r in await chain_of(db, second.org_id)] == [1]
    assert (await chain_of(db, second.org_id))[0].prev_hash == GENESIS


async def test_calls_without_an_organization_have_a_chain_of_their_own(
    client: Client, db: Database
) -> None:
    forged = await client.get(LEADS, headers=bearer("fsk_" + "x" * 49))
    assert forged.status_code == 401
    flush_and_seal(client)
    async with db.read() as session:
        row = (
            await session.scalars(
                select(AuditEntry).where(AuditEntry.request_id == forged.headers["X-Request-ID"])
            )
        ).one()
    assert (row.org_id, row.seq is not None) == ("", True)
    verdict = await verify_chain(db, "")
    assert verdict.intact
    assert verdict.rows >= 1


async def test_concurrent_sealers_never_share_a_seq(
    settings: Settings, db: Database, peppers: Peppers
) -> None:
    """Two sealers, each with its own engine and sessions, racing over the same organizations
    in small batches: every row is sealed exactly once and every chain stays whole."""
    orgs = [await make_org(db, peppers) for _ in range(3)]
    start = utcnow()
    rows = [
        audit_row(org.org_id, occurred_at=start + timedelta(milliseconds=index // 3))
        for org in orgs
        for index in range(150)
    ]
    await add_rows(db, rows)
    first, second = Database(settings.database_url), Database(settings.database_url)
    try:
        counts = await asyncio.gather(seal_pending(first, batch=20), seal_pending(second, batch=20))
    finally:
        await first.dispose()
        await second.dispose()
    assert sum(counts) >= len(rows)
    for org in orgs:
        chain = await chain_of(db, org.org_id)
        assert [row.seq for row in chain] == list(range(1, 151))
        verdict = await verify_chain(db, org.org_id)
        assert (verdict.intact, verdict.rows, verdict.pending) == (True, 150, 0)


async def test_concurrent_first_seals_create_one_head(
    settings: Settings, db: Database, peppers: Peppers
) -> None:
    """The head row does not exist yet: both sealers try to create it at once."""
    org = await make_org(db, peppers)
    await add_rows(db, [audit_row(org.org_id) for _ in range(40)])
    engines = [Database(settings.database_url) for _ in range(4)]

    async def seal_some(engine: Database) -> int:
        async with engine.transaction() as session:
            return await seal_org(session, org.org_id, limit=10)

    try:
        counts = await asyncio.gather(*(seal_some(engine) for engine in engines))
    finally:
        for engine in engines:
            await engine.dispose()
    assert sum(counts) == 40
    assert [row.seq for row in await chain_of(db, org.org_id)] == list(range(1, 41))
    assert (await verify_chain(db, org.org_id)).intact


# --- verify: tampering is found ------------------------------------------------------------


def _mutations(row: AuditEntry, other_org: str) -> dict[str, Any]:
    return {
        "org_id": other_org,
        "id": row.id[:-1] + ("0" if not row.id.endswith("0") else "1"),
        "occurred_at": row.occurred_at + timedelta(microseconds=1),
        "product": "handover",
        "key_id": "key_forged",
        "key_name": "someone else",
        "member_id": "mem_forged",
        "method": "DELETE",
        "path": row.path + "/9",
        "status": row.status + 1,
        "module": "contacts",
        "record_id": (row.record_id or 0) + 1,
        "action": "delete",
        "request_id": "req_forged",
        "client_ip": "10.9.9.9",
        "user_agent": "forged",
        "changes": {"company": {"before": "AE", "after": "Forged"}},
        "prev_hash": "f" * 64,
        "hash": "e" * 64,
    }


@pytest.mark.parametrize("column", [*CONTENT_COLUMNS, "prev_hash", "hash"])
async def test_editing_any_column_of_a_sealed_row_is_found_at_its_seq(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup, column: str
) -> None:
    rows = await sealed_chain(client, db, org)
    target = next(row for row in rows if row.action == "update")  # a row with a diff
    other = await make_org(db, peppers)
    forged = _mutations(target, other.org_id)[column]
    await tamper(db, target, **{column: forged})
    verdict = await verify_chain(db, org.org_id)
    assert verdict.broken is not None
    assert verdict.broken.seq == target.seq
    if column == "org_id":  # moved to another organization: gone from this chain
        assert (verdict.broken.reason, verdict.broken.id) == ("missing", None)
    else:
        assert verdict.broken.reason == "edited"
        assert verdict.broken.id == (forged if column == "id" else target.id)
    assert verdict.rows == (target.seq or 0) - 1  # everything before it checked out


async def test_editing_any_row_is_found_and_undoing_it_restores_the_chain(
    client: Client, db: Database, org: OrgSetup
) -> None:
    rows = await sealed_chain(client, db, org)
    for row in rows:  # the first, the middle ones and the last
        for column, value in (("status", 299), ("path", "/api/elsewhere")):
            await tamper(db, row, **{column: value})
            verdict = await verify_chain(db, org.org_id)
            assert verdict.broken is not None, (row.seq, column)
            assert (verdict.broken.seq, verdict.broken.id, verdict.broken.reason) == (
                row.seq,
                row.id,
                "edited",
            )
            await tamper(db, row, **{column: getattr(row, column)})
            assert (await verify_chain(db, org.org_id)).intact


async def test_editing_the_changes_of_a_create_is_found(
    client: Client, db: Database, org: OrgSetup
) -> None:
    rows = await sealed_chain(client, db, org)
    created = next(row for row in rows if row.action == "create")
    assert created.changes is not None
    forged = {**created.changes, "name": {"before": None, "after": "Mallory"}}
    await tamper(db, created, changes=forged)
    verdict = await verify_chain(db, org.org_id)
    assert verdict.broken is not None
    assert (verdict.broken.seq, verdict.broken.reason) == (created.seq, "edited")


@pytest.mark.parametrize("position", ["first", "middle", "last"])
async def test_deleting_a_row_is_found(
    client: Client, db: Database, org: OrgSetup, position: str
) -> None:
    rows = await sealed_chain(client, db, org)
    victim = {"first": rows[0], "middle": rows[2], "last": rows[-1]}[position]
    await remove(db, victim)
    verdict = await verify_chain(db, org.org_id)
    assert verdict.broken is not None
    assert (verdict.broken.seq, verdict.broken.id, verdict.broken.reason) == (
        victim.seq,
        None,
        "missing",
    )


async def test_deleting_a_row_and_renumbering_the_rest_is_found(
    client: Client, db: Database, org: OrgSetup
) -> None:
    rows = await sealed_chain(client, db, org)
    await remove(db, rows[2])
    for row in rows[3:]:
        await tamper(db, row, seq=(row.seq or 0) - 1)
    async with db.transaction() as session:
        await session.execute(
            update(AuditChainHead).where(AuditChainHead.org_id == org.org_id).values(last_seq=4)
        )
    verdict = await verify_chain(db, org.org_id)
    assert verdict.broken is not None
    assert (verdict.broken.seq, verdict.broken.id, verdict.broken.reason) == (
        3,
        rows[3].id,
        "reordered",
    )


async def test_swapping_two_rows_is_found(client: Client, db: Database, org: OrgSetup) -> None:
    rows = await sealed_chain(client, db, org)
    await tamper(db, rows[1], seq=-1)
    await tamper(db, rows[2], seq=2)
    await tamper(db, rows[1], seq=3)
    verdict = await verify_chain(db, org.org_id)
    assert verdict.broken is not None
    assert (verdict.broken.seq, verdict.broken.id, verdict.broken.reason) == (
        2,
        rows[2].id,
        "reordered",
    )


async def test_a_duplicated_seq_is_found(client: Client, db: Database, org: OrgSetup) -> None:
    rows = await sealed_chain(client, db, org)
    copy = audit_row(org.org_id, seq=rows[1].seq, prev_hash=rows[1].prev_hash, hash=rows[1].hash)
    await add_rows(db, [copy])
    verdict = await verify_chain(db, org.org_id)
    assert verdict.broken is not None
    assert (verdict.broken.seq, verdict.broken.reason) == (2, "reordered")


async def test_a_head_that_disagrees_is_found(client: Client, db: Database, org: OrgSetup) -> None:
    rows = await sealed_chain(client, db, org)
    async with db.transaction() as session:
        await session.execute(
            update(AuditChainHead)
            .where(AuditChainHead.org_id == org.org_id)
            .values(last_hash="a" * 64)
        )
    verdict = await verify_chain(db, org.org_id)
    assert verdict.broken is not None
    assert (verdict.broken.seq, verdict.broken.reason) == (5, "head mismatch")
    async with db.transaction() as session:  # the head cut short: a row lies beyond it
        await session.execute(
            update(AuditChainHead)
            .where(AuditChainHead.org_id == org.org_id)
            .values(last_seq=4, last_hash=rows[3].hash)
        )
    verdict = await verify_chain(db, org.org_id)
    assert verdict.broken is not None
    assert (verdict.broken.seq, verdict.broken.id, verdict.broken.reason) == (
        5,
        rows[4].id,
        "head mismatch",
    )


async def test_unsealed_rows_are_pending_not_broken(db: Database, peppers: Peppers) -> None:
    org = await make_org(db, peppers)
    verdict = await verify_chain(db, org.org_id)
    assert (verdict.intact, verdict.rows, verdict.head_seq, verdict.pending) == (True, 0, 0, 0)
    await add_rows(db, [audit_row(org.org_id) for _ in range(2)])
    async with db.read() as session:
        verdict = await verify(session, org.org_id)
    assert (verdict.intact, verdict.rows, verdict.pending) == (True, 0, 2)


# --- the command line ----------------------------------------------------------------------


def test_cli_seals_verifies_and_reports_the_first_broken_link(
    cli: Invoke, database_url: str
) -> None:
    async def setup() -> tuple[OrgSetup, str, list[AuditEntry]]:
        db = Database(database_url)
        try:
            org = await make_org(db, Peppers.from_secrets(TEST_SECRET))
            rows = [audit_row(org.org_id, status=200 + index) for index in range(4)]
            await add_rows(db, rows)
            async with db.read() as session:
                name = (await session.execute(_org_name(org.org_id))).scalar_one()
            return org, name, rows
        finally:
            await db.dispose()

    async def edit_third(rows: list[AuditEntry]) -> None:
        db = Database(database_url)
        try:
            third = (await chain_of(db, rows[0].org_id))[2]
            await tamper(db, third, path="/api/hidden")
        finally:
            await db.dispose()

    org, name, rows = asyncio.run(setup())
    waiting = cli("audit", "verify", "--org", org.org_id)
    assert waiting.exit_code == 0, waiting.output
    assert waiting.stdout.strip() == "chain intact: 0 rows (4 not sealed yet)"

    sealed = cli("audit", "seal")
    assert sealed.exit_code == 0, sealed.output
    assert sealed.stdout.startswith("sealed ")

    for reference in (org.org_id, name):
        intact = cli("audit", "verify", "--org", reference)
        assert intact.exit_code == 0, intact.output
        assert intact.stdout.strip() == "chain intact: 4 rows"

    asyncio.run(edit_third(rows))
    broken = cli("audit", "verify", "--org", org.org_id)
    assert broken.exit_code == 1, broken.output
    first_line = broken.stdout.splitlines()[0]
    assert first_line.startswith("chain broken at seq 3, row aud_")
    assert "edited" in first_line
    assert "2 rows before it are intact" in broken.stdout

    unknown = cli("audit", "verify", "--org", "org_nope")
    assert unknown.exit_code == 1
    assert "No organization 'org_nope'" in unknown.stderr


def _org_name(org_id: str) -> Any:
    return select(Organization.name).where(Organization.id == org_id)
