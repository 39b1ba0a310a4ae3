"""Every test that takes `backend` runs on SQLite and, when reachable, on PostgreSQL."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import update
from typer.testing import CliRunner, Result

from finite.app import create_app
from finite.cli import app as cli_app
from finite.config import Settings
from finite.core.webhooks.worker import DeliveryWorker
from finite.crm.records.postgres_json import forget_looks
from finite.kit import sqlite_inline
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.kit.sqlite_inline_driver import InlineConnection
from finite.models.mail import MAIL_DUE_STATUSES, OutgoingMail
from finite.platform.migrations import migrate_to_head
from tests import backends
from tests.factories import OrgSetup, make_org
from tests.webhook_receiver import (
    FakeClock,
    Receiver,
    new_worker,
    running_receiver,
    settle_waiting_webhook_work,
)

pytest_plugins = ["tests.servers"]  # the `servers` fixture: real server processes

TEST_SECRET = "test-secret-key-0123456789abcdef-0123456789"
_POSTGRES = backends.postgres_reachable()
_REDIS = backends.redis_reachable()


def pytest_report_header() -> list[str]:
    return [
        "finite backends: sqlite"
        + (", postgresql" if _POSTGRES else " (postgresql unreachable: skipped)")
        + (", redis" if _REDIS else " (redis unreachable: skipped)")
    ]


def pytest_sessionstart(session: pytest.Session) -> None:
    if backends.REQUIRE_POSTGRES and not _POSTGRES:
        raise pytest.UsageError(
            f"PostgreSQL is required but unreachable at {backends.POSTGRES_ADMIN_DSN}"
        )
    if backends.REQUIRE_REDIS and not _REDIS:
        raise pytest.UsageError(f"Redis is required but unreachable at {backends.REDIS_URL}")


@pytest.fixture(autouse=True)
def session_umask() -> Iterator[None]:
    """`finite serve` invoked in process (tests/cli) makes the process's umask private for good;
    every test starts and ends with the session's own."""
    umask = os.umask(0o077)
    os.umask(umask)
    yield
    os.umask(umask)


@pytest.fixture(autouse=True)
def fresh_trigger_looks() -> None:
    """Lists trust a look at the record-JSON triggers for a while (postgres_json.py); tests
    drop and disable them, so every test looks afresh."""
    forget_looks()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("sqlite") / "finite.db"
    url = f"sqlite+aiosqlite:///{path}"
    migrate_to_head(url)
    return url


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    if not _POSTGRES:
        pytest.skip("PostgreSQL unreachable")
    with backends.fresh_postgres_database() as url:
        migrate_to_head(url)
        yield url


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(name))


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of this test's own, not migrated."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
        return
    if not backends.postgres_reachable():
        pytest.skip("PostgreSQL unreachable")
    with backends.fresh_postgres_database() as url:
        yield url


@pytest.fixture
def redis_url() -> str:
    if not _REDIS:
        pytest.skip("Redis unreachable")
    return backends.REDIS_URL


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        env="development",
        data_dir=tmp_path,
        database_url=database_url,
        redis_url=None,
        secret_key=TEST_SECRET,
        demo_on_first_run=False,
        inline_worker=False,  # webhook tests drive the worker themselves
        allow_private_targets=True,  # receivers in tests listen on loopback
    )


@pytest.fixture
def peppers(settings: Settings) -> Peppers:
    return Peppers.from_secrets(settings.secret_key)


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = Database(settings.database_url)
    yield database
    await database.dispose()


@pytest.fixture
def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app) as test_client:
        yield test_client


@pytest.fixture
def worker_threads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """One entry per unit of SQLite work sent to a worker thread (kit/sqlite_inline.py): a read
    past its budget, a lock another connection held, a bulk unit of work. (Not a commit's WAL
    checkpoint: any commit of a test may be the one that leaves the shared file's WAL long.)"""
    used: list[str] = []
    original = sqlite_inline.in_worker_thread

    async def spy(connection: sqlite3.Connection, work: Callable[[], Any]) -> Any:
        if getattr(work, "__func__", None) is not InlineConnection.checkpoint:
            used.append("worker thread")
        return await original(connection, work)

    monkeypatch.setattr(sqlite_inline, "in_worker_thread", spy)
    return used


@pytest.fixture
async def org(db: Database, peppers: Peppers) -> OrgSetup:
    return await make_org(db, peppers)


@pytest.fixture
def rx() -> Iterator[Receiver]:
    """A webhook receiver on loopback, answering 200 unless a test scripts otherwise."""
    with running_receiver() as receiver:
        yield receiver


@pytest.fixture
async def quiet_queue(db: Database) -> None:
    """For tests that count deliveries: `pytestmark = pytest.mark.usefixtures("quiet_queue")`."""
    await settle_waiting_webhook_work(db)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def worker(
    db: Database, settings: Settings, clock: FakeClock
) -> AsyncIterator[DeliveryWorker]:
    """A delivery worker on the fake clock, driven by the test (`run_once`)."""
    delivery_worker = new_worker(db, settings, clock)
    yield delivery_worker
    await delivery_worker.stop()  # also closes the HTTP clients of a worker never started


@pytest.fixture
async def quiet_mail(db: Database) -> None:
    """For tests that deliver mail and look at what arrived: mail other tests left queued in the
    shared database is set aside (`dead`), so a worker run here sends this test's mail only.
    `pytestmark = pytest.mark.usefixtures("quiet_mail")`."""
    async with db.transaction() as session:
        await session.execute(
            update(OutgoingMail)
            .where(OutgoingMail.status.in_(MAIL_DUE_STATUSES))
            .values(status="dead", next_attempt_at=None, last_error="set aside by a test")
        )


Invoke = Callable[..., Result]


@pytest.fixture
def cli(database_url: str, tmp_path: Path) -> Invoke:
    """Invoke `finite ...` in-process against the test database, with the tests' secret."""
    runner = CliRunner()
    env = {
        "FINITE_ENV": "development",
        "FINITE_DATA_DIR": str(tmp_path / "data"),
        "FINITE_DATABASE_URL": database_url,
        "FINITE_SECRET_KEY": TEST_SECRET,
        "FINITE_OLD_SECRET_KEYS": "",
        "FINITE_REDIS_URL": "",
    }

    def invoke(*args: str) -> Result:
        return runner.invoke(cli_app, list(args), env=env)

    return invoke


_outcomes: dict[str, dict[str, int]] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "call" and not (report.when == "setup" and report.outcome != "passed"):
        return
    params = report.nodeid.rpartition("[")[2]
    backend = next((name for name in ("postgresql", "sqlite") if name in params), "no database")
    counts = _outcomes.setdefault(backend, {})
    counts[report.outcome] = counts.get(report.outcome, 0) + 1


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for backend in ("sqlite", "postgresql", "no database"):
        counts = _outcomes.get(backend, {})
        summary = ", ".join(f"{number} {outcome}" for outcome, number in sorted(counts.items()))
        terminalreporter.write_line(f"finite on {backend}: {summary or 'no tests'}")
