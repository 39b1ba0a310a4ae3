"""Mail waiting to go, and what became of it: one row per message, whatever the product.

The message itself (sender, recipients, subject, text, HTML) is sealed: it may carry a link
whose token is stored nowhere else in clear (a client's pack link), and the database must not
give it away.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from finite.kit.db_types import UTCDateTime
from finite.models.base import Base

MAIL_STATUSES = ("queued", "failed", "sent", "dead")
# Mail a worker may claim; the partial index keeps the claim query small however long the
# history grows.
MAIL_DUE_STATUSES = ("queued", "failed")
MAIL_DUE_CONDITION = text("status IN ('queued', 'failed')")
MAIL_FINISHED_STATUSES = ("sent", "dead")


class OutgoingMail(Base):
    __tablename__ = "mail_outbox"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'failed', 'sent', 'dead')", name="status"),
        Index("ix_mail_outbox_org_reference", "org_id", "reference", "created_at"),
        Index("ix_mail_outbox_created", "created_at"),  # retention's oldest-first batches
        Index(
            "ix_mail_outbox_due",
            "next_attempt_at",
            postgresql_where=MAIL_DUE_CONDITION,
            sqlite_where=MAIL_DUE_CONDITION,
        ),
    )

    org_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(40))  # e.g. `pack.sent`
    # What the mail is about (a project, a pack send): its history is read by this.
    reference: Mapped[str] = mapped_column(String(80))
    recipient: Mapped[str] = mapped_column(String(320))
    message_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16))  # queued | failed | sent | dead
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    sent_to: Mapped[str | None] = mapped_column(String(500), nullable=True)  # server or file
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
