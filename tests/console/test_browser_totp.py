"""Two-step sign-in in a real browser: a real `finite serve` and headless Chromium (as
test_browser.py). The member opens Account, sets up TOTP from the page's key (the QR code
shown), confirms it with a code computed here with pyotp, sees the recovery codes, signs out,
and signs in again with the password and then a code. Screenshots as test_browser.py's."""

from __future__ import annotations

import time
from pathlib import Path

import pyotp
import pytest

from finite.platform.migrations import migrate_to_head
from tests.conftest import TEST_SECRET
from tests.console.helpers import PASSWORD
from tests.console.test_browser import CHROMIUM, _member, _screenshots
from tests.servers import Servers, server_env

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]


def test_a_member_turns_on_two_step_sign_in_and_signs_in_with_a_code(
    servers: Servers, tmp_path: Path
) -> None:
    from playwright.sync_api import ConsoleMessage, expect, sync_playwright

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    database_url = f"sqlite+aiosqlite:///{data_dir / 'finite.db'}"
    migrate_to_head(database_url)
    member = _member(database_url)
    (server,) = servers.start(
        server_env(
            data_dir=str(data_dir), database_url=database_url, secret_key=TEST_SECRET, demo="0"
        )
    )
    shots = _screenshots(tmp_path)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            context = browser.new_context(viewport={"width": 390, "height": 844})
            page = context.new_page()
            errors: list[str] = []

            def console(message: ConsoleMessage) -> None:
                if message.type == "error":
                    errors.append(message.text)

            page.on("console", console)
            page.goto(f"{server.base_url}/console/account")
            page.fill("#email", member.email)
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            expect(page.locator("h1")).to_have_text("Your account")
            page.get_by_role("button", name="Set up two-step sign-in").click()
            expect(page.locator("h1")).to_have_text("Set up two-step sign-in")
            qr = page.get_by_alt_text("QR code of the setup address below")
            expect(qr).to_be_visible()
            assert page.evaluate("document.querySelector('img').naturalWidth") > 0  # CSP let it
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
            page.screenshot(path=str(shots / "console-totp-setup.png"), full_page=True)
            secret = page.locator("#totp-secret").inner_text().replace(" ", "")
            totp = pyotp.TOTP(secret)
            page.fill("#code", totp.at(time.time() - 30))
            page.click("form[action='/console/account/totp/confirm'] button")
            expect(page.locator("h1")).to_have_text("Two-step sign-in is on")
            expect(page.locator("#recovery-codes li")).to_have_count(10)
            page.screenshot(path=str(shots / "console-totp-recovery-codes.png"), full_page=True)

            page.get_by_role("button", name="Sign out", exact=True).first.click()
            expect(page.locator("h1")).to_have_text("Sign in")
            page.fill("#email", member.email)
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            expect(page.locator("h1")).to_have_text("Enter your code")
            assert [c for c in context.cookies() if c["name"] == "finite_console"] == []
            page.screenshot(path=str(shots / "console-totp-code.png"), full_page=True)
            page.fill("#code", totp.now())
            page.click("button[type=submit]")
            expect(page.locator("h1")).to_have_text("Welcome, Bea Browser")
            page.goto(f"{server.base_url}/console/account")
            expect(page.locator("#two-step")).to_be_visible()
            expect(page.get_by_text("10 unused recovery codes")).to_be_visible()
            page.screenshot(path=str(shots / "console-account.png"), full_page=True)
            assert errors == []  # no CSP violation, no script error
            context.close()
        finally:
            browser.close()
