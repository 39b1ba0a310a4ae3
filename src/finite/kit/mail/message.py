"""One outgoing email: plain text always, HTML beside it when given (multipart/alternative)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid


@dataclass(frozen=True, slots=True)
class Mail:
    sender: str  # `Name <address>` or an address
    to: tuple[str, ...]
    subject: str
    text: str
    html: str | None = None
    reply_to: str | None = None
    # Set once when the mail is queued, so every retry sends the same Message-ID and a
    # receiving server that saw the first attempt can drop the repeat.
    message_id: str = field(default_factory=lambda: make_msgid(domain="finite.local"))
    headers: tuple[tuple[str, str], ...] = ()

    def to_message(self, *, date: datetime) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = ", ".join(self.to)
        message["Subject"] = self.subject
        message["Date"] = format_datetime(date)
        message["Message-ID"] = self.message_id
        if self.reply_to:
            message["Reply-To"] = self.reply_to
        for name, value in self.headers:
            message[name] = value
        message.set_content(self.text)
        if self.html is not None:
            message.add_alternative(self.html, subtype="html")
        return message
