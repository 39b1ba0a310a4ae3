"""Branding where clients see it: the pack's email (From, subject, logo, accent), the client
page (name, logo, the accent as a stylesheet the CSP allows), the certificate (HTML and PDF);
without branding, or on a plan without it, the defaults as before."""

from __future__ import annotations

import email
import email.policy
import hashlib
from dataclasses import replace
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import update

from finite.config import Settings
from finite.core.accounts.service import PlanChoice, set_plan
from finite.handover.client_page.headers import CSP
from finite.handover.signoffs.service import SignoffInput, record_signoff
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.models import HandoverProject, Organization
from tests.factories import OrgSetup, bearer
from tests.handover.branding.images import image, logo
from tests.handover.client_page.helpers import Client, Sent, mail_folder, sent_pack
from tests.handover.factories import pdf_text

pytestmark = pytest.mark.usefixtures("quiet_mail")

PUBLIC_URL = "https://handover.agency.example"
NAME = "Zoë Łukasiewicz & Partners"
ACCENT = "#0f766e"
PNG = image("PNG", (240, 80), "#0f766e")
LOGO_PATH = f"/branding/logos/{hashlib.sha256(PNG).hexdigest()}"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, public_url=PUBLIC_URL, mail_from="Finite <send@finite.example>")


async def brand(client: Client, key: str, **body: Any) -> None:
    values = {"displayName": NAME, "accentColor": ACCENT, "logo": logo(PNG), **body}
    answer = await client.put("/api/v1/branding", json=values, headers=bearer(key))
    assert answer.status_code == 200, answer.text


def latest_mail(settings: Settings) -> EmailMessage:
    newest = max(mail_folder(settings).glob("*.eml"), key=lambda path: path.stat().st_mtime_ns)
    message = email.message_from_bytes(newest.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def html_of(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    assert part is not None
    return str(part.get_content())


async def organization_name(db: Database, org_id: str) -> str:
    async with db.read() as session:
        organization = await session.get(Organization, org_id)
    assert organization is not None
    return organization.name


async def test_the_email_carries_the_brand(
    client: Client, org: OrgSetup, db: Database, settings: Settings
) -> None:
    await brand(client, org.handover_key)
    await sent_pack(client, db, settings, org.handover_key)
    message = latest_mail(settings)

    assert message["From"].addresses[0].display_name == NAME
    assert message["From"].addresses[0].addr_spec == "send@finite.example"
    assert message["Subject"] == f"Your handover pack for Website closeout from {NAME}"
    html = html_of(message)
    assert f'<img src="{PUBLIC_URL}{LOGO_PATH}"' in html
    assert 'width="144" height="48"' in html  # 240 by 80 pixels, shown 48 high
    assert 'alt="Zoë Łukasiewicz &amp; Partners"' in html
    assert f"background:{ACCENT};color:#ffffff" in html  # the button, white on the teal
    assert "#2563eb" not in html
    text = message.get_body(("plain",))
    assert text is not None
    assert NAME in text.get_content()
    logo_answer = await client.get(LOGO_PATH)  # what the mail client fetches
    assert logo_answer.content == PNG


async def test_without_branding_the_email_is_as_before(
    client: Client, org: OrgSetup, db: Database, settings: Settings
) -> None:
    await sent_pack(client, db, settings, org.handover_key)
    message = latest_mail(settings)
    assert str(message["From"]) == "Finite <send@finite.example>"
    assert message["Subject"] == "Your handover pack for Website closeout"
    html = html_of(message)
    assert "<img" not in html
    assert "background:#2563eb" in html
    assert await organization_name(db, org.org_id) in html


async def test_the_client_page_carries_the_brand_within_its_csp(
    client: Client, org: OrgSetup, db: Database, settings: Settings
) -> None:
    await brand(client, org.handover_key)
    sent = await sent_pack(client, db, settings, org.handover_key)
    page = await client.get(sent.page)
    assert page.status_code == 200
    html = page.text
    assert f'<img class="logo" src="{LOGO_PATH}" alt="Zoë Łukasiewicz &amp; Partners">' in html
    assert '<p class="agency">Zoë Łukasiewicz &amp; Partners</p>' in html
    assert f'<link rel="stylesheet" href="/branding/theme/{ACCENT[1:]}">' in html
    assert "style=" not in html  # nothing inline for the CSP to refuse
    assert "<style" not in html
    assert page.headers["content-security-policy"] == CSP
    assert "img-src 'self'" in CSP
    assert "style-src 'self'" in CSP
    theme = await client.get(f"/branding/theme/{ACCENT[1:]}")
    assert f"--accent: {ACCENT};" in theme.text
    for path in (f"{sent.page}/sign-off",):
        assert LOGO_PATH in (await client.get(path)).text, path


async def test_a_plan_without_branding_shows_the_defaults(
    client: Client, org: OrgSetup, db: Database, settings: Settings
) -> None:
    """Set on Agency, then the organization moves to Free: its clients see the defaults."""
    await brand(client, org.handover_key)
    sent = await sent_pack(client, db, settings, org.handover_key)
    async with db.transaction() as session:
        await set_plan(session, org.org_id, "handover", PlanChoice("free", "active"))
    html = (await client.get(sent.page)).text
    assert "<img" not in html
    assert "/branding/theme/" not in html
    assert f'<p class="agency">{await organization_name(db, org.org_id)}</p>' in html


async def signed(db: Database, org: OrgSetup, sent: Sent) -> None:
    async with db.transaction() as session:
        await record_signoff(
            session,
            org.org_id,
            sent.project_id,
            SignoffInput(
                name="Ελένη Дмитриева",
                email="jane@example.com",
                signed_at=utcnow(),
                ip_address="203.0.113.9",
                user_agent="branding test",
                consent_text="I confirm.",
                consent_version="test-1",
                pack_snapshot=b"{}",
            ),
        )
        await session.execute(
            update(HandoverProject)
            .where(HandoverProject.org_id == org.org_id, HandoverProject.id == sent.project_id)
            .values(status="signed_off")
        )


async def test_the_certificate_carries_the_brand_in_html_and_pdf(
    client: Client, org: OrgSetup, db: Database, settings: Settings
) -> None:
    await brand(client, org.handover_key)
    sent = await sent_pack(client, db, settings, org.handover_key)
    await signed(db, org, sent)

    page = await client.get(f"{sent.page}/certificate")
    assert page.status_code == 200, page.text
    assert f'src="{LOGO_PATH}"' in page.text
    assert "Zoë Łukasiewicz &amp; Partners" in page.text
    assert f"/branding/theme/{ACCENT[1:]}" in page.text

    for path, headers in (
        (f"{sent.page}/certificate.pdf", {}),
        (f"/api/v1/projects/{sent.project_id}/signoff/certificate.pdf", bearer(org.handover_key)),
    ):
        document = await client.get(path, headers=headers)
        assert document.status_code == 200, document.text
        text = pdf_text(document.content)
        assert NAME in text, path
        assert "Ελένη Дмитриева" in text, path  # Greek and Cyrillic, in the bundled font
        assert b"/Subtype /Image" in document.content, path  # the logo
