"""Members and roles in a real browser: a real `finite serve`, headless Chromium (Debian's
`chromium`, driven by Playwright) signs an admin in, changes a member's role on the Members page,
and that member's API key is refused a create on its very next call; the Roles grid is shown.
Screenshots (desktop and phone width) go under the test's tmp folder, or
FINITE_TEST_SCREENSHOTS (CI keeps .ci/artifacts/screenshots)."""

from __future__ import annotations

from pathlib import Path

from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from tests.conftest import TEST_SECRET
from tests.console import browser as web
from tests.console.helpers import PASSWORD
from tests.factories import bearer, make_member_key
from tests.servers import Servers

pytestmark = web.needs_chromium


def test_an_admin_changes_a_members_role_and_their_key_follows(
    servers: Servers, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    # An admin with a password, and a Standard member's email and CRM key.
    site = web.site_with_member(tmp_path, name="Ada Admin")
    admin = site.member
    email = "sam.standard@example.com"

    async def standard_key(db: Database) -> str:
        peppers = Peppers.from_secrets(TEST_SECRET)
        _, key = await make_member_key(db, peppers, site.org.org_id, "Standard", email)
        return key

    key = web.seed(site.folder.database_url, standard_key)
    server = web.start_server(servers, site.folder)
    shots = web.screenshots(tmp_path)
    api = server.client
    lead = {"name": "Browser Lead"}
    assert api.post("/api/records/leads", json=lead, headers=bearer(key)).status_code == 201

    with web.chromium() as browser:
        with web.open_page(browser, web.DESKTOP) as tab:
            page, errors = tab.page, tab.errors
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

        with web.open_page(browser, web.PHONE) as tab:
            page = tab.page
            page.goto(f"{server.base_url}/console/login")
            expect(page.get_by_role("link", name="Forgot your password?")).to_be_visible()
            page.get_by_role("link", name="Forgot your password?").click()
            page.fill("#email", "nobody@example.com")
            page.click("button[type=submit]")
            expect(page.locator(".notice")).to_contain_text("If an account exists")
            page.screenshot(path=str(shots / "console-phone-forgot.png"), full_page=True)
