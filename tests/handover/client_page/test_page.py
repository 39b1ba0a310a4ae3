"""The client page (/p/{token}): the pack as the client sees it, passwords masked; views counted
and the first one moving the project to `viewed`; clear pages for unknown, replaced and expired
links; the security headers."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from finite.config import Settings
from finite.handover.client_page import visits
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.models import AuditEntry, PackLink
from tests.factories import OrgSetup, bearer
from tests.handover.client_page.helpers import PASSWORD, Client, api, latest_token, sent_pack

pytestmark = pytest.mark.usefixtures("quiet_mail")

MASK = "••••••••"


async def test_the_page_shows_the_pack_with_every_password_masked(
    client: Client, org: OrgSetup, db: Database, settings: Settings
) -> None:
    sent = await sent_pack(client, db, settings, org.handover_key)
    page = await client.get(sent.page)

    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "Website closeout" in html
    assert "WordPress admin" in html
    assert "https://client.example/wp-admin" in html
    assert "jane.admin" in html
    assert "Change it after the first login." in html
    assert MASK in html
    assert f'data-reveal="/p/{sent.token}/credentials/{sent.credential_id}/reveal"' in html
    assert PASSWORD not in html
    assert 'href="https://videos.example/editing"' in html
    assert "Editing pages (video)" in html
    assert 'id="support"' in html
    assert "Support lasts <strong>30 days</strong>" in html
    assert f'href="/p/{sent.token}/sign-off"' in html
    assert '<script src="/p/page.js"></script>' in html
    assert "<script>" not in html  # nothing inline: the CSP allows none


async def test_values_are_escaped(
    client: Client, org: OrgSetup, db: Database, settings: Settings
) -> None:
    sent = await sent_pack(client, db, settings, org.handover_key)
    await api(
        client,
        org.handover_key,
        "POST",
        f"/projects/{sent.project_id}/pack/credentials",
        {"platform": "<script>alert(1)</script>", "notes": "a & b"},
    )
    html = (await client.get(sent.page)).text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


async def test_every_view_counts_and_the_first_moves_the_project_to_viewed(
    client: Client, org: OrgSetup, db: Database, settings: Settings
) -> None:
    sent = await sent_pack(client, db, settings, org.handover_key)
    project = f"/projects/{sent.project_id}"
    assert (await api(client, org.handover_key, "GET", project))["status"] == "pack_sent"

    first = await client.get(sent.page)
    assert first.status_code == 200
    assert (await api(client, org.handover_key, "GET", project))["status"] == "viewed"
    answers = await asyncio.gather(*(client.get(sent.page) for _ in range(6)))
    assert {answer.status_code for answer in answers} == {200}

    async with db.read() as session:
        link = await session.scalar(select(PackLink).where(PackLink.org_id == org.org_id))
        viewed = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.org_id == org.org_id, AuditEntry.action == "pack.viewed")
        )
        paths = set(
            await session.scalars(select(AuditEntry.path).where(AuditEntry.org_id == org.org_id))
        )
    assert link is not None
    assert link.views == 7
    assert link.first_viewed_at is not None
    assert viewed == 1
    assert not any(sent.token in path for path in paths)  # the token never reaches the audit
    # One pack.viewed event, which Zapier's trigger (and the webhooks) carry.
    trigger = await client.get(
        "/api/v1/zapier/triggers/pack-viewed", headers=bearer(org.handover_key)
    )
    assert trigger.status_code == 200, trigger.text
    items = [item for item in trigger.json()["data"] if item["project_id"] == sent.project_id]
    assert len(items) == 1
    assert items[0]["event"] == "pack.viewed"
    assert items[0]["recipient"] == "jane@example.com"
    assert sent.token not in trigger.text


async def test_unknown_replaced_and_expired_links_get_a_page_of_their_own(
    client: Client, org: OrgSetup, db: Database, settings: Settings
) -> None:
    sent = await sent_pack(client, db, settings, org.handover_key)

    for unknown in ("/p/pk_" + "A" * 43, "/p/nothing", "/p/" + "x" * 500):
        missing = await client.get(unknown)
        assert missing.status_code == 404
        assert missing.headers["content-type"].startswith("text/html")
        assert "This link does not exist" in missing.text

    await api(client, org.handover_key, "POST", f"/projects/{sent.project_id}/pack/send", {})
    newer = await latest_token(db, settings)
    replaced = await client.get(sent.page)
    assert replaced.status_code == 410
    assert "A newer link was sent" in replaced.text
    assert "WordPress admin" not in replaced.text
    assert (await client.get(f"/p/{newer}")).status_code == 200

    async with db.transaction() as session:
        await session.execute(
            update(PackLink)
            .where(PackLink.org_id == org.org_id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    expired = await client.get(f"/p/{newer}")
    assert expired.status_code == 410
    assert "This link has expired" in expired.text
    for answer in (replaced, expired):
        assert "Traceback" not in answer.text


async def test_the_pages_send_strict_security_headers(
    client: Client, org: OrgSetup, db: Database, settings: Settings
) -> None:
    sent = await sent_pack(client, db, settings, org.handover_key)
    for answer in (await client.get(sent.page), await client.get("/p/pk_unknown")):
        headers = answer.headers
        csp = headers["content-security-policy"]
        assert "default-src 'none'" in csp
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["cache-control"] == "no-store"

    script = await client.get("/p/page.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "reveal" in script.text
    style = await client.get("/p/page.css")
    assert style.headers["content-type"].startswith("text/css")


async def test_a_failure_on_the_page_shows_no_trace_and_logs_no_token(
    client: Client,
    org: OrgSetup,
    db: Database,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sent = await sent_pack(client, db, settings, org.handover_key)

    async def broken(*args: object) -> None:
        raise RuntimeError("a bug deep inside")

    monkeypatch.setattr(visits, "pack_out", broken)
    caplog.set_level(logging.INFO)
    answer = await client.get(sent.page)

    assert answer.status_code == 500
    assert "Traceback" not in answer.text
    assert "a bug deep inside" not in answer.text
    errors = [record for record in caplog.records if record.name == "finite.errors"]
    assert errors  # the bug is logged, with its traceback, for the operator
    assert all(sent.token not in record.getMessage() for record in errors)
    assert "GET /p/{token}" in errors[0].getMessage()
