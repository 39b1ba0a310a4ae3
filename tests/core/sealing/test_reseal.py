"""`finite secrets rotate` underneath: every sealed value moves to the new key in batches, and
servers holding the old and the new key keep working before, during and after (on SQLite and
PostgreSQL). Each test has a database of its own: re-sealing walks every row."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from finite.app import create_app
from finite.cli.products import load_products
from finite.config import Settings
from finite.core.sealing import sealed_columns
from finite.core.sealing.reseal import key_counts, reseal_column
from finite.core.webhooks.secrets import SEALED_SECRET, binding, seal_secret
from finite.handover.packs.credentials import open_password
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.kit.secretbox import SecretBox
from finite.models import PackCredential
from finite.models.base import Base
from finite.models.webhooks import WebhookEndpoint
from finite.platform.migrations import migrate_to_head
from finite.platform.state import Platform
from tests.conftest import TEST_SECRET
from tests.factories import OrgSetup, bearer, make_org
from tests.handover.factories import SEED_EXAMPLE

NEW_SECRET = "the-new-secret-key-after-rotation-0123456789"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def own_settings(fresh_url: str, tmp_path: Path) -> Settings:
    migrate_to_head(fresh_url)
    return Settings(
        env="development",
        data_dir=tmp_path,
        database_url=fresh_url,
        redis_url=None,
        secret_key=TEST_SECRET,
        demo_on_first_run=False,
        inline_worker=False,
        allow_private_targets=True,
    )


@pytest.fixture
async def own_db(own_settings: Settings) -> AsyncIterator[Database]:
    database = Database(own_settings.database_url)
    yield database
    await database.dispose()


Client = AsyncTestClient[Litestar]


@pytest.fixture
async def client(own_settings: Settings) -> AsyncIterator[Client]:
    async with AsyncTestClient(create_app(own_settings)) as test_client:
        yield test_client


async def _secrets_made_by_a_server(client: Client, org: OrgSetup) -> dict[str, Any]:
    """A webhook whose secret was rotated once (so both columns hold a value), a credential and
    a sent pack's mail, made through the API by a server holding only the old key."""
    crm, handover = bearer(org.crm_key), bearer(org.handover_key)
    created = await client.post("/api/webhooks", json={"url": "http://127.0.0.1:9/h"}, headers=crm)
    assert created.status_code == 201, created.text
    webhook = created.json()
    rotated = await client.post(f"/api/webhooks/{webhook['id']}/rotate-secret", headers=crm)
    assert rotated.status_code == 200, rotated.text
    project = await client.post("/api/v1/projects", json=SEED_EXAMPLE, headers=handover)
    assert project.status_code == 201, project.text
    credential = await client.post(
        f"/api/v1/projects/{project.json()['data']['id']}/pack/credentials",
        json={"platform": "WordPress", "password": PASSWORD},
        headers=handover,
    )
    assert credential.status_code == 201, credential.text
    sent = await client.post(  # its mail waits in the outbox, sealed
        f"/api/v1/projects/{project.json()['data']['id']}/pack/send", json={}, headers=handover
    )
    assert sent.status_code == 200, sent.text
    return {
        "webhook_id": webhook["id"],
        "first": webhook["secret"],
        "second": rotated.json()["secret"],
        "credential_id": credential.json()["data"]["id"],
    }


