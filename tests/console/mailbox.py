"""Reading the console's mail as its recipient would: the newest queued mail to an address,
opened from the outbox (the in-process app sends none), and the one-time link in it."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from litestar import Litestar
from sqlalchemy import select

from finite.core.mail.outbox import SEALED
from finite.kit.db import Database
from finite.models import OutgoingMail
from finite.platform.state import Platform

_LINK = re.compile(r"https?://[^/\s]+(/console/password/[A-Za-z0-9_-]+)")


@dataclass(frozen=True)
class Mailed:
    purpose: str
    subject: str
    text: str

    @property
    def path(self) -> str:
        """The link's path on this server (/console/password/<token>)."""
        found = _LINK.search(self.text)
        assert found is not None, self.text
        return found.group(1)


async def mails_to(db: Database, app: Litestar, recipient: str) -> list[Mailed]:
    """Every mail queued to `recipient`, oldest first."""
    platform = app.state.platform
    assert isinstance(platform, Platform)
    async with db.read() as session:
        rows = (
            await session.scalars(
                select(OutgoingMail)
                .where(OutgoingMail.recipient == recipient)
                .order_by(OutgoingMail.created_at, OutgoingMail.id)
            )
        ).all()
    mails = []
    for row in rows:
        binding = SEALED.binding_of(row.org_id, row.id)
        fields = json.loads(platform.secrets.open(row.message_sealed, binding))
        mails.append(Mailed(row.purpose, fields["subject"], fields["text"]))
    return mails
