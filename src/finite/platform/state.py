"""The long-lived parts a running app shares: settings, database, peppers, Redis."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from finite.config import Settings
from finite.core.audit.sealer import AuditSealer
from finite.core.audit.writer import AuditWriter
from finite.core.auth.principal_cache import PrincipalCache
from finite.core.mail.worker import MailWorker
from finite.core.ratelimit.limiter import RateLimiter, RedisClient, redis_client
from finite.core.retention import retention_plan
from finite.core.retention.job import RetentionJob
from finite.core.wakes import Wake
from finite.core.webhooks.worker import DeliveryWorker
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.kit.mail.transports import FolderTransport, MailTransport, SmtpTransport
from finite.kit.secretbox import SecretBox
from finite.platform.auth_listener import ChangeListener, change_listener
from finite.platform.http import AnyRequest
from finite.platform.metrics_sampler import Sampler


class BackgroundWorker(Protocol):
    """A product's background work (the CRM's import runner), run beside the delivery worker."""

    def start(self) -> None: ...

    def nudge(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass(slots=True)
class Platform:
    settings: Settings
    db: Database
    peppers: Peppers
    secrets: SecretBox
    redis: RedisClient | None
    limiter: RateLimiter
    audit: AuditWriter
    sealer: AuditSealer
    principals: PrincipalCache
    auth_listener: ChangeListener
    sampler: Sampler
    worker: DeliveryWorker | None = field(default=None)
    mail_worker: MailWorker | None = field(default=None)
    retention: RetentionJob | None = field(default=None)
    # The products' background workers, by name: built by these when the worker runs inline.
    worker_factories: dict[str, Callable[[Platform], BackgroundWorker]] = field(
        default_factory=dict
    )
    product_workers: dict[str, BackgroundWorker] = field(default_factory=dict)
    # The products' upkeep every server process runs, inline worker or not (as it runs the
    # sealer), by name; a factory answers None when its database needs none.
    upkeep_factories: dict[str, Callable[[Platform], BackgroundWorker | None]] = field(
        default_factory=dict
    )
    upkeep: dict[str, BackgroundWorker] = field(default_factory=dict)

    @classmethod
    def build(cls, settings: Settings) -> Platform:
        redis = (
            redis_client(settings.redis_url, cluster=settings.redis_cluster)
            if settings.redis_url
            else None
        )
        db = Database(settings.database_url, pool_size=settings.db_pool_size)
        principals = PrincipalCache()
        audit = AuditWriter(db)
        return cls(
            settings=settings,
            db=db,
            peppers=Peppers.from_secrets(
                settings.secret_key, settings.old_secret_keys, settings.next_secret_keys
            ),
            secrets=SecretBox.from_secrets(
                settings.secret_key, settings.old_secret_keys, settings.next_secret_keys
            ),
            redis=redis,
            limiter=RateLimiter(
                redis,
                processes=settings.processes,
                fail_closed=settings.rate_limit_fail_closed,
            ),
            audit=audit,
            sealer=AuditSealer(db),
            principals=principals,
            auth_listener=change_listener(db, principals),
            sampler=Sampler(db, audit),
        )

    async def start(self) -> None:
        if self.settings.key_cache:
            await self.auth_listener.start()
        await self.audit.start()
        await self.sealer.start()
        for name, make in self.upkeep_factories.items():
            upkeep = make(self)
            if upkeep is not None:
                self.upkeep[name] = upkeep
                upkeep.start()
        if self.settings.inline_worker:
            self.worker = new_worker(self.settings, self.db, self.secrets)
            self.worker.start()
            self.mail_worker = new_mail_worker(self.settings, self.db, self.secrets)
            self.mail_worker.start()
            self.retention = new_retention_job(self.settings, self.db)
            self.retention.start()
            for name, factory in self.worker_factories.items():
                self.product_workers[name] = factory(self)
                self.product_workers[name].start()
        self.sampler.worker = self.worker
        self.sampler.start()

    def nudge_worker(self, wakes: frozenset[Wake] | None = None) -> None:
        """A change was committed: the in-process workers it left work for (`wakes`; None: all)
        look for it now, not at their next poll."""
        if self.worker is not None and (wakes is None or Wake.DELIVERIES in wakes):
            self.worker.nudge()
        if self.mail_worker is not None and (wakes is None or Wake.MAIL in wakes):
            self.mail_worker.nudge()

    def nudge(self, name: str) -> None:
        """Wake one product worker of this process (none runs here without the inline worker:
        a `finite worker` process finds the work at its next poll)."""
        worker = self.product_workers.get(name)
        if worker is not None:
            worker.nudge()

    async def close(self) -> None:
        await self.sampler.stop()
        for worker in self.product_workers.values():
            await worker.stop()  # after the unit in progress
        self.product_workers.clear()
        for upkeep in self.upkeep.values():
            await upkeep.stop()
        self.upkeep.clear()
        if self.retention is not None:
            await self.retention.stop()  # after its batch in progress
        if self.worker is not None:
            await self.worker.stop()  # finishes or gives back deliveries in flight
        if self.mail_worker is not None:
            await self.mail_worker.stop()
        await self.audit.stop()
        await self.sealer.stop()  # after the last flush, so those rows are sealed too
        await self.auth_listener.stop()
        await self.db.dispose()
        if self.redis is not None:
            await self.redis.aclose()


def new_worker(settings: Settings, db: Database, secrets: SecretBox) -> DeliveryWorker:
    return DeliveryWorker(
        db,
        secrets,
        allow_private=settings.allow_private_targets,
        disable_after=timedelta(hours=settings.webhook_disable_after_hours),
        lease=timedelta(seconds=settings.webhook_lease_seconds),
    )


def mail_transport(settings: Settings) -> MailTransport:
    """FINITE_SMTP_URL's server, or `.eml` files in the data folder's `mail/` without one."""
    if settings.smtp is not None:
        return SmtpTransport(settings.smtp)
    return FolderTransport(settings.data_dir / "mail")


def new_mail_worker(settings: Settings, db: Database, secrets: SecretBox) -> MailWorker:
    return MailWorker(db, secrets, mail_transport(settings))


def new_retention_job(settings: Settings, db: Database) -> RetentionJob:
    """Raises RetentionConfigError when a FINITE_RETENTION_<NAME>_DAYS names no kind."""
    return RetentionJob(
        db,
        retention_plan(settings.retention_days),
        interval=settings.retention_interval_seconds,
        batch_size=settings.retention_batch_size,
    )


def platform_of(request: AnyRequest) -> Platform:
    platform = request.app.state.platform
    assert isinstance(platform, Platform)
    return platform
