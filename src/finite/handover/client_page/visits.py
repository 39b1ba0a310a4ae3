"""What a client's visit writes, one transaction each: a view of the page (counted; the first
moves the project to `viewed`, is audited and recorded as an event), a revealed password
(audited, recorded) and the sign-off (its evidence, audited, recorded).

The client page has no key and no Idempotency-Key, so these are not the API's units of work
(platform/unit_of_work.py); like them, they are the only place its route modules write from
(tests/platform/test_unit_of_work_rule.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from litestar.types import Scope

from finite.handover.branding.brand import Brand, brand_of
from finite.handover.client_page.access import Opened, open_link
from finite.handover.client_page.audit import record_client_action
from finite.handover.client_page.views import count_view
from finite.handover.events import moment
from finite.handover.packs.assemble import pack_out
from finite.handover.packs.credentials import open_password
from finite.handover.packs.schemas import PackOut
from finite.handover.signoffs.canonical import pack_snapshot
from finite.handover.signoffs.service import SignoffInput, record_signoff
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.kit.secretbox import SecretBox
from finite.models import PackCredential, PackLink, Signoff

PAGE_PATH = "/p/{token}"  # what audit rows name: never the token itself
REVEAL_PATH = "/p/{token}/credentials/{credential_id}/reveal"
SIGN_OFF_PATH = "/p/{token}/sign-off"


@dataclass(frozen=True, slots=True)
class Visit:
    opened: Opened
    brand: Brand
    pack: PackOut | None  # None: not admitted (the pack password's form is shown)


async def view_page(
    db: Database, scope: Scope, token: str, now: datetime, admitted: Callable[[Opened], bool]
) -> Visit:
    """Raises access.Refused for an unknown, replaced or expired link. The pack is read in a
    read session and only the count runs in the write transaction: on SQLite the writer lock is
    one for every process, and a view held it while the whole pack was read (p99 410 ms at 20
    callers; bench/client_page.py)."""
    async with db.read() as session:
        opened = await open_link(session, token, now)
        brand = await brand_of(session, opened.link.org_id, now)
        if not admitted(opened):
            return Visit(opened, brand, None)
        pack = await pack_out(session, opened.project, opened.pack, with_sends=False)
    link = opened.link
    async with db.transaction() as session:
        if await count_view(session, link, now):
            await record_client_action(
                session,
                scope,
                link,
                PAGE_PATH,
                "pack.viewed",
                audited={"projectId": link.project_id},
                data={
                    "packId": link.pack_id,
                    "sendId": link.send_id,
                    "recipient": link.recipient_email,
                    "viewedAt": moment(now),
                },
            )
    return Visit(opened, brand, pack)


async def reveal_password(
    db: Database, box: SecretBox, scope: Scope, link: PackLink, credential_id: str
) -> str | None:
    """The credential's password, audited and recorded; None when it is not this pack's."""
    async with db.transaction() as session:
        credential = await session.get(PackCredential, (link.org_id, credential_id))
        if credential is None or credential.pack_id != link.pack_id:
            return None
        password = open_password(box, credential)
        await record_client_action(
            session,
            scope,
            link,
            REVEAL_PATH,
            "credential.revealed",
            audited={"credentialId": credential.id, "platform": credential.platform},
            data={
                "packId": link.pack_id,
                "credentialId": credential.id,
                "platform": credential.platform,
                "recipient": link.recipient_email,
                "revealedAt": moment(utcnow()),
            },
        )
    return password


@dataclass(frozen=True, slots=True)
class Signing:
    name: str
    email: str
    ip_address: str | None
    user_agent: str | None
    consent_text: str
    consent_version: str


async def sign_off(db: Database, scope: Scope, token: str, signing: Signing) -> Signoff:
    """The sign-off of what the client sees now, audited and recorded. Raises access.Refused,
    or a CONFLICT AppError when the project is signed off already."""
    async with db.transaction() as session:
        opened = await open_link(session, token, utcnow())
        link = opened.link
        shown = await pack_out(session, opened.project, opened.pack, with_sends=False)
        row = await record_signoff(
            session,
            link.org_id,
            link.project_id,
            SignoffInput(
                name=signing.name,
                email=signing.email,
                signed_at=utcnow(),
                ip_address=signing.ip_address,
                user_agent=signing.user_agent,
                consent_text=signing.consent_text,
                consent_version=signing.consent_version,
                pack_snapshot=pack_snapshot(shown),
            ),
        )
        await record_client_action(
            session,
            scope,
            link,
            SIGN_OFF_PATH,
            "signoff.completed",
            audited={"projectId": link.project_id, "signoffId": row.id},
            data={
                "packId": row.pack_id,
                "signoffId": row.id,
                "signerName": row.signer_name,
                "signerEmail": row.signer_email,
                "signedAt": moment(row.signed_at),
                "consentVersion": row.consent_version,
                "packSha256": row.pack_sha256,
                "certificateSha256": row.certificate_sha256,
            },
        )
    return row
