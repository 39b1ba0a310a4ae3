"""Keys' principal rows kept between requests (core/auth/principal_cache.py): on PostgreSQL,
while the process hears change notifications, a key in use is read once; any change to what it
was read from — made here, in another process, or in plain SQL — is seen by the next request
(here) or within milliseconds (elsewhere); without notifications nothing is kept."""

from __future__ import annotations

import asyncio
import importlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update

from finite.app import create_app
from finite.config import Settings, load_settings
from finite.core.auth import authenticate as authenticate_module
from finite.core.auth.principal_cache import (
    PrincipalCache,
    current_epoch,
    principals_changed,
)
from finite.core.keys import repository
from finite.core.keys.repository import PRINCIPALS_UNCHANGED
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.models import ApiKey, Role
from finite.platform import auth_listener
from finite.platform.auth_listener import AuthChangeListener
from tests.factories import OrgSetup, bearer

Client = AsyncTestClient[Litestar]
ME = "/api/me"
LEADS = "/api/records/leads"


@pytest.fixture
def key_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """One entry per principal query run."""
    reads: list[str] = []
    original = repository.principal_row

    async def counted(source: Any, hashes: Any) -> Any:
        reads.append("read")
        return await original(source, hashes)

    monkeypatch.setattr(authenticate_module.repository, "principal_row", counted)  # type: ignore[attr-defined]
    return reads


def cache_of(client: Client) -> PrincipalCache:
    cache = client.app.state.platform.principals
    assert isinstance(cache, PrincipalCache)
    return cache


async def until(condition: Callable[[], Awaitable[bool]], seconds: float = 5.0) -> float:
    """Seconds until `condition` held; fails past `seconds`."""
    started = time.monotonic()
    while not await condition():
        assert time.monotonic() - started < seconds, "the condition never held"
        await asyncio.sleep(0.01)
    return time.monotonic() - started


async def listening(client: Client) -> None:
    async def heard() -> bool:
        return cache_of(client).listening

    await until(heard)


def admin_url(db: Database) -> str:
    return db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


async def plain_sql(db: Database, statement: str, *args: Any) -> None:
    """A change as an operator or another program makes it: not through SQLAlchemy."""
    connection = await asyncpg.connect(admin_url(db))
    try:
        await connection.execute(statement, *args)
    finally:
        await connection.close()


async def test_a_key_in_use_is_read_once_on_postgresql_and_every_time_on_sqlite(
    client: Client, db: Database, org: OrgSetup, key_reads: list[str]
) -> None:
    if not db.is_sqlite:
        await listening(client)
    for _ in range(4):
        assert (await client.get(ME, headers=bearer(org.crm_key))).status_code == 200
    # The first request also recorded the key's use; the kept row was updated, not retired.
    assert len(key_reads) == (4 if db.is_sqlite else 1)
    assert cache_of(client).listening is (not db.is_sqlite)
    async with db.read() as session:
        used = await session.scalar(select(ApiKey.last_used_at).where(ApiKey.id == org.crm_key_id))
    assert used is not None


@pytest.mark.parametrize(
    ("change", "refused_with"),
    [
        ("UPDATE api_keys SET revoked_at = now() WHERE id = $1", 401),
        ("UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1", 401),
        ("DELETE FROM api_keys WHERE id = $1", 401),
        (
            "UPDATE subscriptions SET status = 'suspended' "
            "WHERE product = 'crm' AND org_id = (SELECT org_id FROM api_keys WHERE id = $1)",
            403,
        ),
        (
            "UPDATE roles SET permissions = '{}', is_admin = false WHERE id = "
            "(SELECT m.role_id FROM members m JOIN api_keys k ON k.member_id = m.id "
            "WHERE k.id = $1)",
            403,
        ),
    ],
    ids=["revoked", "expired", "deleted", "plan suspended", "role emptied"],
)
async def test_a_change_made_in_plain_sql_is_heard_and_applied_at_once(
    client: Client,
    db: Database,
    org: OrgSetup,
    key_reads: list[str],
    change: str,
    refused_with: int,
) -> None:
    if db.is_sqlite:
        pytest.skip("PostgreSQL notifies; SQLite keeps nothing to retire")
    await listening(client)
    for _ in range(2):
        assert (await client.get(LEADS, headers=bearer(org.crm_key))).status_code == 200
    assert len(key_reads) == 1  # kept: what follows is the notification's doing
    await plain_sql(db, change, org.crm_key_id)

    async def refused() -> bool:
        response = await client.get(LEADS, headers=bearer(org.crm_key))
        return response.status_code == refused_with

    assert await until(refused, seconds=2.0) < 1.0
    assert len(key_reads) >= 2


async def test_a_change_committed_in_this_process_retires_the_cache_at_once(
    db: Database, org: OrgSetup
) -> None:
    """Through SQLAlchemy, whatever the notification's timing: the epoch moves when the
    connection is returned; a key's last use alone does not move it."""
    before = current_epoch()
    async with db.transaction() as session:
        await session.execute(
            update(ApiKey)
            .where(ApiKey.id == org.crm_key_id)
            .values(last_used_at=utcnow())
            .execution_options(**{PRINCIPALS_UNCHANGED: True})
        )
    async with db.read() as session:
        await session.execute(select(Role.id).limit(1))
    assert current_epoch() == before
    async with db.transaction() as session:
        await session.execute(
            update(Role).where(Role.org_id == org.org_id).values(permissions=Role.permissions)
        )
    assert current_epoch() > before


