"""A pack's sendings, newest first, each with what became of its mail and its link."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.mail.outbox import latest_by_reference
from finite.handover.packs import repository
from finite.handover.packs.schemas import MailStatus, SendOut
from finite.models import PackLink


async def send_history(session: AsyncSession, org_id: str, pack_id: str) -> list[SendOut]:
    sends = await repository.sends(session, org_id, pack_id)
    ids = [send.id for send in sends]
    mails = await latest_by_reference(session, org_id=org_id, references=ids)
    links = {
        link.send_id: link
        for link in (
            await session.scalars(
                select(PackLink).where(PackLink.org_id == org_id, PackLink.pack_id == pack_id)
            )
        ).all()
    }
    history: list[SendOut] = []
    for send in sends:
        mail, link = mails.get(send.id), links.get(send.id)
        mail_status: MailStatus | None = mail.status if mail else None  # type: ignore[assignment]
        history.append(
            SendOut(
                id=send.id,
                recipient_email=send.recipient_email,
                message=send.message,
                sent_at=send.sent_at,
                mail_status=mail_status,
                mail_error=mail.last_error if mail else None,
                delivered_at=mail.sent_at if mail else None,
                next_attempt_at=mail.next_attempt_at if mail else None,
                link_expires_at=link.expires_at if link else None,
                link_replaced=bool(link and link.replaced_at is not None),
            )
        )
    return history
