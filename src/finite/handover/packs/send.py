"""Send a pack: a fresh link for each recipient, its mail queued in the same transaction (so it
goes if and only if the send commits), the project moved to `pack_sent`. Sending again replaces
every earlier link of the project; the mail goes after the commit (core/mail/worker.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from finite.config import public_base_url
from finite.core.mail.outbox import queue_mail
from finite.handover import inputs, project_status
from finite.handover.branding.brand import Brand, brand_of
from finite.handover.events import moment, prepare_handover_events, record_handover_event
from finite.handover.packs import history, lookup
from finite.handover.packs.links import new_token, token_hash
from finite.handover.packs.pack_mail import PackMail, pack_sent_mail
from finite.handover.packs.schemas import SendIn, SentOut
from finite.kit.errors import Problems
from finite.kit.ids import new_id
from finite.kit.secretbox import SecretBox
from finite.kit.validate import normalize_email
from finite.models import HandoverClient, PackLink, PackSend
from finite.platform.state import Platform
from finite.platform.unit_of_work import Changed

PURPOSE = "pack.sent"
CLIENT_PAGE = "/p/"


@dataclass(frozen=True, slots=True)
class Mailer:
    """What a send needs from the server's settings."""

    box: SecretBox
    sender: str  # FINITE_MAIL_FROM
    public_url: str  # where the client page is reached, without a trailing slash

    @classmethod
    def of(cls, platform: Platform) -> Mailer:
        return cls(
            box=platform.secrets,
            sender=platform.settings.mail_from,
            public_url=public_base_url(platform.settings),
        )


async def send_pack(
    session: AsyncSession, mailer: Mailer, org_id: str, project_id: str, data: SendIn, now: datetime
) -> Changed[SentOut]:
    await prepare_handover_events(session, org_id)
    project, pack = await lookup.editable(session, org_id, project_id)
    client = await session.get(HandoverClient, (org_id, project.client_id))
    brand = await brand_of(session, org_id, now)
    assert client is not None  # foreign keys
    problems = Problems()
    recipients = _recipients(problems, data, client.email)
    message = problems.clean(inputs.text, "personalMessage", data.personal_message or "") or None
    problems.raise_any()
    expires_at = now + timedelta(days=data.link_expires_in_days)

    await session.execute(
        update(PackLink)
        .where(
            PackLink.org_id == org_id,
            PackLink.project_id == project.id,
            PackLink.replaced_at.is_(None),
        )
        .values(replaced_at=now)
        .execution_options(synchronize_session=False)
    )
    send_ids: list[str] = []
    for recipient in recipients:
        send = PackSend(
            org_id=org_id,
            id=new_id("send"),
            pack_id=pack.id,
            recipient_email=recipient,
            message=message,
            sent_at=now,
        )
        token = new_token()
        session.add(send)
        session.add(
            PackLink(
                org_id=org_id,
                id=new_id("link"),
                project_id=project.id,
                pack_id=pack.id,
                send_id=send.id,
                recipient_email=recipient,
                token_hash=token_hash(token),
                created_at=now,
                expires_at=expires_at,
                views=0,
            )
        )
        await queue_mail(
            session,
            mailer.box,
            org_id=org_id,
            purpose=PURPOSE,
            reference=send.id,
            mail=pack_sent_mail(
                PackMail(
                    sender=mailer.sender,
                    agency=brand.name,
                    project=project.name,
                    client_name=client.name if recipient == client.email else recipient,
                    to=recipient,
                    link=f"{mailer.public_url}{CLIENT_PAGE}{token}",
                    expires_at=expires_at,
                    message=message,
                    accent=brand.accent,
                    on_accent=brand.on_accent,
                    logo_url=brand.logo_url(mailer.public_url),
                    logo_size=_shown_size(brand),
                    branded=brand.branded,
                )
            ),
            now=now,
        )
        send_ids.append(send.id)
    before = project.status
    project_status.advance(project, "pack_sent", now)
    for send_id, recipient in zip(send_ids, recipients, strict=True):
        await record_handover_event(
            session,
            org_id=org_id,
            event="pack.sent",
            project_id=project.id,
            data={
                "packId": pack.id,
                "sendId": send_id,
                "recipient": recipient,
                "personalMessage": message,
                "sentAt": moment(now),
                "linkExpiresAt": moment(expires_at),
            },
        )
    await session.flush()
    shown = {item.id: item for item in await history.send_history(session, org_id, pack.id)}
    sends = [shown[send_id] for send_id in send_ids]  # in the recipients' order
    diff: dict[str, Any] = {"recipients": {"before": None, "after": recipients}}
    if project.status != before:
        diff["status"] = {"before": before, "after": project.status}
    return Changed(SentOut(project_id=project.id, status=project.status, sends=sends), diff)


def _shown_size(brand: Brand) -> tuple[int, int]:
    """The logo's size in the mail, in pixels: within 240 by 48, as mail clients that ignore
    CSS limits (Outlook) need it in the tag."""
    width, height = brand.logo_fit(240, 48)
    return max(1, round(width)), max(1, round(height))


def _recipients(problems: Problems, data: SendIn, client_email: str) -> list[str]:
    """The given addresses (normalized, each once), or the client's; every bad one named."""
    if data.recipients is None:
        return [client_email]
    cleaned = [
        problems.clean(normalize_email, f"recipients[{index}]", address)
        for index, address in enumerate(data.recipients)
    ]
    return list(dict.fromkeys(cleaned))