async def test_revoking_through_the_api_refuses_the_very_next_request(
    client: Client, db: Database, org: OrgSetup
) -> None:
    if not db.is_sqlite:
        await listening(client)
    other = await client.post("/api/keys", headers=bearer(org.crm_key), json={"name": "second"})
    assert other.status_code == 201, other.text
    second = other.json()["key"]
    for _ in range(3):
        assert (await client.get(ME, headers=bearer(second))).status_code == 200
    revoked = await client.delete(f"/api/keys/{other.json()['id']}", headers=bearer(org.crm_key))
    assert revoked.status_code == 204
    assert (await client.get(ME, headers=bearer(second))).status_code == 401


async def test_without_its_listening_connection_the_cache_keeps_nothing_until_it_is_back(
    client: Client, db: Database, org: OrgSetup, key_reads: list[str]
) -> None:
    if db.is_sqlite:
        pytest.skip("PostgreSQL's listening connection")
    await listening(client)
    assert (await client.get(ME, headers=bearer(org.crm_key))).status_code == 200
    database = db.engine.url.database
    await plain_sql(
        db,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = $1 AND query LIKE 'LISTEN%'",
        database,
    )

    async def deaf() -> bool:
        return not cache_of(client).listening

    await until(deaf)
    reads = len(key_reads)
    for _ in range(3):
        assert (await client.get(ME, headers=bearer(org.crm_key))).status_code == 200
    assert len(key_reads) == reads + 3  # read every time while deaf
    await listening(client)  # opened again (every second)
    for _ in range(3):
        assert (await client.get(ME, headers=bearer(org.crm_key))).status_code == 200
    assert len(key_reads) == reads + 4


async def test_a_server_told_not_to_keep_keys_reads_them_every_time(
    settings: Settings, org: OrgSetup, key_reads: list[str]
) -> None:
    """FINITE_KEY_CACHE=0, e.g. behind a pooler that cannot LISTEN."""
    async with AsyncTestClient(create_app(replace(settings, key_cache=False))) as client:
        await asyncio.sleep(0.3)  # time enough to have started listening, were it to
        for _ in range(3):
            assert (await client.get(ME, headers=bearer(org.crm_key))).status_code == 200
        assert not cache_of(client).listening
    assert len(key_reads) == 3
    environment = {"FINITE_DATABASE_URL": "postgresql://db/finite", "FINITE_SECRET_KEY": "s" * 40}
    assert load_settings(environment).key_cache
    assert not load_settings({**environment, "FINITE_KEY_CACHE": "0"}).key_cache


async def test_stopping_does_not_wait_for_a_database_that_does_not_answer(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    if db.is_sqlite:
        pytest.skip("SQLite: nothing to listen to")

    async def never_answers() -> Any:
        await asyncio.Event().wait()

    monkeypatch.setattr(db, "dedicated_connection", never_answers)
    cache = PrincipalCache()
    listener = AuthChangeListener(db, cache)
    await listener.start()
    await asyncio.sleep(0.05)
    stopping = asyncio.create_task(listener.stop())
    done, _ = await asyncio.wait({stopping}, timeout=1)  # not wait_for: it would cancel stop()
    if not done:
        stopping.cancel()
    assert done == {stopping}
    assert not cache.listening


async def test_an_outage_is_logged_once_not_at_every_retry(
    db: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    if db.is_sqlite:
        pytest.skip("SQLite: nothing to listen to")

    async def refused() -> Any:
        raise OSError("connection refused")

    monkeypatch.setattr(db, "dedicated_connection", refused)
    monkeypatch.setattr(auth_listener, "RETRY_SECONDS", 0.01)
    listener = AuthChangeListener(db, PrincipalCache())
    with caplog.at_level(logging.WARNING, logger="finite.auth"):
        await listener.start()
        await asyncio.sleep(0.3)  # some thirty tries
        await listener.stop()
    assert [record.message for record in caplog.records] == [
        "not hearing key changes; keys are read on every request until then"
    ]


def test_a_row_read_while_a_change_committed_is_not_kept() -> None:
    cache = PrincipalCache()
    row: Any = object()
    cache.put("hash", row, current_epoch())
    assert cache.get("hash") is None  # not listening: nothing kept
    cache.set_listening(True)
    epoch = current_epoch()
    principals_changed()  # a change committed while the row was being read
    cache.put("hash", row, epoch)
    assert cache.get("hash") is None
    cache.put("hash", row, current_epoch())
    assert cache.get("hash") is row
    principals_changed()
    assert cache.get("hash") is None


def test_an_entry_is_kept_a_minute_at_most(monkeypatch: pytest.MonkeyPatch) -> None:
    cache = PrincipalCache()
    cache.set_listening(True)
    row: Any = object()
    now = time.monotonic()
    monkeypatch.setattr(time, "monotonic", lambda: now)
    cache.put("hash", row, current_epoch())
    monkeypatch.setattr(time, "monotonic", lambda: now + timedelta(seconds=59).total_seconds())
    assert cache.get("hash") is row
    monkeypatch.setattr(time, "monotonic", lambda: now + 61)
    assert cache.get("hash") is None


def test_every_column_of_a_key_but_its_last_use_notifies() -> None:
    migration = importlib.import_module("finite.migrations.versions.0010_principal_notifications")
    notifying = {name.strip() for name in migration._KEY_COLUMNS.split(",")}
    assert notifying == {column.name for column in ApiKey.__table__.columns} - {"last_used_at"}
