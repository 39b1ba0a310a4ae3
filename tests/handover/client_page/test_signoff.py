"""Signing off on the client page (GET/POST /p/{token}/sign-off): the form with its versioned
consent, one sign-off with evidence that recomputes from the stored rows, CSRF-safe, every bad
field named, the pack password gate, and the event Zapier's client-signed-off trigger reads."""

from __future__ import annotations

import hashlib
import re
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import func, select, update

from finite.config import Settings, public_base_url
from finite.handover.client_page.consent import CONSENT_TEXT, CONSENT_VERSION
from finite.handover.packs.assemble import pack_out
from finite.handover.signoffs.canonical import certificate_hash, pack_snapshot
from finite.kit.clock import iso_millis
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.models import AuditEntry, Event, HandoverPack, HandoverProject, Organization, Signoff
from tests.factories import OrgSetup, bearer, make_org
from tests.handover.client_page.helpers import (
    BROWSER,
    SAME_ORIGIN,
    Client,
    Sent,
    api,
    sent_pack,
)
from tests.handover.factories import pdf_text

pytestmark = pytest.mark.usefixtures("quiet_mail")

FORM = {**SAME_ORIGIN, **BROWSER, "Content-Type": "application/x-www-form-urlencoded"}
FORM_TOKEN = re.compile(r'name="form_token" value="([0-9a-f]{64})"')


async def form_token(client: Client, sent: Sent) -> str:
    page = await client.get(f"{sent.page}/sign-off")
    assert page.status_code == 200, page.text
    found = FORM_TOKEN.search(page.text)
    assert found is not None
    return found.group(1)


def fields(token: str, **changes: str | None) -> dict[str, str]:
    values: dict[str, str | None] = {
        "form_token": token,
        "consent_version": CONSENT_VERSION,
        "name": "Jane Smith",
        "email": "jane@example.com",
        "consent": "yes",
        **changes,
    }
    return {name: value for name, value in values.items() if value is not None}


async def post(
    client: Client, sent: Sent, body: dict[str, str], headers: dict[str, str] | None = None
) -> httpx.Response:
    return await client.post(
        f"{sent.page}/sign-off",
        content=urlencode(body).encode(),
        headers=FORM if headers is None else headers,
        follow_redirects=False,
    )


async def signoffs(db: Database, org_id: str) -> list[Signoff]:
    async with db.read() as session:
        return list(await session.scalars(select(Signoff).where(Signoff.org_id == org_id)))


async def test_a_client_signs_off_once_with_evidence_that_recomputes(
    client: Client, org: OrgSetup, db: Database, settings: Settings
) -> None:
    sent = await sent_pack(client, db, settings, org.handover_key)
    page = await client.get(sent.page)
    assert f'href="/p/{sent.token}/sign-off"' in page.text
    form = await client.get(f"{sent.page}/sign-off")
    assert CONSENT_TEXT in form.text
    assert CONSENT_VERSION in form.text
    assert form.headers["content-security-policy"].startswith("default-src 'none'")
    token = await form_token(client, sent)

    signed = await post(client, sent, fields(token))
    assert signed.status_code == 303, signed.text
    assert signed.headers["location"] == f"/p/{sent.token}/certificate"
    again = await post(client, sent, fields(token, name="Someone Else"))
    assert again.status_code == 200
    assert "Jane Smith" in again.text
    assert "Someone Else" not in again.text
    shown = await client.get(f"{sent.page}/sign-off")
    assert "is signed off" in shown.text
    pack_page = await client.get(sent.page)
    assert f'href="/p/{sent.token}/certificate"' in pack_page.text

    (row,) = await signoffs(db, org.org_id)
    assert row.project_id == sent.project_id
    assert (row.signer_name, row.signer_email) == ("Jane Smith", "jane@example.com")
    assert row.user_agent == BROWSER["User-Agent"]
    assert row.ip_address
    assert row.signed_at.tzinfo is not None
    assert row.consent_text == CONSENT_TEXT
    assert row.consent_version == CONSENT_VERSION
    assert row.consent_sha256 == hashlib.sha256(row.consent_text.encode()).hexdigest()
    async with db.read() as session:
        project = await session.get(HandoverProject, (org.org_id, sent.project_id))
        assert project is not None
        pack = await session.get(HandoverPack, (org.org_id, row.pack_id))
        assert pack is not None
        snapshot = pack_snapshot(await pack_out(session, project, pack))
    assert project.status == "signed_off"
    assert row.pack_sha256 == hashlib.sha256(snapshot).hexdigest()
    assert row.certificate_sha256 == certificate_hash(row)
    assert b"WordPress admin" in snapshot
    assert b"Hunter2" not in snapshot

    async with db.read() as session:
        audited = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.org_id == org.org_id, AuditEntry.action == "signoff.completed")
        )
        (event,) = await session.scalars(
            select(Event).where(Event.org_id == org.org_id, Event.event == "signoff.completed")
        )
    assert audited == 1
    assert event.data["signoffId"] == row.id
    trigger = await client.get(
        "/api/v1/zapier/triggers/client-signed-off", headers=bearer(org.handover_key)
    )
    assert trigger.status_code == 200, trigger.text
    (item,) = trigger.json()["data"]
    assert item["id"] == event.id
    assert item["signer_name"] == "Jane Smith"
    assert item["project_id"] == sent.project_id


