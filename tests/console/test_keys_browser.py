"""The key panel in a real browser: a real `finite serve`, headless Chromium signs in, creates a
CRM key, reads it from the page (the copy button puts it on the clipboard), uses it with httpx
against the same server, sees that reloading shows no key, revokes it through the confirmation
page and sees the next request refused. Screenshots as in test_browser.py."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from tests.console import browser as web
from tests.console.helpers import PASSWORD
from tests.servers import Servers

KEY = re.compile(r"(fsk_|fz_live_)[0-9A-Za-z]{49}")

pytestmark = web.needs_chromium


def test_an_admin_creates_uses_and_revokes_a_key_in_the_browser(
    servers: Servers, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    served = web.serve_site(servers, tmp_path)
    member, server, shots = served.member, served.server, served.shots

    with web.chromium() as browser, web.open_page(browser, web.DESKTOP) as tab:
        page, errors = tab.page, tab.errors
        tab.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.base_url)
        page.goto(f"{server.base_url}/console/keys")
        page.fill("#email", member.email)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        expect(page.locator("h1")).to_have_text("API keys")  # back where it was going
        page.screenshot(path=str(shots / "console-keys-list.png"), full_page=True)

        page.fill("#key-name", "Browser-made key")
        page.get_by_role("button", name="Create key").click()
        expect(page.locator("h1")).to_have_text("Key created: Browser-made key")
        expect(page.get_by_role("alert")).to_contain_text("It will not be shown again")
        token = page.input_value("#new-key")
        assert KEY.fullmatch(token), token
        page.get_by_role("button", name="Copy to clipboard").click()
        expect(page.locator("#copy-status")).to_have_text("Copied.")
        assert page.evaluate("navigator.clipboard.readText()") == token
        page.screenshot(path=str(shots / "console-keys-created.png"), full_page=True)

        with httpx.Client(base_url=server.base_url, timeout=10) as api:
            bearer = {"Authorization": f"Bearer {token}"}
            assert api.get("/api/records/leads", headers=bearer).status_code == 200

            page.reload()  # the history entry is the list now: no key, no resubmission
            expect(page.locator("h1")).to_have_text("API keys")
            assert token not in page.content()
            assert KEY.search(page.content()) is None
            page.go_back()
            assert token not in page.content()

            page.goto(f"{server.base_url}/console/keys")
            row = page.locator("tr", has_text="Browser-made key")
            expect(row).to_contain_text(f"fsk_…{token[-4:]}")
            expect(row).to_contain_text("active")
            row.get_by_role("link", name="Revoke Browser-made key").click()
            expect(page.locator("h1")).to_have_text("Revoke “Browser-made key”?")
            page.screenshot(path=str(shots / "console-keys-revoke.png"), full_page=True)
            page.get_by_role("button", name="Revoke the key").click()
            expect(page.locator(".notice")).to_contain_text("The key is revoked")
            assert api.get("/api/records/leads", headers=bearer).status_code == 401
        expect(page.locator("tr", has_text="Browser-made key")).to_contain_text("revoked")
        page.screenshot(path=str(shots / "console-keys-revoked.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{server.base_url}/console/handover/keys")
        expect(page.locator("h1")).to_have_text("Security: handover API keys")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the table scrolls
        page.screenshot(path=str(shots / "console-keys-phone.png"), full_page=True)
        assert errors == []  # no CSP violation, no script error
