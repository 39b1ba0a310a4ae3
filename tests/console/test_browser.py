"""The console in a real browser: a real `finite serve`, headless Chromium (Debian's
`chromium`, driven by Playwright without its own download) signs in through the form with a
wrong password, then the right one, sees the home page, and signs out — at desktop and at phone
width. Screenshots go under the test's tmp folder, or FINITE_TEST_SCREENSHOTS (CI keeps
.ci/artifacts/screenshots)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.platform.migrations import migrate_to_head
from tests.conftest import TEST_SECRET
from tests.console.helpers import PASSWORD, ConsoleMember, make_console_member
from tests.factories import make_org
from tests.servers import Servers, server_env

CHROMIUM = "/usr/bin/chromium"
WRONG_PASSWORD = "the server responded with a status of 401 (Unauthorized)"
VIEWPORTS = {"desktop": (1280, 900), "phone": (390, 844)}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]


def _member(database_url: str) -> ConsoleMember:
    async def work() -> ConsoleMember:
        db = Database(database_url)
        try:
            org = await make_org(db, Peppers.from_secrets(TEST_SECRET))
            return await make_console_member(db, org.org_id, name="Bea Browser")
        finally:
            await db.dispose()

    return asyncio.run(work())


def _screenshots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("FINITE_TEST_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_a_member_signs_in_sees_the_console_and_signs_out(servers: Servers, tmp_path: Path) -> None:
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
            for name, (width, height) in VIEWPORTS.items():
                context = browser.new_context(viewport={"width": width, "height": height})
                page = context.new_page()
                errors: list[str] = []

                def console(message: ConsoleMessage, errors: list[str] = errors) -> None:
                    # The wrong password's page is answered 401, which Chromium reports.
                    if message.type == "error" and not message.text.endswith(WRONG_PASSWORD):
                        errors.append(message.text)

                page.on("console", console)
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
                context.close()
        finally:
            browser.close()
    assert {path.name for path in shots.glob("console-*.png")} >= {
        f"console-{name}-{step}.png" for name in VIEWPORTS for step in ("sign-in", "home")
    }
