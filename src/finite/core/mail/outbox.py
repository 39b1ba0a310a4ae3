"""The mail outbox in the database: queue a mail inside the caller's transaction, claim due ones
under a lease, record what happened.

A claim sets `lease_until`; a worker that dies leaves its claims to expire and another takes
them again (at least once: the same Message-ID each time, so a receiving server can drop a
repeat). `FOR UPDATE SKIP LOCKED` lets workers on PostgreSQL claim side by side; on SQLite the
write transaction serializes claims.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.retention.registry import register
from finite.core.sealing import register_sealed
from finite.core.wakes import Wake, wake_after_commit
from finite.core.webhooks.schedule import next_attempt_at
from finite.kit.ids import new_id
from finite.kit.mail.message import Mail
from finite.kit.secretbox import SecretBox
from finite.models.mail import MAIL_DUE_CONDITION, MAIL_FINISHED_STATUSES, OutgoingMail

LEASE = timedelta(minutes=2)  # well beyond the 30 s each step of an SMTP exchange may take


@dataclass(frozen=True, slots=True)
class ClaimedMail:
    org_id: str
    id: str
    mail: Mail
    attempts: int  # before this one


@dataclass(frozen=True, slots=True)
class MailStatus:
    """What the API shows of one mail: never its body."""

    id: str
    purpose: str
    recipient: str
    status: str
    attempts: int
    last_error: str | None
    sent_to: str | None
    created_at: datetime
    sent_at: datetime | None
    next_attempt_at: datetime | None


# `finite secrets rotate` re-seals them (core/sealing/).
SEALED = register_sealed(OutgoingMail, "message_sealed", "message")
# Mail that went, or gave up, goes after 90 days (FINITE_RETENTION_MAIL_DAYS).
RETAINED = register(
    "mail",
    OutgoingMail,
    OutgoingMail.created_at,
    default_days=90,
    about="mail that was sent or gave up, with its sealed message",
    removable=OutgoingMail.status.in_(MAIL_FINISHED_STATUSES),
)


def _binding(org_id: str, mail_id: str) -> bytes:
    return SEALED.binding_of(org_id, mail_id)


def _seal(box: SecretBox, org_id: str, mail_id: str, mail: Mail) -> bytes:
    fields = {
        "sender": mail.sender,
        "to": list(mail.to),
        "subject": mail.subject,
        "text": mail.text,
        "html": mail.html,
        "reply_to": mail.reply_to,
        "message_id": mail.message_id,
        "headers": [list(pair) for pair in mail.headers],
    }
    return box.seal(json.dumps(fields), _binding(org_id, mail_id))


def _open(box: SecretBox, row: OutgoingMail) -> Mail:
    fields = json.loads(box.open(row.message_sealed, _binding(row.org_id, row.id)))
    return Mail(
        sender=fields["sender"],
        to=tuple(fields["to"]),
        subject=fields["subject"],
        text=fields["text"],
        html=fields["html"],
        reply_to=fields["reply_to"],
        message_id=fields["message_id"],
        headers=tuple((name, value) for name, value in fields["headers"]),
    )


async def queue_mail(
    session: AsyncSession,
    box: SecretBox,
    *,
    org_id: str,
    purpose: str,
    reference: str,
    mail: Mail,
    now: datetime,
) -> str:
    """Queue `mail` in the caller's transaction: it goes if and only if the change commits."""
    mail_id = new_id("mail")
    session.add(
        OutgoingMail(
            org_id=org_id,
            id=mail_id,
            purpose=purpose,
            reference=reference,
            recipient=", ".join(mail.to),
            message_sealed=_seal(box, org_id, mail_id, mail),
            status="queued",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )
    await session.flush()
    wake_after_commit(session, Wake.MAIL)
    return mail_id


async def claim(
    session: AsyncSession, box: SecretBox, *, now: datetime, limit: int, lease: timedelta = LEASE
) -> list[ClaimedMail]:
    """Lease up to `limit` due mails, oldest due first."""
    rows = (
        await session.scalars(
            select(OutgoingMail)
            .where(
                MAIL_DUE_CONDITION,
                OutgoingMail.next_attempt_at <= now,
                or_(OutgoingMail.lease_until.is_(None), OutgoingMail.lease_until < now),
            )
            .order_by(OutgoingMail.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    for row in rows:
        row.lease_until = now + lease
    await session.flush()
    return [ClaimedMail(row.org_id, row.id, _open(box, row), row.attempts) for row in rows]


async def record_sent(
    session: AsyncSession, claimed: ClaimedMail, *, sent_to: str, now: datetime
) -> None:
    await _update(
        session,
        claimed,
        status="sent",
        attempts=claimed.attempts + 1,
        sent_to=sent_to,
        sent_at=now,
        next_attempt_at=None,
        lease_until=None,
        last_error=None,
    )


async def record_failed(
    session: AsyncSession, claimed: ClaimedMail, *, reason: str, permanent: bool, now: datetime
) -> str:
    """A permanent failure, or the last attempt, is `dead`; otherwise the mail is tried again
    on the webhooks' schedule (1 min, 5 min, 30 min, 2 h, 6 h). Returns the new status."""
    attempts = claimed.attempts + 1
    retry_at = None if permanent else next_attempt_at(attempts, now)
    status = "failed" if retry_at is not None else "dead"
    await _update(
        session,
        claimed,
        status=status,
        attempts=attempts,
        next_attempt_at=retry_at,
        lease_until=None,
        last_error=reason,
    )
    return status


async def release(session: AsyncSession, claimed: Sequence[ClaimedMail]) -> None:
    """Give back claims a stopping worker did not start: due again at once elsewhere."""
    for item in claimed:
        await _update(session, item, lease_until=None)


async def _update(session: AsyncSession, claimed: ClaimedMail, **values: object) -> None:
    await session.execute(
        update(OutgoingMail)
        .where(OutgoingMail.org_id == claimed.org_id, OutgoingMail.id == claimed.id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


async def history(session: AsyncSession, *, org_id: str, reference: str) -> list[MailStatus]:
    """Every mail about `reference`, newest first."""
    rows = (
        await session.scalars(
            select(OutgoingMail)
            .where(OutgoingMail.org_id == org_id, OutgoingMail.reference == reference)
            .order_by(OutgoingMail.created_at.desc(), OutgoingMail.id.desc())
        )
    ).all()
    return [_status(row) for row in rows]


async def latest_by_reference(
    session: AsyncSession, *, org_id: str, references: Sequence[str]
) -> dict[str, MailStatus]:
    """The newest mail about each of `references` (those with any)."""
    if not references:
        return {}
    rows = (
        await session.scalars(
            select(OutgoingMail)
            .where(OutgoingMail.org_id == org_id, OutgoingMail.reference.in_(list(references)))
            .order_by(OutgoingMail.created_at, OutgoingMail.id)
        )
    ).all()
    return {row.reference: _status(row) for row in rows}  # later rows win


def _status(row: OutgoingMail) -> MailStatus:
    return MailStatus(
        id=row.id,
        purpose=row.purpose,
        recipient=row.recipient,
        status=row.status,
        attempts=row.attempts,
        last_error=row.last_error,
        sent_to=row.sent_to,
        created_at=row.created_at,
        sent_at=row.sent_at,
        next_attempt_at=row.next_attempt_at,
    )
