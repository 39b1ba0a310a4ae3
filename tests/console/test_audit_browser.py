"""The audit log and plan pages in a real browser: a real `finite serve`, headless Chromium
(Debian's `chromium`, driven by Playwright) signs in, opens Plan & usage, filters the audit log
by a key and a status, downloads the filtered rows as CSV and presses "Verify now" — at desktop
and phone width. Screenshots go under the test's tmp folder, or FINITE_TEST_SCREENSHOTS."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

import httpx
import pytest

from finite.core.audit.listing import COLUMNS
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.platform.migrations import migrate_to_head
from tests.conftest import TEST_SECRET
from tests.console.helpers import PASSWORD, ConsoleMember, make_console_member
from tests.console.test_browser import CHROMIUM, VIEWPORTS, _screenshots
from tests.factories import OrgSetup, bearer, make_org
from tests.servers import Servers, server_env

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]


def _org_and_admin(database_url: str) -> tuple[OrgSetup, ConsoleMember]:
    async def work() -> tuple[OrgSetup, ConsoleMember]:
        db = Database(database_url)
        try:
            org = await make_org(db, Peppers.from_secrets(TEST_SECRET))
            admin = await make_console_member(db, org.org_id, name="Ada Audit")
            return org, admin
        finally:
            await db.dispose()

    return asyncio.run(work())


def _traffic(base_url: str, org: OrgSetup) -> None:
    with httpx.Client(base_url=base_url, headers=bearer(org.crm_key)) as api:
        assert api.post("/api/records/leads", json={"name": "Ada"}).status_code == 201
        assert api.get("/api/records/leads/99999").status_code == 404
        assert api.get("/api/me", headers={"User-Agent": "=1+2"}).status_code == 200


def test_an_admin_filters_the_audit_log_downloads_it_and_verifies_the_chain(
    servers: Servers, tmp_path: Path
) -> None:
    from playwright.sync_api import ConsoleMessage, expect, sync_playwright

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    database_url = f"sqlite+aiosqlite:///{data_dir / 'finite.db'}"
    migrate_to_head(database_url)
    org, admin = _org_and_admin(database_url)
    (server,) = servers.start(
        server_env(
            data_dir=str(data_dir), database_url=database_url, secret_key=TEST_SECRET, demo="0"
        )
    )
    _traffic(server.base_url, org)
    shots = _screenshots(tmp_path)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            for name, (width, height) in VIEWPORTS.items():
                context = browser.new_context(
                    viewport={"width": width, "height": height}, accept_downloads=True
                )
                page = context.new_page()
                errors: list[str] = []

                def console(message: ConsoleMessage, errors: list[str] = errors) -> None:
                    if message.type == "error":
                        errors.append(message.text)

                page.on("console", console)
                page.goto(f"{server.base_url}/console/audit")
                expect(page.locator("h1")).to_have_text("Sign in")  # sent to the form
                page.fill("#email", admin.email)
                page.fill("#password", PASSWORD)
                page.click("button[type=submit]")
                expect(page.locator("h1")).to_have_text("Audit log")  # and back to the page

                page.get_by_role("link", name="Plan & usage").click()
                expect(page.locator("h1")).to_have_text("Plan & usage")
                expect(page.locator("#crm .requests-used")).to_have_text("3")
                expect(page.locator("#crm tr.current")).to_contain_text("Enterprise")
                if name == "phone":
                    assert page.evaluate("document.documentElement.scrollWidth") <= width
                page.screenshot(path=str(shots / f"plan-{name}.png"), full_page=True)

                page.get_by_role("link", name="Audit log").click()
                page.get_by_label("Key (actor)").select_option(org.crm_key_id)
                page.get_by_label("Status").fill("4xx")
                page.get_by_role("button", name="Filter").click()
                rows = page.locator("#audit-rows tbody tr")
                expect(rows).to_have_count(1)
                expect(rows.first).to_contain_text("/api/records/leads/99999")
                assert "status=4xx" in page.url  # a bookmark of the filter
                if name == "phone":  # the table scrolls inside its box, the page does not
                    assert page.evaluate("document.documentElement.scrollWidth") <= width
                page.screenshot(path=str(shots / f"audit-{name}-filtered.png"), full_page=True)

                with page.expect_download() as download_info:
                    page.locator("#csv").click()
                download = download_info.value
                text = Path(download.path()).read_text()
                table = list(csv.reader(io.StringIO(text)))
                assert tuple(table[0]) == COLUMNS
                assert len(table) == 2
                assert table[1][COLUMNS.index("status")] == "404"

                page.get_by_label("Status").fill("")
                page.get_by_role("button", name="Filter").click()
                expect(rows).to_have_count(3)  # the key's three calls, the status filter gone
                page.get_by_role("button", name="Verify now").click()
                expect(page.locator("#verdict")).to_contain_text("Chain intact")
                expect(page.get_by_label("Key (actor)")).to_have_value(org.crm_key_id)
                page.screenshot(path=str(shots / f"audit-{name}-verified.png"), full_page=True)
                assert errors == []
                context.close()
        finally:
            browser.close()
    assert {path.name for path in shots.glob("audit-*.png")} >= {
        f"audit-{name}-{step}.png" for name in VIEWPORTS for step in ("filtered", "verified")
    }
