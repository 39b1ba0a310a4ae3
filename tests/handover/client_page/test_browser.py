"""The client page in a real browser: a real `finite serve` sends a pack (no FINITE_SMTP_URL: the
mail is a `.eml` file in the data folder), headless Chromium (Debian's `chromium`, driven by
Playwright without its own download) opens the mailed link, enters the pack password, clicks
Reveal and sees the password, at desktop and at phone width; on the phone, signs off, sees the
certificate and checks it at /verify. Screenshots go under the test's
tmp folder, or FINITE_TEST_SCREENSHOTS (CI keeps .ci/artifacts/screenshots)."""

from __future__ import annotations

import email
import email.policy
import re
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from tests.conftest import TEST_SECRET
from tests.console import browser as web
from tests.factories import OrgSetup, bearer, make_org
from tests.handover.client_page.helpers import PASSWORD
from tests.handover.factories import SEED_EXAMPLE
from tests.servers import Server, Servers

PACK_PASSWORD = "blue fox 7"
LINK = re.compile(r"http://\S+/p/pk_[A-Za-z0-9_-]{43}")
pytestmark = web.needs_chromium


async def _org(db: Database) -> OrgSetup:
    return await make_org(db, Peppers.from_secrets(TEST_SECRET))


def _send(server: Server, key: str) -> None:
    def call(method: str, path: str, body: object) -> dict[str, object]:
        answer = server.client.request(method, f"/api/v1{path}", json=body, headers=bearer(key))
        assert answer.status_code in (200, 201), answer.text
        data: dict[str, object] = answer.json()["data"]
        return data

    project = call("POST", "/projects", SEED_EXAMPLE)
    pack = f"/projects/{project['id']}/pack"
    call(
        "POST",
        f"{pack}/credentials",
        {"platform": "WordPress admin", "username": "jane.admin", "password": PASSWORD},
    )
    call("PATCH", f"{pack}/access", {"password": PACK_PASSWORD})
    call("POST", f"{pack}/send", {})


def _mailed_link(mail_folder: Path) -> str:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        mails = sorted(mail_folder.glob("*.eml")) if mail_folder.exists() else []
        if mails:
            message = email.message_from_bytes(mails[0].read_bytes(), policy=email.policy.default)
            text = message.get_body(("plain",))
            assert text is not None
            found = LINK.search(text.get_content())
            assert found is not None
            return found.group(0)
        time.sleep(0.1)
    pytest.fail("no mail in the data folder")


def _sign_off(page: Page, shots: Path, width: int) -> None:
    """Sign off through the form, see the certificate, and check it at /verify."""
    from playwright.sync_api import expect

    page.click("text=Sign off the handover")
    page.fill("#signer-name", "Jane Smith")
    page.fill("#signer-email", "jane@example.com")
    page.check("#consent")
    page.screenshot(path=str(shots / "phone-sign-off.png"), full_page=True)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Completion certificate")
    expect(page.locator(".signer")).to_have_text("Jane Smith")
    page.screenshot(path=str(shots / "phone-certificate.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.click(".evidence a")
    expect(page.locator("h1")).to_have_text("Certificate verified")
    page.screenshot(path=str(shots / "phone-verified.png"), full_page=True)


def test_a_client_opens_the_link_unlocks_the_pack_and_reveals_a_password(
    servers: Servers, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    folder = web.data_folder(tmp_path)
    org = web.seed(folder.database_url, _org)
    server = web.start_server(servers, folder, inline_worker="1")
    _send(server, org.handover_key)
    # FINITE_PUBLIC_URL unset: the link is built on the address the server listens on.
    link = _mailed_link(folder.path / "mail")
    assert link.startswith(f"{server.base_url}/p/pk_")
    shots = web.screenshots(tmp_path)

    with web.chromium() as browser:
        for name, (width, height) in web.VIEWPORTS.items():
            with web.open_page(browser, (width, height)) as tab:
                page, errors = tab.page, tab.errors
                page.goto(link)
                expect(page.locator("h1")).to_have_text("Website closeout")
                page.screenshot(path=str(shots / f"{name}-password.png"), full_page=True)
                page.fill("#pack-password", PACK_PASSWORD)
                page.click("button[type=submit]")
                expect(page.get_by_text("WordPress admin")).to_be_visible()
                secret = page.locator(".secret").first
                expect(secret).to_have_text("••••••••")
                page.click("button.reveal")
                expect(secret).to_have_text(PASSWORD)
                page.screenshot(path=str(shots / f"{name}-revealed.png"), full_page=True)
                if name == "phone":  # nothing wider than the screen
                    scroll_width = page.evaluate("document.documentElement.scrollWidth")
                    assert scroll_width <= width
                    _sign_off(page, shots, width)
                assert errors == []  # no CSP violation, no script error
    assert {path.name for path in shots.glob("*.png")} >= {
        "desktop-password.png",
        "desktop-revealed.png",
        "phone-password.png",
        "phone-revealed.png",
        "phone-sign-off.png",
        "phone-certificate.png",
        "phone-verified.png",
    }
    assert shutil.which("chromium") or Path(web.CHROMIUM).exists()
