"""Drill: the SMTP server is down when mail is due, then comes back on the same address. The
mail waits (`failed`, with the reason and its next attempt) and goes at that attempt; nothing
is lost and nothing is sent twice."""

from __future__ import annotations

from finite.core.mail.worker import MailWorker
from finite.kit.db import Database
from finite.kit.mail.smtp_url import parse_smtp_url
from finite.kit.mail.transports import SmtpTransport
from tests.core.mail.test_outbox import BOX, pack_mail, queue, statuses
from tests.factories import OrgSetup
from tests.mail_server import running_mail_server
from tests.servers import free_port
from tests.webhook_receiver import FakeClock


async def test_mail_waits_for_a_server_that_is_down_and_goes_when_it_is_back(
    db: Database, org: OrgSetup
) -> None:
    clock = FakeClock()
    mail = pack_mail()
    await queue(db, org, mail, clock, "proj_outage")
    port = free_port()
    url = f"smtp://127.0.0.1:{port}?timeout=2"
    worker = MailWorker(db, BOX, SmtpTransport(parse_smtp_url(url)), clock=clock)

    await worker.run_once()  # nobody listens on the port
    (waiting,) = await statuses(db, org, "proj_outage")
    assert (waiting.status, waiting.attempts) == ("failed", 1)
    assert waiting.last_error is not None
    assert "could not hand the mail to the server" in waiting.last_error

    with running_mail_server("none", port=port) as server:
        clock.advance(minutes=2)
        await worker.run_once()
    (sent,) = await statuses(db, org, "proj_outage")
    assert (sent.status, sent.attempts) == ("sent", 2)
    # Once (other tests' mail, left queued in the shared database, may come along).
    ids = [item.message()["Message-ID"] for item in server.accepted]
    assert ids.count(mail.message_id) == 1
