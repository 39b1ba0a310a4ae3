"""Two-step sign-in in a real browser: a real `finite serve` and headless Chromium (as
test_browser.py). The member opens Account, sets up TOTP from the page's key (the QR code
shown), confirms it with a code computed here with pyotp, sees the recovery codes, signs out,
and signs in again with the password and then a code. Screenshots as test_browser.py's."""

from __future__ import annotations

import time
from pathlib import Path

import pyotp

from tests.console import browser as web
from tests.console.helpers import PASSWORD
from tests.servers import Servers

pytestmark = web.needs_chromium


def test_a_member_turns_on_two_step_sign_in_and_signs_in_with_a_code(
    servers: Servers, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    served = web.serve_site(servers, tmp_path)
    member, server, shots = served.member, served.server, served.shots

    with web.chromium() as browser, web.open_page(browser, web.PHONE) as tab:
        page, context, errors = tab.page, tab.context, tab.errors
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
