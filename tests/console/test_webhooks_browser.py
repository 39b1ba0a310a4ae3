"""Admin → Webhooks in a real browser against a real `finite serve` (its in-process delivery
worker, loopback targets allowed): sign in, create a webhook pointing at a local receiver (the
secret shown once), create a lead through the API, watch the delivery appear in the webhook's
history with the receiver's answer, redeliver it and see the second attempt. Screenshots go
under the test's tmp folder, or FINITE_TEST_SCREENSHOTS."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tests.console import browser as web
from tests.console.helpers import PASSWORD
from tests.factories import bearer
from tests.servers import Servers
from tests.webhook_receiver import Answer, running_receiver

pytestmark = web.needs_chromium


def _reload_until(page: Any, selector: str, text: str, timeout: float = 15.0) -> None:
    """The history is a plain page: reload it until the worker's attempt shows."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in page.locator(selector).inner_text():
            return
        time.sleep(0.2)
        page.reload()
    raise AssertionError(f"{text!r} never appeared in {selector}: {page.content()[:3000]}")


def test_an_admin_follows_a_real_delivery_and_redelivers_it(
    servers: Servers, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    served = web.serve_site(
        servers,
        tmp_path,
        name="Wren Webhooks",
        inline_worker="1",
        allow_private_targets="1",  # the receiver listens on loopback
    )
    org, member, server, shots = served.org, served.member, served.server, served.shots

    with running_receiver() as rx, web.chromium() as browser:
        rx.default = Answer(status=200, body=b'{"received": true}')
        with web.open_page(browser, web.DESKTOP) as tab:
            page, errors = tab.page, tab.errors
            page.goto(f"{server.base_url}/console/webhooks")
            expect(page.locator("h1")).to_have_text("Sign in")
            page.fill("#email", member.email)
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            expect(page.locator("h1")).to_have_text("Webhooks")  # back where it was going

            page.get_by_role("link", name="Create a webhook").click()
            expect(page.locator("h1")).to_have_text("New CRM webhook")
            page.fill("#url", rx.url)
            page.fill("#description", "Local receiver")
            page.screenshot(path=str(shots / "webhooks-new.png"), full_page=True)
            page.get_by_role("button", name="Create webhook").click()
            expect(page.locator("h1")).to_have_text("Webhook created")
            secret = page.input_value("#secret")
            assert secret.startswith("whsec_")
            page.screenshot(path=str(shots / "webhooks-secret-once.png"), full_page=True)

            page.get_by_role("link", name="Go to the webhook").click()
            expect(page.locator("h1")).to_have_text("Webhook")
            assert secret not in page.content()

            lead = server.client.post(
                "/api/records/leads",
                json={"name": "Asha Rao", "company": "Acme Pumps"},
                headers=bearer(org.crm_key),
            )
            assert lead.status_code == 201, lead.text
            (request,) = rx.wait_for(1)
            assert request.json()["event"] == "create"

            page.goto(f"{server.base_url}/console/webhooks")
            page.get_by_role("link", name=rx.url).click()
            _reload_until(page, "table.deliveries", "succeeded")
            row = page.locator("table.deliveries tbody tr").first
            expect(row.locator(".delivery-code")).to_have_text("200")
            expect(row.locator(".delivery-attempts")).to_have_text("1")
            expect(row).to_contain_text('{"received": true}')
            expect(row).to_contain_text("create leads")
            page.screenshot(path=str(shots / "webhooks-history.png"), full_page=True)

            row.get_by_role("button", name="Redeliver").click()
            expect(page.locator(".notice")).to_contain_text("queued again")
            rx.wait_for(2)
            _reload_until(page, "table.deliveries tbody tr .delivery-attempts", "2")
            row = page.locator("table.deliveries tbody tr").first
            expect(row.locator(".delivery-status")).to_have_text("succeeded")
            page.screenshot(path=str(shots / "webhooks-redelivered.png"), full_page=True)
            page.set_viewport_size({"width": 390, "height": 844})
            assert page.evaluate("document.documentElement.scrollWidth") <= 390  # tables scroll
            page.screenshot(path=str(shots / "webhooks-phone.png"), full_page=True)
            page.set_viewport_size({"width": 1280, "height": 900})

            row.locator("th a").click()
            expect(page.locator("h1")).to_contain_text("Delivery dlv")
            expect(page.locator("table").nth(1).locator("tbody tr")).to_have_count(2)
            page.screenshot(path=str(shots / "webhooks-delivery.png"), full_page=True)
            assert secret not in page.content()
            assert errors == []  # no CSP violation, no script error
    bodies = rx.bodies()
    assert len(bodies) == 2
    assert bodies[0]["delivery_id"] == bodies[1]["delivery_id"]
