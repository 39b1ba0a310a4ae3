"""Where mail goes: an SMTP server (`SmtpTransport`), or, with no server configured, a folder of
`.eml` files (`FolderTransport`) that any mail program opens.

A failure says whether trying again may help: a recipient refused with a 5xx answer (no such
mailbox) will not change, while a 4xx answer, a refused or cut connection and a timeout may. A
refused login or sender address is the operator's to fix, so those mails wait and retry too.
"""

from __future__ import annotations

import asyncio
import os
import re
import ssl
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

import aiosmtplib

from finite.kit.mail.message import Mail
from finite.kit.mail.smtp_url import SmtpSettings
from finite.kit.private_files import create_private, private_folder


class MailFailed(Exception):
    """The mail was not accepted. `permanent`: the same mail will never be accepted."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


@dataclass(frozen=True, slots=True)
class Sent:
    where: str  # the server that accepted it, or the file it was written to


class MailTransport(Protocol):
    async def send(self, mail: Mail, *, now: datetime) -> Sent: ...

    def describe(self) -> str: ...


class SmtpTransport:
    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._tls = (
            ssl.create_default_context(cafile=settings.ca_file) if settings.ca_file else None
        )

    def describe(self) -> str:
        return f"SMTP {self.settings.host}:{self.settings.port} ({self.settings.security})"

    async def send(self, mail: Mail, *, now: datetime) -> Sent:
        settings = self.settings
        try:
            refused, _ = await aiosmtplib.send(
                mail.to_message(date=now),
                hostname=settings.host,
                port=settings.port,
                username=settings.username,
                password=settings.password,
                use_tls=settings.security == "tls",
                # None: upgrade when the server offers STARTTLS; True: refuse a server without it.
                start_tls=True if settings.security == "starttls" else None,
                tls_context=self._tls,
                timeout=settings.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [error.code for error in exc.recipients]
            raise MailFailed(
                "; ".join(
                    f"{error.recipient}: {error.code} {error.message}" for error in exc.recipients
                ),
                permanent=all(500 <= code < 600 for code in codes),
            ) from None
        except (aiosmtplib.SMTPAuthenticationError, aiosmtplib.SMTPSenderRefused) as exc:
            raise MailFailed(
                f"the server refused {_whom(exc)}: {exc.code} {exc.message}", permanent=False
            ) from None
        except aiosmtplib.SMTPResponseException as exc:
            raise MailFailed(
                f"the server answered {exc.code} {exc.message}", permanent=500 <= exc.code < 600
            ) from None
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            raise MailFailed(_connection_problem(exc), permanent=False) from None
        if refused:
            raise MailFailed(
                "; ".join(
                    f"{to}: {answer.code} {answer.message}" for to, answer in refused.items()
                ),
                permanent=all(500 <= answer.code < 600 for answer in refused.values()),
            )
        return Sent(f"{settings.host}:{settings.port}")


def _whom(exc: aiosmtplib.SMTPResponseException) -> str:
    if isinstance(exc, aiosmtplib.SMTPSenderRefused):
        return f"the sender {exc.sender}"
    return "the user name and password"


def _connection_problem(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return f"could not hand the mail to the server: {text}"


class FolderTransport:
    """Each mail a file `<UTC time>-<subject>.eml` (mode 0600: it holds the client's link) in
    `folder`, for a machine without a mail server: development, or mail sent by hand."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def describe(self) -> str:
        return f"files in {self.folder}"

    async def send(self, mail: Mail, *, now: datetime) -> Sent:
        data = bytes(mail.to_message(date=now))
        path = await asyncio.to_thread(self._write, data, now, mail.subject)
        return Sent(str(path))

    def _write(self, data: bytes, now: datetime, subject: str) -> Path:
        private_folder(self.folder)
        stem = f"{now.strftime('%Y%m%dT%H%M%S.%fZ')}-{_slug(subject)}"
        for number in range(1, 1000):
            path = self.folder / (f"{stem}.eml" if number == 1 else f"{stem}-{number}.eml")
            try:
                descriptor = create_private(path)
            except FileExistsError:
                continue
            except OSError as exc:
                raise MailFailed(f"could not write {path}: {exc}", permanent=False) from None
            with os.fdopen(descriptor, "wb") as file:
                file.write(data)
            return path
        raise MailFailed(f"no free file name for {stem}.eml in {self.folder}", permanent=False)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "mail"