async def test_rotation_reseals_everything_under_the_new_key_without_downtime(
    client: Client, own_db: Database
) -> None:
    org = await make_org(own_db, Peppers.from_secrets(TEST_SECRET))
    made = await _secrets_made_by_a_server(client, org)
    platform = client.app.state.platform
    assert isinstance(platform, Platform)

    # Run with the old secret forgotten too soon: reported, and nothing is lost.
    forgetful = await reseal_column(own_db, SecretBox.from_secrets(NEW_SECRET), SEALED_SECRET)
    assert len(forgetful.unopenable) == 1
    assert forgetful.resealed == 0

    # Every server now holds the new key as its current one and the old one to open with.
    rotating = SecretBox.from_secrets(NEW_SECRET, (TEST_SECRET,))
    platform.secrets = rotating
    before = {s.name: await key_counts(own_db, rotating, s) for s in sealed_columns()}
    assert before["webhook_endpoints.secret_sealed"]["previous"] == 1
    assert before["handover_pack_credentials.password_sealed"]["previous"] == 1
    assert before["mail_outbox.message_sealed"]["previous"] == 1

    for sealed in sealed_columns():
        outcome = await reseal_column(own_db, rotating, sealed, batch_size=1)
        assert outcome.unopenable == []
    after = {s.name: await key_counts(own_db, rotating, s) for s in sealed_columns()}
    assert all(counts["previous"] == 0 for counts in after.values()), after
    assert after["webhook_endpoints.previous_secret_sealed"]["current"] == 1

    # The old secret can go: the new key alone opens every value, unchanged.
    only_new = SecretBox.from_secrets(NEW_SECRET)
    async with own_db.read() as session:
        endpoint = await session.get(WebhookEndpoint, (org.org_id, made["webhook_id"]))
        credential = await session.scalar(
            select(PackCredential).where(PackCredential.id == made["credential_id"])
        )
    assert endpoint is not None
    assert credential is not None
    ids = (org.org_id, made["webhook_id"])
    assert only_new.open(endpoint.secret_sealed, binding(*ids, "secret")) == made["second"]
    assert endpoint.previous_secret_sealed is not None
    previous = only_new.open(endpoint.previous_secret_sealed, binding(*ids, "previous_secret"))
    assert previous == made["first"]
    assert open_password(only_new, credential) == PASSWORD

    # The server, still holding both keys, opens the re-sealed secret to rotate it again.
    again = await client.post(
        f"/api/webhooks/{made['webhook_id']}/rotate-secret", headers=bearer(org.crm_key)
    )
    assert again.status_code == 200, again.text

    # A second run finds nothing left to do.
    outcome = await reseal_column(own_db, rotating, sealed_columns()[0])
    assert outcome.resealed == 0
    assert outcome.current >= 1


def test_every_sealed_column_is_registered() -> None:
    load_products()
    registered = {sealed.name for sealed in sealed_columns()}
    in_tables = {
        f"{table.name}.{column.name}"
        for table in Base.metadata.tables.values()
        for column in table.columns
        if column.name.endswith("_sealed")
    }
    assert in_tables
    assert in_tables == registered


@dataclass(frozen=True, slots=True)
class _RacingBox(SecretBox):
    """Re-seals like any box, but first a server rotates the endpoint's secret behind its back
    (SQLite: a plain connection writes while the batch is between its read and its write)."""

    database: str = ""

    def reseal(self, blob: bytes, binding: bytes) -> bytes | None:
        with sqlite3.connect(self.database) as connection:
            connection.execute("UPDATE webhook_endpoints SET secret_sealed = ?", (b"rotated",))
        return SecretBox.reseal(self, blob, binding)


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    path = tmp_path / "racing.db"
    migrate_to_head(f"sqlite+aiosqlite:///{path}")
    return path


async def test_a_value_changed_during_the_batch_is_left_as_the_server_wrote_it(
    sqlite_path: Path,
) -> None:
    path = sqlite_path
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        org = await make_org(db, Peppers.from_secrets(TEST_SECRET))
        old = SecretBox.from_secrets(TEST_SECRET)
        now = utcnow()
        endpoint = WebhookEndpoint(
            org_id=org.org_id,
            id="wh_racing",
            product="crm",
            url="https://example.com/h",
            description="",
            modules=["*"],
            events=["*"],
            secret_sealed=b"",
            status="active",
            created_at=now,
            updated_at=now,
        )
        endpoint.secret_sealed = seal_secret(old, endpoint, "whsec_first")
        async with db.transaction() as session:
            session.add(endpoint)
        rotating = SecretBox.from_secrets(NEW_SECRET, (TEST_SECRET,))
        racing = _RacingBox(rotating.current, rotating.previous, database=str(path))
        outcome = await reseal_column(db, racing, SEALED_SECRET)
        assert (outcome.resealed, outcome.changed) == (0, 1)
        async with db.read() as session:
            stored = await session.get(WebhookEndpoint, (org.org_id, "wh_racing"))
        assert stored is not None
        assert stored.secret_sealed == b"rotated"  # the server's write stands
    finally:
        await db.dispose()
