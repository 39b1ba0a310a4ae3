"""The audit log panel: /console/audit's filters (member, key, module, action, status, time)
each narrow the rows to exactly those the database holds for them; keyset paging; the CSV
download holds the filtered rows, formulas neutralised as the API's export does; "Verify now"
runs `finite audit verify`'s check — intact, then broken at the tampered row; Admins only, and
the verify button needs the CSRF token. SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import UTC, timedelta
from urllib.parse import urlencode

import pytest
from sqlalchemy import select, update

from finite.core.audit.listing import COLUMNS
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.models import AuditEntry
from tests.console.helpers import (
    BROWSER,
    Client,
    ConsoleMember,
    SignedIn,
    make_console_member,
    post_form,
    sign_in,
)
from tests.factories import OrgSetup, bearer, make_member_key

LEADS = "/api/records/leads"
FORMULA = '=HYPERLINK("http://evil.example","x")'


def settle(client: Client) -> None:
    """Write the buffered audit rows and seal them, on the app's own loop."""
    platform = client.app.state.platform
    client.blocking_portal.call(platform.audit.flush)
    client.blocking_portal.call(platform.sealer.seal_now)


def row_ids(page: str) -> list[str]:
    return re.findall(r'<tr data-id="([^"]+)"', page)


async def db_rows(db: Database, org_id: str) -> list[AuditEntry]:
    async with db.read() as session:
        found = await session.scalars(
            select(AuditEntry)
            .where(AuditEntry.org_id == org_id)
            .order_by(AuditEntry.occurred_at.desc(), AuditEntry.id.desc())
        )
        return list(found.all())


class Setup:
    def __init__(self, org: OrgSetup, admin: ConsoleMember, signed: SignedIn, other_key_id: str):
        self.org = org
        self.admin = admin
        self.signed = signed
        self.other_key_id = other_key_id


@pytest.fixture
async def setup(client: Client, db: Database, peppers: Peppers, org: OrgSetup) -> Setup:
    """Traffic of two keys and a console member: creates, reads, a 404, a refusal, sign-in."""
    _, other_key = await make_member_key(db, peppers, org.org_id, "Read-only")
    auth = bearer(org.crm_key)
    created = await client.post(LEADS, json={"name": "Ada", "company": "AE"}, headers=auth)
    assert created.status_code == 201, created.text
    assert (await client.get(f"{LEADS}/99999", headers=auth)).status_code == 404
    spoof = {**auth, "User-Agent": FORMULA}
    assert (await client.get("/api/me", headers=spoof)).status_code == 200
    refused = await client.post(LEADS, json={"name": "Bo"}, headers=bearer(other_key))
    assert refused.status_code == 403
    assert (await client.get(LEADS, headers=bearer(other_key))).status_code == 200
    admin = await make_console_member(db, org.org_id, name="Ava Auditor")
    signed = await sign_in(client, admin.email)
    settle(client)
    async with db.read() as session:
        key_id = await session.scalar(
            select(AuditEntry.key_id).where(
                AuditEntry.org_id == org.org_id, AuditEntry.key_id != org.crm_key_id
            )
        )
    assert key_id is not None
    return Setup(org, admin, signed, key_id)


