"""No API key, nor its random body, is ever written to the database or to a log line.

Keys are made and used through both surfaces while every logger records at DEBUG; then the
whole database is dumped (the raw SQLite file with its WAL, or every PostgreSQL table as text)
and searched, together with the captured logs.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from finite.config import Settings
from finite.core.keys.tokens import PREFIXES
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers, hmac_sha256_hex
from finite.models import ApiKey
from tests.database_dump import dump_database
from tests.factories import OrgSetup, bearer

Client = AsyncTestClient[Litestar]
CHECKSUM_LENGTH = 6
# The test client's own loggers: they log the URLs this test requests, query strings included.
CLIENT_LOGGERS = ("httpx", "httpcore")


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every logger at DEBUG into caplog, including SQLAlchemy's (WARNING by default) and any
    logger that does not propagate to the root."""
    caplog.set_level(logging.DEBUG)
    detached: list[logging.Logger] = []
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if not isinstance(logger, logging.Logger):
            continue
        caplog.set_level(logging.DEBUG, logger=name)
        if not logger.propagate:
            logger.addHandler(caplog.handler)
            detached.append(logger)
    try:
        yield caplog
    finally:
        for logger in detached:
            logger.removeHandler(caplog.handler)


def secret_parts(key: str) -> list[str]:
    """The full key, its body (without the prefix) and the random part (without the checksum)."""
    prefix = next(p for p in PREFIXES.values() if key.startswith(p))
    body = key[len(prefix) :]
    return [key, body, body[:-CHECKSUM_LENGTH]]


def assert_absent(secrets: list[str], haystack: bytes, where: str) -> None:
    for secret in secrets:
        for part in secret_parts(secret):
            assert part.encode() not in haystack, f"a key ({part[:8]}…) is in {where}"


async def test_keys_are_neither_stored_nor_logged_in_plain_text(
    client: Client,
    db: Database,
    org: OrgSetup,
    settings: Settings,
    database_url: str,
    all_logs: pytest.LogCaptureFixture,
) -> None:
    # Keys made through both APIs.
    created = await client.post(
        "/api/keys", json={"name": "plaintext probe crm"}, headers=bearer(org.crm_key)
    )
    assert created.status_code == 201, created.text
    crm_key, crm_key_id = created.json()["key"], created.json()["id"]
    created = await client.post(
        "/api/v1/keys",
        json={"name": "plaintext probe handover", "scopes": ["read", "admin"]},
        headers=bearer(org.handover_key),
    )
    assert created.status_code == 201, created.text
    handover_key, handover_key_id = created.json()["data"]["key"], created.json()["data"]["id"]
    keys = [org.crm_key, org.handover_key, crm_key, handover_key]

    # Successful uses.
    me = await client.get("/api/me", headers=bearer(crm_key))
    assert me.status_code == 200, me.text
    org_name = me.json()["organization"]["name"]
    assert (await client.get("/api/keys", headers=bearer(crm_key))).status_code == 200
    for path in ("/api/v1/auth", "/api/v1/me", "/api/v1/keys"):
        response = await client.get(path, headers=bearer(handover_key))
        assert response.status_code == 200, (path, response.text)

    # Failing uses: unknown ids, bad bodies, the wrong surface, a mangled key, a query string.
    for path, key in (
        ("/api/keys/key_unknown", crm_key),
        ("/api/v1/keys/key_unknown", handover_key),
    ):
        assert (await client.delete(path, headers=bearer(key))).status_code == 404
    bad = await client.post("/api/keys", json={"name": ""}, headers=bearer(crm_key))
    assert bad.status_code == 400
    bad = await client.post("/api/v1/keys", json={"scopes": ["root"]}, headers=bearer(handover_key))
    assert bad.status_code == 400
    headers = {**bearer(handover_key), "Content-Type": "application/json"}
    bad = await client.post("/api/v1/keys", content=b"{not json", headers=headers)
    assert bad.status_code == 400
    assert (await client.get("/api/me", headers=bearer(handover_key))).status_code == 401
    assert (await client.get("/api/v1/auth", headers=bearer(crm_key))).status_code == 401
    mangled = crm_key[:-10] + ("A" if crm_key[-10] != "A" else "B") + crm_key[-9:]
    assert (await client.get("/api/me", headers=bearer(mangled))).status_code == 401
    assert (await client.get(f"/api/me?api_key={crm_key}")).status_code == 401

    # Revoked keys, then refused.
    revoked = await client.delete(f"/api/keys/{crm_key_id}", headers=bearer(org.crm_key))
    assert revoked.status_code == 204
    revoked = await client.delete(
        f"/api/v1/keys/{handover_key_id}", headers=bearer(org.handover_key)
    )
    assert revoked.status_code == 200
    assert (await client.get("/api/me", headers=bearer(crm_key))).status_code == 401
    assert (await client.get("/api/v1/auth", headers=bearer(handover_key))).status_code == 401

    # What is stored: an HMAC of the key under the current pepper, and the last four characters.
    peppers = Peppers.from_secrets(settings.secret_key)
    ids = [org.crm_key_id, org.handover_key_id, crm_key_id, handover_key_id]
    async with db.read() as session:
        stored = {
            row.id: row for row in (await session.scalars(select(ApiKey).where(ApiKey.id.in_(ids))))
        }
    hashes = []
    for key_id, key in zip(ids, keys, strict=True):
        record = stored[key_id]
        assert re.fullmatch(r"[0-9a-f]{64}", record.secret_hash)
        assert record.secret_hash != key
        assert record.secret_hash == hmac_sha256_hex(peppers.current, key)
        assert record.last_four == key[-4:]
        hashes.append(record.secret_hash)

    dump = await dump_database(db, database_url)
    # The dump does see what is stored in plain text, so a stored key would be found.
    for known in (org_name, "plaintext probe crm", "plaintext probe handover", *hashes):
        assert known.encode() in dump, f"the dump misses {known!r}"
    assert_absent(keys, dump, "the database")

    server_records = [
        record for record in all_logs.records if record.name.partition(".")[0] not in CLIENT_LOGGERS
    ]
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    logged = "\n".join(formatter.format(record) for record in server_records)
    # The capture does see SQL with its parameters, so a key used as one would be found.
    assert "api_keys" in logged
    assert hashes[2] in logged, "the lookup by hash is logged with its parameter"
    assert_absent(keys, logged.encode(), "the logs")
