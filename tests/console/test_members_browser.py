"""Members and roles in a real browser: a real `finite serve`, headless Chromium (Debian's
`chromium`, driven by Playwright) signs an admin in, changes a member's role on the Members page,
and that member's API key is refused a create on its very next call; the Roles grid is shown.
Screenshots (desktop and phone width) go under the test's tmp folder, or
FINITE_TEST_SCREENSHOTS (CI keeps .ci/artifacts/screenshots)."""

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
from tests.factories import bearer, make_member_key, make_org
from tests.servers import Servers, server_env

CHROMIUM = "/usr/bin/chromium"
VIEWPORTS = {"desktop": (1280, 900), "phone": (390, 844)}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]


def _people(database_url: str) -> tuple[ConsoleMember, str, str]:
    """An admin with a password, and a Standard member's email and CRM key."""

    async def work() -> tuple[ConsoleMember, str, str]:
        db = Database(database_url)
        try:
            peppers = Peppers.from_secrets(TEST_SECRET)
            org = await make_org(db, peppers)
            admin = await make_console_member(db, org.org_id, name="Ada Admin")
            email = "sam.standard@example.com"
            _, key = await make_member_key(db, peppers, org.org_id, "Standard", email)
            return admin, email, key
        finally:
            await db.dispose()

    return asyncio.run(work())


def _screenshots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("FINITE_TEST_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_an_admin_changes_a_members_role_and_their_key_follows(
    servers: Servers, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    database_url = f"sqlite+aiosqlite:///{data_dir / 'finite.db'}"
    migrate_to_head(database_url)
    admin, email, key = _people(database_url)
    (server,) = servers.start(
        server_env(
            data_dir=str(data_dir), database_url=database_url, secret_key=TEST_SECRET, demo="0"
        )
    )
    shots = _screenshots(tmp_path)
    api = server.client
    lead = {"name": "Browser Lead"}
    assert api.post("/api/records/leads", json=lead, headers=bearer(key)).status_code == 201

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(f"{server.base_url}/console/members")
            page.fill("#email", admin.email)
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            expect(page.locator("h1")).to_have_text("Members")
            row = page.locator(f'tr[data-member="{email}"]')
            expect(row).to_contain_text("Standard Member")
            row.get_by_label("Role of Standard Member").select_option("Read-only")
            page.screenshot(path=str(shots / "console-desktop-members.png"), full_page=True)
            row.get_by_role("button", name="Change role").click()
            expect(page.locator(".notice")).to_contain_text("Role changed")
            # The member's very next API call sees the new role.
            refused = api.post("/api/records/leads", json=lead, headers=bearer(key))
            assert refused.status_code == 403, refused.text
            assert api.get("/api/records/leads", headers=bearer(key)).status_code == 200

            page.get_by_role("link", name="Roles and their permissions").click()
            expect(page.locator("h1")).to_have_text("Roles")
            page.screenshot(path=str(shots / "console-desktop-roles.png"), full_page=True)
            assert errors == []
            context.close()

            width, height = VIEWPORTS["phone"]
            phone = browser.new_context(viewport={"width": width, "height": height})
            page = phone.new_page()
            page.goto(f"{server.base_url}/console/login")
            expect(page.get_by_role("link", name="Forgot your password?")).to_be_visible()
            page.get_by_role("link", name="Forgot your password?").click()
            page.fill("#email", "nobody@example.com")
            page.click("button[type=submit]")
            expect(page.locator(".notice")).to_contain_text("If an account exists")
            page.screenshot(path=str(shots / "console-phone-forgot.png"), full_page=True)
            phone.close()
        finally:
            browser.close()