async def test_each_filter_narrows_to_exactly_its_rows(
    client: Client, db: Database, setup: Setup
) -> None:
    rows = await db_rows(db, setup.org.org_id)
    assert 6 <= len(rows) < 50  # one page holds them all
    page = await client.get("/console/audit")
    assert page.status_code == 200, page.text
    assert row_ids(page.text) == [row.id for row in rows]  # newest first, as the API

    middle = sorted(row.occurred_at for row in rows)[len(rows) // 2]
    since = middle.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")  # the form's local time
    until = (middle + timedelta(microseconds=1)).astimezone(UTC).isoformat()
    cases: list[tuple[dict[str, str], Callable[[AuditEntry], bool]]] = [
        ({"member_id": setup.admin.member_id}, lambda r: r.member_id == setup.admin.member_id),
        ({"key_id": setup.org.crm_key_id}, lambda r: r.key_id == setup.org.crm_key_id),
        ({"key_id": setup.other_key_id}, lambda r: r.key_id == setup.other_key_id),
        ({"module": "leads"}, lambda r: r.module == "leads"),
        ({"module": "console"}, lambda r: r.module == "console"),
        ({"action": "sign_in"}, lambda r: r.action == "sign_in"),
        ({"action": "create"}, lambda r: r.action == "create"),
        ({"status": "4xx"}, lambda r: 400 <= r.status <= 499),
        ({"status": "404"}, lambda r: r.status == 404),
        ({"status": "403"}, lambda r: r.status == 403),
        ({"from": since}, lambda r: r.occurred_at >= middle),
        ({"to": until}, lambda r: r.occurred_at <= middle),
        (
            {"module": "leads", "key_id": setup.org.crm_key_id, "status": "2xx"},
            lambda r: r.module == "leads" and r.key_id == setup.org.crm_key_id and r.status < 300,
        ),
    ]
    for params, keep in cases:
        # Empty fields, as a GET form sends them, are no filter.
        query = {"member_id": "", "key_id": "", "module": "", "action": "", **params}
        answer = await client.get(f"/console/audit?{urlencode(query)}")
        assert answer.status_code == 200, (params, answer.text)
        expected = [row.id for row in rows if keep(row)]
        assert expected, params
        assert len(expected) < len(rows), params
        assert row_ids(answer.text) == expected, params
        # The form shows the filter back, so the page is a bookmark of it.
        for value in params.values():
            assert value in answer.text


async def test_bad_filters_name_each_field_and_show_no_rows(client: Client, setup: Setup) -> None:
    query = urlencode({"status": "99", "from": "yesterday", "action": "x" * 40, "bogus": "1"})
    answer = await client.get(f"/console/audit?{query}")
    assert answer.status_code == 400
    for field in ("status:", "from:", "action:", "bogus:"):
        assert field in answer.text
    assert row_ids(answer.text) == []
    csv_answer = await client.get(f"/console/audit.csv?{query}")
    assert csv_answer.status_code == 400
    assert "text/html" in csv_answer.headers["content-type"]


async def test_keyset_paging_walks_every_row_once(
    client: Client, db: Database, setup: Setup
) -> None:
    auth = bearer(setup.org.crm_key)
    for _ in range(55):
        assert (await client.get("/api/me", headers=auth)).status_code == 200
    settle(client)
    rows = await db_rows(db, setup.org.org_id)
    seen: list[str] = []
    path = "/console/audit?module=&key_id=" + setup.org.crm_key_id
    while True:
        answer = await client.get(path)
        assert answer.status_code == 200
        seen += row_ids(answer.text)
        older = re.search(r'<a href="(/console/audit\?[^"]+)" rel="next"', answer.text)
        if older is None:
            break
        path = older.group(1).replace("&amp;", "&")
        assert "key_id=" in path  # the filters stay on the next page
    assert seen == [row.id for row in rows if row.key_id == setup.org.crm_key_id]
    assert len(seen) > 50


async def test_csv_holds_the_filtered_rows_with_formulas_neutralised(
    client: Client, db: Database, setup: Setup
) -> None:
    rows = await db_rows(db, setup.org.org_id)
    query = urlencode({"key_id": setup.org.crm_key_id, "module": ""})
    answer = await client.get(f"/console/audit.csv?{query}")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["content-disposition"].startswith("attachment;")
    table = list(csv.reader(io.StringIO(answer.text)))
    assert tuple(table[0]) == COLUMNS
    expected = [row for row in rows if row.key_id == setup.org.crm_key_id]
    assert [line[0] for line in table[1:]] == [row.id for row in expected]
    agents = [line[COLUMNS.index("user_agent")] for line in table[1:]]
    assert "'" + FORMULA in agents  # a spreadsheet shows it as text, never runs it
    assert not any(agent.startswith("=") for agent in agents)
    # The download is audited with the member as actor.
    settle(client)
    after = await db_rows(db, setup.org.org_id)
    assert any(
        row.action == "audit.export" and row.member_id == setup.admin.member_id for row in after
    )


async def test_verify_shows_intact_then_broken_at_the_tampered_row(
    client: Client, db: Database, setup: Setup
) -> None:
    answer = await post_form(client, "/console/audit/verify", setup.signed)
    assert answer.status_code == 200, answer.text
    assert "Chain intact" in answer.text
    assert 'class="notice verdict-intact"' in answer.text

    rows = sorted(
        (row for row in await db_rows(db, setup.org.org_id) if row.seq is not None),
        key=lambda row: row.seq or 0,
    )
    victim = rows[2]
    async with db.transaction() as session:
        await session.execute(
            update(AuditEntry)
            .where(AuditEntry.org_id == victim.org_id, AuditEntry.id == victim.id)
            .values(status=200 if victim.status != 200 else 201)
        )
    broken = await post_form(client, "/console/audit/verify?module=leads", setup.signed)
    assert broken.status_code == 200
    assert f"Chain broken at seq {victim.seq}" in broken.text
    assert victim.id in broken.text
    assert "edited" in broken.text
    assert 'value="leads"' in broken.text  # the filters stay


async def test_verify_needs_the_csrf_token(client: Client, setup: Setup) -> None:
    for token in ("", "not-the-token"):
        answer = await post_form(client, "/console/audit/verify", setup.signed, csrf=token)
        assert answer.status_code == 403
        assert "Chain intact" not in answer.text


async def test_members_without_the_admin_role_are_refused(
    client: Client, db: Database, org: OrgSetup
) -> None:
    manager = await make_console_member(db, org.org_id, role="Manager")
    signed = await sign_in(client, manager.email)
    for path in ("/console/audit", "/console/audit.csv", "/console/audit?status=4xx"):
        answer = await client.get(path, headers=BROWSER)
        assert answer.status_code == 403, path
        assert "text/html" in answer.headers["content-type"]
    verify = await post_form(client, "/console/audit/verify", signed)
    assert verify.status_code == 403
    assert "Chain" not in verify.text
