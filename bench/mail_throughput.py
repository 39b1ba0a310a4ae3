"""Mail throughput: queued mail handed to a local SMTP sink by one mail worker.

    python bench/mail_throughput.py [--database-url postgresql://…] --mails 2000

Migrates a fresh database (a temporary SQLite file unless `--database-url` names one: it is
used as it is, so give an empty database), queues `--mails` mails at once (one transaction),
starts an aiosmtpd sink that accepts everything, and runs the worker (`core/mail/worker.py`)
until every mail is `sent`: mails per second between the first claim and the last record. Each
mail is its own SMTP session (connect, EHLO, MAIL, RCPT, DATA, QUIT), as the worker sends it.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import func, select

from finite.core.mail import outbox
from finite.core.mail.worker import MailWorker
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.kit.mail.message import Mail
from finite.kit.mail.smtp_url import parse_smtp_url
from finite.kit.mail.transports import SmtpTransport
from finite.kit.secretbox import SecretBox
from finite.models.mail import OutgoingMail
from finite.platform.migrations import migrate_to_head


class Sink:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, smtp: SMTP, session: Session, envelope: Envelope) -> str:
        self.count += 1
        return "250 OK"


async def run(database_url: str, mails: int, concurrency: int, port: int) -> None:
    db = Database(database_url)
    box = SecretBox.from_secrets("bench-secret-" + "x" * 40)
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        now = utcnow()
        async with db.transaction() as session:
            for number in range(mails):
                await outbox.queue_mail(
                    session,
                    box,
                    org_id="org_bench",
                    purpose="bench",
                    reference=f"ref_{number % 100}",
                    mail=Mail(
                        sender="Bench <bench@example.com>",
                        to=(f"client{number}@example.com",),
                        subject="Your handover pack",
                        text="Open it: https://finite.example/p/" + "t" * 43,
                        html='<p><a href="https://finite.example/p/">Open it</a></p>' * 20,
                    ),
                    now=now,
                )
        worker = MailWorker(
            db,
            box,
            SmtpTransport(parse_smtp_url(f"smtp://127.0.0.1:{port}")),
            concurrency=concurrency,
        )
        started = time.perf_counter()
        while await worker.run_once():
            pass
        elapsed = time.perf_counter() - started
        async with db.read() as session:
            sent = await session.scalar(
                select(func.count()).select_from(OutgoingMail).where(OutgoingMail.status == "sent")
            )
        print(
            f"{database_url.split('://')[0]}: {sent} of {mails} sent, sink got {sink.count}, "
            f"{elapsed:.2f} s, {mails / elapsed:.0f} mails/s (concurrency {concurrency})"
        )
    finally:
        controller.stop()
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--mails", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--port", type=int, default=18025)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = arguments.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        migrate_to_head(url)
        asyncio.run(run(url, arguments.mails, arguments.concurrency, arguments.port))


if __name__ == "__main__":
    main()