@pytest.mark.parametrize(
    ("headers", "token"),
    [
        (FORM, None),  # no form token
        (FORM, "0" * 64),  # a forged one
        ({**FORM, "Sec-Fetch-Site": "cross-site"}, "good"),
        (
            {"Content-Type": "application/x-www-form-urlencoded", "Origin": "https://evil.example"},
            "good",
        ),
    ],
)
async def test_a_forged_or_cross_site_sign_off_is_refused(
    client: Client,
    org: OrgSetup,
    db: Database,
    settings: Settings,
    headers: dict[str, str],
    token: str | None,
) -> None:
    sent = await sent_pack(client, db, settings, org.handover_key)
    good = await form_token(client, sent)
    answer = await post(client, sent, fields(good if token == "good" else token), headers)  # type: ignore[arg-type]
    assert answer.status_code == 403
    assert await signoffs(db, org.org_id) == []


async def test_another_links_form_token_is_refused(
    client: Client, org: OrgSetup, db: Database, settings: Settings, peppers: Peppers
) -> None:
    sent = await sent_pack(client, db, settings, org.handover_key)
    other = await make_org(db, peppers)
    theirs = await sent_pack(client, db, settings, other.handover_key)
    foreign = await form_token(client, theirs)
    answer = await post(client, sent, fields(foreign))
    assert answer.status_code == 403
    assert await signoffs(db, org.org_id) == []
    assert await signoffs(db, other.org_id) == []


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"name": "  "}, ["name"]),
        ({"name": "x" * 201}, ["name"]),
        ({"email": "not-an-email"}, ["email"]),
        ({"email": None}, ["email"]),
        ({"consent": None}, ["consent"]),
        ({"consent_version": "1999-01-01"}, ["consent"]),
        ({"name": "", "email": "", "consent": None}, ["name", "email", "consent"]),
    ],
)
async def test_bad_fields_are_named_and_nothing_is_written(
    client: Client,
    org: OrgSetup,
    db: Database,
    settings: Settings,
    changes: dict[str, Any],
    named: list[str],
) -> None:
    sent = await sent_pack(client, db, settings, org.handover_key)
    answer = await post(client, sent, fields(await form_token(client, sent), **changes))
    assert answer.status_code == 400
    assert sorted(re.findall(r'data-field="(\w+)"', answer.text)) == sorted(named)
    assert 'name="form_token"' in answer.text  # the form again, to correct
    assert await signoffs(db, org.org_id) == []
    project = await api(client, org.handover_key, "GET", f"/projects/{sent.project_id}")
    assert project["status"] != "signed_off"


async def test_the_pack_password_gates_the_sign_off(
    client: Client, org: OrgSetup, db: Database, settings: Settings
) -> None:
    sent = await sent_pack(client, db, settings, org.handover_key)
    token = await form_token(client, sent)
    await api(
        client,
        org.handover_key,
        "PATCH",
        f"/projects/{sent.project_id}/pack/access",
        {"password": "open sesame 42"},
    )
    form = await client.get(f"{sent.page}/sign-off")
    assert form.status_code == 401
    assert 'name="password"' in form.text
    refused = await post(client, sent, fields(token))
    assert refused.status_code == 401
    assert await signoffs(db, org.org_id) == []

    entered = await client.post(
        sent.page,
        content=b"password=open+sesame+42",
        headers=FORM,
        follow_redirects=False,
    )
    assert entered.status_code == 303
    signed = await post(client, sent, fields(token))
    assert signed.status_code == 303, signed.text
    assert len(await signoffs(db, org.org_id)) == 1


async def signed_pack(client: Client, org: OrgSetup, db: Database, settings: Settings) -> Sent:
    sent = await sent_pack(client, db, settings, org.handover_key)
    signed = await post(client, sent, fields(await form_token(client, sent)))
    assert signed.status_code == 303, signed.text
    return sent


