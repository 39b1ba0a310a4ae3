"""The console in a real browser: a real `finite serve`, headless Chromium (Debian's
`chromium`, driven by Playwright without its own download) signs in through the form with a
wrong password, then the right one, sees the home page, and signs out — at desktop and at phone
width. Screenshots go under the test's tmp folder, or FINITE_TEST_SCREENSHOTS (CI keeps
.ci/artifacts/screenshots)."""

from __future__ import annotations

from pathlib import Path

from tests.console import browser as web
from tests.console.helpers import PASSWORD
from tests.servers import Servers

WRONG_PASSWORD = "the server responded with a status of 401 (Unauthorized)"

pytestmark = web.needs_chromium


def _wrong_password(text: str) -> bool:
    # The wrong password's page is answered 401, which Chromium reports.
    return text.endswith(WRONG_PASSWORD)


def test_a_member_signs_in_sees_the_console_and_signs_out(servers: Servers, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    served = web.serve_site(servers, tmp_path)
    member, server, shots = served.member, served.server, served.shots

    with web.chromium() as browser:
        for name, (width, height) in web.VIEWPORTS.items():
            with web.open_page(browser, (width, height), ignore=_wrong_password) as tab:
                page, context, errors = tab.page, tab.context, tab.errors
                page.goto(f"{server.base_url}/console/")
                expect(page.locator("h1")).to_have_text("Sign in")  # sent to the form
                page.fill("#email", member.email)
                page.fill("#password", "not the password")
                page.click("button[type=submit]")
                expect(page.locator(".error")).to_have_text("The email or password is not right.")
                page.screenshot(path=str(shots / f"console-{name}-sign-in.png"), full_page=True)

                page.fill("#password", PASSWORD)
                page.click("button[type=submit]")
                expect(page.locator("h1")).to_have_text("Welcome, Bea Browser")
                expect(page.get_by_role("navigation", name="Console")).to_contain_text("API keys")
                cookies = context.cookies()
                (session,) = [c for c in cookies if c["name"] == "finite_console"]
                assert session["httpOnly"] is True
                assert session["sameSite"] == "Lax"
                assert session["path"] == "/console"
                assert page.evaluate("document.cookie") == ""  # no script reads it
                if name == "phone":  # nothing wider than the screen
                    assert page.evaluate("document.documentElement.scrollWidth") <= width
                page.screenshot(path=str(shots / f"console-{name}-home.png"), full_page=True)

                page.get_by_role("button", name="Sign out", exact=True).click()
                expect(page.locator("h1")).to_have_text("Sign in")
                expect(page.locator(".notice")).to_have_text("You are signed out.")
                page.goto(f"{server.base_url}/console/")
                expect(page.locator("h1")).to_have_text("Sign in")  # the session is gone
                assert errors == []  # no CSP violation, no script error
    assert {path.name for path in shots.glob("console-*.png")} >= {
        f"console-{name}-{step}.png" for name in web.VIEWPORTS for step in ("sign-in", "home")
    }
