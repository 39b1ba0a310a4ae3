"""The mail worker: claims due mail from the outbox, hands it to the transport, records what
happened. Runs inside `finite serve` (embedded default) or in `finite worker` processes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import exists, or_, select

from finite.core.mail import outbox
from finite.core.mail.outbox import LEASE, ClaimedMail
from finite.core.metrics import metrics
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.kit.mail.transports import MailFailed, MailTransport, Sent
from finite.kit.secretbox import SecretBox
from finite.models.mail import MAIL_DUE_CONDITION, OutgoingMail

log = logging.getLogger("finite.mail")

Result = Sent | MailFailed


class MailWorker:
    def __init__(
        self,
        db: Database,
        box: SecretBox,
        transport: MailTransport,
        *,
        clock: Callable[[], datetime] = utcnow,
        batch_size: int = 32,
        concurrency: int = 16,  # SMTP connections open at once
        idle_interval: float = 1.0,
        lease: timedelta = LEASE,
    ) -> None:
        self.db = db
        self.box = box
        self.transport = transport
        self.clock = clock
        self.batch_size = batch_size
        self.concurrency = concurrency
        self.idle_interval = idle_interval
        self.lease = lease
        self._wake = asyncio.Event()
        self._stopping = False
        self._runner: asyncio.Task[None] | None = None
        self._claimed: list[ClaimedMail] = []

    def start(self) -> None:
        self._runner = asyncio.create_task(self.run(), name="mail-worker")

    def nudge(self) -> None:
        """A mail was just queued in this process: look now, not at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        log.info("mail worker started, sending through %s", self.transport.describe())
        while not self._stopping:
            try:
                sent = await self.run_once() if await self._work_waiting() else 0
            except Exception:
                log.exception("mail worker step failed; retrying shortly")
                sent = 0
                await asyncio.sleep(1)
            if not sent and not self._stopping:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.idle_interval)
            self._wake.clear()

    async def stop(self, grace: float = 15.0) -> None:
        """Let the mail being handed over finish (each SMTP step times out by itself); claims
        still unsent after `grace` seconds are given back for another worker."""
        self._stopping = True
        self._wake.set()
        if self._runner is None:
            return
        done, _ = await asyncio.wait({self._runner}, timeout=grace)
        if not done:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
            if self._claimed:
                async with self.db.transaction() as session:
                    await outbox.release(session, self._claimed)
        log.info("mail worker stopped")

    async def _work_waiting(self) -> bool:
        """One read, no transaction: an idle worker asks this rather than opening a write
        transaction (SQLite's single writer) every second."""
        now = self.clock()
        async with self.db.read() as session:
            return bool(
                await session.scalar(
                    select(
                        exists().where(
                            MAIL_DUE_CONDITION,
                            OutgoingMail.next_attempt_at <= now,
                            or_(
                                OutgoingMail.lease_until.is_(None),
                                OutgoingMail.lease_until < now,
                            ),
                        )
                    )
                )
            )

    async def run_once(self) -> int:
        """Claim what is due now, send it, record it. Returns how many mails were tried."""
        async with self.db.transaction() as session:
            self._claimed = await outbox.claim(
                session, self.box, now=self.clock(), limit=self.batch_size, lease=self.lease
            )
        if not self._claimed:
            return 0
        room = asyncio.Semaphore(self.concurrency)
        results = await asyncio.gather(*(self._send(item, room) for item in self._claimed))
        now = self.clock()
        outcomes: Counter[str] = Counter()
        async with self.db.transaction() as session:
            for item, result in zip(self._claimed, results, strict=True):
                if isinstance(result, Sent):
                    await outbox.record_sent(session, item, sent_to=result.where, now=now)
                    outcomes["sent"] += 1
                else:
                    outcomes[
                        await outbox.record_failed(
                            session,
                            item,
                            reason=result.reason,
                            permanent=result.permanent,
                            now=now,
                        )
                    ] += 1
        counter = metrics().mail  # after the commit: what /metrics counts was recorded
        for outcome, count in outcomes.items():
            counter.labels(outcome).inc(count)
        tried = len(self._claimed)
        self._claimed = []
        return tried

    async def _send(self, item: ClaimedMail, room: asyncio.Semaphore) -> Result:
        async with room:
            try:
                sent = await self.transport.send(item.mail, now=self.clock())
            except MailFailed as failed:
                log.warning(
                    "mail %s not sent (attempt %d, %s): %s",
                    item.id,
                    item.attempts + 1,
                    "permanent" if failed.permanent else "will retry",
                    failed.reason,
                )
                return failed
        log.info("mail %s sent: %s", item.id, sent.where)
        return sent