async def test_the_certificate_lists_the_evidence_as_html_and_pdf(
    client: Client, org: OrgSetup, db: Database, settings: Settings
) -> None:
    sent = await sent_pack(client, db, settings, org.handover_key)
    before = await client.get(f"{sent.page}/certificate")
    assert before.status_code == 404
    await post(client, sent, fields(await form_token(client, sent)))
    (row,) = await signoffs(db, org.org_id)
    assert row.certificate_sha256 is not None
    verify_url = f"{public_base_url(settings)}/verify/{row.certificate_sha256}"
    async with db.read() as session:
        organization = await session.get(Organization, org.org_id)
    assert organization is not None

    page = await client.get(f"{sent.page}/certificate")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    for shown in (
        "Website closeout",
        organization.name,
        "Jane Smith",
        "jane@example.com",
        iso_millis(row.signed_at),
        BROWSER["User-Agent"],
        CONSENT_VERSION,
        row.consent_sha256,
        row.pack_sha256,
        row.certificate_sha256,
        verify_url,
    ):
        assert shown in page.text, shown
    assert row.ip_address is not None
    assert row.ip_address in page.text

    pdf = await client.get(f"{sent.page}/certificate.pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    # A long value may wrap wherever its characters' widths put the margin.
    text = pdf_text(pdf.content).replace("\n", "")
    for shown in ("Jane Smith", row.pack_sha256, row.certificate_sha256, verify_url):
        assert shown in text, shown


async def test_verify_confirms_then_says_when_the_pack_changed(
    client: Client, org: OrgSetup, db: Database, settings: Settings
) -> None:
    sent = await signed_pack(client, org, db, settings)
    (row,) = await signoffs(db, org.org_id)
    checked = await client.get(f"/verify/{row.certificate_sha256}")
    assert checked.status_code == 200
    assert "Certificate verified" in checked.text
    assert "still matches" in checked.text
    assert "Jane Smith" in checked.text
    assert "jane@example.com" not in checked.text  # contact data stays on the certificate
    assert sent.token not in checked.text

    async with db.transaction() as session:
        await session.execute(
            update(HandoverPack)
            .where(HandoverPack.org_id == org.org_id, HandoverPack.id == row.pack_id)
            .values(scope_summary="Something else entirely.")
        )
    changed = await client.get(f"/verify/{row.certificate_sha256}")
    assert changed.status_code == 200
    assert "no longer matches" in changed.text
    assert "still matches" not in changed.text


@pytest.mark.parametrize("digest", ["0" * 64, "not-a-hash", "A" * 64])
async def test_an_unknown_certificate_is_a_404_page(client: Client, digest: str) -> None:
    answer = await client.get(f"/verify/{digest}")
    assert answer.status_code == 404
    assert "Unknown certificate" in answer.text
    assert answer.headers["content-type"].startswith("text/html")


async def test_the_api_returns_the_evidence_and_the_certificate_links(
    client: Client, org: OrgSetup, db: Database, settings: Settings
) -> None:
    sent = await signed_pack(client, org, db, settings)
    (row,) = await signoffs(db, org.org_id)
    base = public_base_url(settings)
    one = await api(client, org.handover_key, "GET", f"/projects/{sent.project_id}/signoff")
    listed = await api(client, org.handover_key, "GET", "/signoffs")
    assert listed == [one]
    assert one["id"] == row.id
    assert one["consentText"] == CONSENT_TEXT
    assert one["consentVersion"] == CONSENT_VERSION
    assert one["consentSha256"] == row.consent_sha256
    assert one["packSha256"] == row.pack_sha256
    assert one["certificateSha256"] == row.certificate_sha256
    assert one["userAgent"] == BROWSER["User-Agent"]
    assert one["verifyUrl"] == f"{base}/verify/{row.certificate_sha256}"
    certificate_path = f"/api/v1/projects/{sent.project_id}/signoff/certificate.pdf"
    assert one["certificateUrl"] == f"{base}{certificate_path}"

    document = await client.get(certificate_path, headers=bearer(org.handover_key))
    assert document.status_code == 200
    assert document.content.startswith(b"%PDF")
    assert "Jane Smith" in pdf_text(document.content)
    anonymous = await client.get(certificate_path)
    assert anonymous.status_code == 401
    verified = await client.get(one["verifyUrl"].removeprefix(base))
    assert "Certificate verified" in verified.text


async def test_the_same_certificate_is_the_same_pdf(
    client: Client, org: OrgSetup, db: Database, settings: Settings
) -> None:
    sent = await signed_pack(client, org, db, settings)
    first = await client.get(f"{sent.page}/certificate.pdf")
    second = await client.get(f"{sent.page}/certificate.pdf")
    assert first.content == second.content
