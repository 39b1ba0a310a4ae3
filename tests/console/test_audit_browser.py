"""The audit log and plan pages in a real browser: a real `finite serve`, headless Chromium
(Debian's `chromium`, driven by Playwright) signs in, opens Plan & usage, filters the audit log
by a key and a status, downloads the filtered rows as CSV and presses "Verify now" — at desktop
and phone width. Screenshots go under the test's tmp folder, or FINITE_TEST_SCREENSHOTS."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import httpx

from finite.core.audit.listing import COLUMNS
from tests.console import browser as web
from tests.console.helpers import PASSWORD
from tests.factories import OrgSetup, bearer
from tests.servers import Servers

pytestmark = web.needs_chromium


def _traffic(base_url: str, org: OrgSetup) -> None:
    with httpx.Client(base_url=base_url, headers=bearer(org.crm_key)) as api:
        assert api.post("/api/records/leads", json={"name": "Ada"}).status_code == 201
        assert api.get("/api/records/leads/99999").status_code == 404
        assert api.get("/api/me", headers={"User-Agent": "=1+2"}).status_code == 200


def test_an_admin_filters_the_audit_log_downloads_it_and_verifies_the_chain(
    servers: Servers, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    served = web.serve_site(servers, tmp_path, name="Ada Audit")
    org, admin, server, shots = served.org, served.member, served.server, served.shots
    _traffic(server.base_url, org)

    with web.chromium() as browser:
        for name, (width, height) in web.VIEWPORTS.items():
            with web.open_page(browser, (width, height), accept_downloads=True) as tab:
                page, errors = tab.page, tab.errors
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
    assert {path.name for path in shots.glob("audit-*.png")} >= {
        f"audit-{name}-{step}.png" for name in web.VIEWPORTS for step in ("filtered", "verified")
    }
