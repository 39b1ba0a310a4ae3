"""The mail outbox on both engines: mail goes if and only if its change commits, out through a
real SMTP server (aiosmtpd), retried on the schedule when refused for now, given up at once when
refused for good, sealed at rest, and claimed by one worker at a time."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from finite.config import Settings
from finite.core.mail import outbox
from finite.core.mail.worker import MailWorker
from finite.core.metrics import metrics
from finite.core.retention import retention_plan
from finite.core.retention.purge import purge
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.kit.mail.message import Mail
from finite.kit.mail.smtp_url import parse_smtp_url
from finite.kit.mail.transports import MailTransport, SmtpTransport
from finite.kit.secretbox import SecretBox
from finite.models.mail import OutgoingMail
from finite.platform.state import mail_transport
from tests.conftest import TEST_SECRET
from tests.factories import OrgSetup
from tests.mail_server import MailServer, running_mail_server
from tests.webhook_receiver import FakeClock

pytestmark = pytest.mark.usefixtures("quiet_mail")

LINK = "https://finite.example/p/tok_secret_link_value"
BOX = SecretBox.from_secrets(TEST_SECRET)


@pytest.fixture
def smtp() -> MailServer:  # type: ignore[misc]
    with running_mail_server("none") as server:
        yield server


def pack_mail(to: str = "client@example.com") -> Mail:
    return Mail(
        sender="Acme <studio@example.com>",
        to=(to,),
        subject="Your handover pack",
        text=f"Open it: {LINK}",
        html=f'<a href="{LINK}">Open it</a>',
    )


async def queue(db: Database, org: OrgSetup, mail: Mail, clock: FakeClock, reference: str) -> str:
    async with db.transaction() as session:
        return await outbox.queue_mail(
            session,
            BOX,
            org_id=org.org_id,
            purpose="pack.sent",
            reference=reference,
            mail=mail,
            now=clock(),
        )


async def statuses(db: Database, org: OrgSetup, reference: str) -> list[outbox.MailStatus]:
    async with db.read() as session:
        return await outbox.history(session, org_id=org.org_id, reference=reference)


def counted(outcome: str) -> float:
    """What /metrics shows of `finite_mail_total{outcome=…}` in this process."""
    registry = metrics().registry
    assert registry is not None
    return registry.get_sample_value("finite_mail_total", {"outcome": outcome}) or 0.0


def worker_for(db: Database, transport: MailTransport, clock: FakeClock) -> MailWorker:
    return MailWorker(db, BOX, transport, clock=clock)


async def test_mail_goes_if_and_only_if_its_change_commits(
    db: Database, org: OrgSetup, smtp: MailServer
) -> None:
    clock = FakeClock()

    async def a_change_that_fails() -> None:
        async with db.transaction() as session:
            await outbox.queue_mail(
                session,
                BOX,
                org_id=org.org_id,
                purpose="pack.sent",
                reference="proj_rolled_back",
                mail=pack_mail(),
                now=clock(),
            )
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        await a_change_that_fails()
    mail = pack_mail()
    await queue(db, org, mail, clock, "proj_1")
    worker = worker_for(db, SmtpTransport(parse_smtp_url(smtp.url())), clock)

    assert await worker.run_once() >= 1
    assert await statuses(db, org, "proj_rolled_back") == []
    (status,) = await statuses(db, org, "proj_1")
    assert (status.status, status.attempts, status.last_error) == ("sent", 1, None)
    assert status.sent_to == f"127.0.0.1:{smtp.port}"
    assert status.sent_at == clock()
    (accepted,) = [
        item for item in smtp.accepted if item.message()["Message-ID"] == mail.message_id
    ]
    assert LINK in accepted.message().as_string()


async def test_the_body_is_sealed_at_rest(db: Database, org: OrgSetup) -> None:
    clock = FakeClock()
    mail_id = await queue(db, org, pack_mail(), clock, "proj_sealed")
    async with db.read() as session:
        row = await session.scalar(
            select(OutgoingMail).where(
                OutgoingMail.org_id == org.org_id, OutgoingMail.id == mail_id
            )
        )
    assert row is not None
    assert b"tok_secret_link_value" not in row.message_sealed
    assert b"Open it" not in row.message_sealed
    assert row.recipient == "client@example.com"


async def test_a_refusal_for_now_is_retried_on_the_schedule_with_the_same_message_id(
    db: Database, org: OrgSetup, smtp: MailServer
) -> None:
    clock = FakeClock()
    mail = pack_mail("busy@example.com")
    await queue(db, org, mail, clock, "proj_retry")
    worker = worker_for(db, SmtpTransport(parse_smtp_url(smtp.url())), clock)
    smtp.refuse["busy@example.com"] = "451 4.3.0 Mailbox busy, try later"
    failed_before, sent_before = counted("failed"), counted("sent")

    await worker.run_once()
    # At least: the worker also sends what other tests left queued in the shared database.
    assert counted("failed") >= failed_before + 1
    (failed,) = await statuses(db, org, "proj_retry")
    assert (failed.status, failed.attempts) == ("failed", 1)
    assert failed.last_error is not None
    assert "451" in failed.last_error
    assert failed.next_attempt_at is not None
    wait = failed.next_attempt_at - clock()
    assert timedelta(seconds=54) <= wait <= timedelta(seconds=66)  # one minute, ±10 %

    del smtp.refuse["busy@example.com"]
    clock.advance(seconds=30)
    await worker.run_once()
    assert (await statuses(db, org, "proj_retry"))[0].status == "failed"  # not due yet
    clock.advance(seconds=40)
    await worker.run_once()
    (sent,) = await statuses(db, org, "proj_retry")
    assert (sent.status, sent.attempts, sent.last_error) == ("sent", 2, None)
    assert counted("sent") >= sent_before + 1
    ids = [
        item.message()["Message-ID"]
        for item in smtp.accepted
        if "busy@example.com" in item.recipients
    ]
    assert ids == [mail.message_id]


async def test_a_refusal_for_good_gives_up_at_once(
    db: Database, org: OrgSetup, smtp: MailServer
) -> None:
    clock = FakeClock()
    await queue(db, org, pack_mail("gone@example.com"), clock, "proj_dead")
    smtp.refuse["gone@example.com"] = "550 5.1.1 No such user"
    await worker_for(db, SmtpTransport(parse_smtp_url(smtp.url())), clock).run_once()
    (dead,) = await statuses(db, org, "proj_dead")
    assert (dead.status, dead.attempts, dead.next_attempt_at) == ("dead", 1, None)
    assert dead.last_error is not None
    assert "550" in dead.last_error


async def test_a_claim_holds_until_its_lease_ends(db: Database, org: OrgSetup) -> None:
    clock = FakeClock()
    mail_id = await queue(db, org, pack_mail(), clock, "proj_lease")

    async def claimable() -> bool:
        async with db.transaction() as session:
            claimed = await outbox.claim(session, BOX, now=clock(), limit=1000)
            found = [item for item in claimed if item.id == mail_id]
            await outbox.release(session, [item for item in claimed if item.id != mail_id])
        return bool(found)

    assert await claimable()
    assert not await claimable()  # a worker holds it
    clock.advance(seconds=outbox.LEASE.total_seconds() + 1)
    assert await claimable()  # that worker died: another takes it


async def test_without_a_server_mail_is_an_eml_file_the_log_names(
    db: Database,
    org: OrgSetup,
    settings: Settings,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock()
    await queue(db, org, pack_mail(), clock, "proj_file")
    transport = mail_transport(replace(settings, smtp=None, data_dir=tmp_path))
    with caplog.at_level(logging.INFO, logger="finite.mail"):
        await worker_for(db, transport, clock).run_once()
    (sent,) = await statuses(db, org, "proj_file")
    assert sent.status == "sent"
    assert sent.sent_to is not None
    path = Path(sent.sent_to)
    assert path.parent == tmp_path / "mail"
    assert LINK in path.read_text()
    assert str(path) in caplog.text


async def test_retention_removes_old_mail_that_went_never_mail_still_to_go(
    db: Database, org: OrgSetup
) -> None:
    clock = FakeClock(utcnow() - timedelta(days=100))
    went = await queue(db, org, pack_mail(), clock, "proj_old")
    waiting = await queue(db, org, pack_mail(), clock, "proj_old")
    async with db.transaction() as session:
        await session.execute(
            update(OutgoingMail)
            .where(OutgoingMail.org_id == org.org_id, OutgoingMail.id == went)
            .values(status="sent")
        )
    await purge(db, retention_plan({}), utcnow())
    assert [status.id for status in await statuses(db, org, "proj_old")] == [waiting]
