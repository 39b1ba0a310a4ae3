"""Every bad Authorization header answers one uniform 401 on both surfaces, never a 500."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import event, update

from finite.core.keys import tokens
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.models import ApiKey
from finite.platform.state import Platform
from tests.factories import OrgSetup, bearer

Client = AsyncTestClient[Litestar]
CRM_PATH, HANDOVER_PATH = "/api/me", "/api/v1/auth"


def assert_uniform_401(response: Any, path: str) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"] == "Bearer"
    request_id = response.headers["X-Request-ID"]
    body = response.json()
    if path.startswith("/api/v1"):
        assert body["data"] is None
        assert body["meta"]["request_id"] == request_id
        assert body["error"] == {
            "code": "UNAUTHORIZED",
            "message": "Missing or invalid API key.",
            "details": [],
        }
    else:
        assert body == {
            "error": "Missing or invalid API key.",
            "code": "UNAUTHORIZED",
            "details": [],
            "request_id": request_id,
        }


def tampered(key: str) -> str:
    """The same key with one character of its random part changed."""
    index = len(key) - 10
    return key[:index] + ("A" if key[index] != "A" else "B") + key[index + 1 :]


def bad_headers(key: str) -> list[tuple[str, list[tuple[str, str]] | list[tuple[str, bytes]]]]:
    return [
        ("missing", []),
        ("empty", [("Authorization", "")]),
        ("no scheme", [("Authorization", key)]),
        ("wrong scheme", [("Authorization", f"Basic {key}")]),
        ("token scheme", [("Authorization", f"Token {key}")]),
        ("scheme only", [("Authorization", "Bearer")]),
        ("extra part", [("Authorization", f"Bearer {key} extra")]),
        ("two headers", [("Authorization", f"Bearer {key}"), ("Authorization", f"Bearer {key}")]),
        ("16 KB", [("Authorization", "Bearer " + "a" * 16384)]),
        ("16 KB key-like", [("Authorization", "Bearer " + key + "x" * 16384)]),
        ("non-ASCII", [("Authorization", "Bearer fsk_ä".encode() + key[5:].encode())]),
        ("latin-1 byte", [("Authorization", b"Bearer " + key.encode() + b"\xff")]),
        ("checksum invalid", [("Authorization", f"Bearer {tampered(key)}")]),
        ("unknown but valid", [("Authorization", f"Bearer {tokens.generate('crm')}")]),
        ("unknown handover", [("Authorization", f"Bearer {tokens.generate('handover')}")]),
        ("truncated", [("Authorization", f"Bearer {key[:-1]}")]),
        ("lower-case prefix swap", [("Authorization", f"Bearer {key.upper()}")]),
    ]


@pytest.mark.parametrize("path", [CRM_PATH, "/api/keys", HANDOVER_PATH, "/api/v1/me"])
async def test_every_bad_header_answers_the_uniform_401(
    client: Client, org: OrgSetup, path: str
) -> None:
    key = org.crm_key if not path.startswith("/api/v1") else org.handover_key
    for label, headers in bad_headers(key):
        response = await client.get(path, headers=headers)  # type: ignore[arg-type]
        assert response.status_code == 401, label
        assert_uniform_401(response, path)


async def test_a_key_of_one_product_is_refused_by_the_other(client: Client, org: OrgSetup) -> None:
    assert_uniform_401(await client.get(CRM_PATH, headers=bearer(org.handover_key)), CRM_PATH)
    assert_uniform_401(await client.get(HANDOVER_PATH, headers=bearer(org.crm_key)), HANDOVER_PATH)


async def test_scheme_is_case_insensitive(client: Client, org: OrgSetup) -> None:
    response = await client.get(CRM_PATH, headers={"Authorization": f"bearer {org.crm_key}"})
    assert response.status_code == 200


async def test_checksum_invalid_key_is_refused_without_a_database_query(
    client: Client, app: Litestar, org: OrgSetup
) -> None:
    platform: Platform = app.state.platform
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(platform.db.engine.sync_engine, "before_cursor_execute", record)
    try:
        for path, key in ((CRM_PATH, org.crm_key), (HANDOVER_PATH, org.handover_key)):
            response = await client.get(path, headers=bearer(tampered(key)))
            assert_uniform_401(response, path)
        assert statements == []
        await client.get(CRM_PATH, headers=bearer(org.crm_key))
        assert statements, "a valid key is looked up, so the listener does see queries"
    finally:
        event.remove(platform.db.engine.sync_engine, "before_cursor_execute", record)


@pytest.mark.parametrize("column", ["revoked_at", "expires_at"])
async def test_revoked_and_expired_keys_are_refused(
    client: Client, db: Database, org: OrgSetup, column: str
) -> None:
    assert (await client.get(CRM_PATH, headers=bearer(org.crm_key))).status_code == 200
    async with db.transaction() as session:
        await session.execute(
            update(ApiKey)
            .where(ApiKey.id.in_([org.crm_key_id, org.handover_key_id]))
            .values({column: utcnow() - timedelta(seconds=1)})
        )
    assert_uniform_401(await client.get(CRM_PATH, headers=bearer(org.crm_key)), CRM_PATH)
    assert_uniform_401(
        await client.get(HANDOVER_PATH, headers=bearer(org.handover_key)), HANDOVER_PATH
    )


async def test_a_key_with_a_future_expiry_works(
    client: Client, db: Database, org: OrgSetup
) -> None:
    async with db.transaction() as session:
        await session.execute(
            update(ApiKey)
            .where(ApiKey.id == org.crm_key_id)
            .values(expires_at=utcnow() + timedelta(minutes=5))
        )
    assert (await client.get(CRM_PATH, headers=bearer(org.crm_key))).status_code == 200


async def test_last_used_is_recorded(client: Client, db: Database, org: OrgSetup) -> None:
    await client.get(CRM_PATH, headers=bearer(org.crm_key))
    async with db.read() as session:
        key = await session.get(ApiKey, org.crm_key_id)
    assert key is not None
    assert key.last_used_at is not None
    assert utcnow() - key.last_used_at < timedelta(seconds=30)


async def test_keys_hashed_under_an_old_pepper_still_work_and_are_rehashed(
    client: Client, app: Litestar, db: Database, org: OrgSetup
) -> None:
    from finite.kit.derived_keys import Peppers

    platform: Platform = app.state.platform
    old = platform.peppers
    rotated = Peppers.from_secrets(
        "a-brand-new-secret-key-" + "x" * 32, (platform.settings.secret_key,)
    )
    platform.peppers = rotated
    try:
        assert (await client.get(CRM_PATH, headers=bearer(org.crm_key))).status_code == 200
        async with db.read() as session:
            key = await session.get(ApiKey, org.crm_key_id)
        assert key is not None
        assert key.pepper_id == rotated.current.key_id != old.current.key_id
        assert (await client.get(CRM_PATH, headers=bearer(org.crm_key))).status_code == 200
        platform.peppers = Peppers(rotated.current)  # the old secret retired
        assert (await client.get(CRM_PATH, headers=bearer(org.crm_key))).status_code == 200
    finally:
        platform.peppers = old


async def test_a_process_not_yet_switched_accepts_the_next_secret_and_moves_nothing_back(
    client: Client, app: Litestar, db: Database, org: OrgSetup
) -> None:
    """A rotation's rolling restart: a process switched to the new secret moved the key to the
    new pepper; a process still on the old secret, holding the new one as FINITE_NEXT_SECRET_KEYS,
    accepts the key and leaves its hash alone (it would otherwise move it back, and the two
    kinds of process would re-hash it at every change of side)."""
    from finite.kit.derived_keys import Peppers

    platform: Platform = app.state.platform
    old_secret = platform.settings.secret_key
    new_secret = "a-brand-new-secret-key-" + "y" * 32
    original = platform.peppers
    switched = Peppers.from_secrets(new_secret, (old_secret,))
    not_yet = Peppers.from_secrets(old_secret, (), (new_secret,))
    try:
        platform.peppers = switched
        assert (await client.get(CRM_PATH, headers=bearer(org.crm_key))).status_code == 200
        platform.peppers = not_yet
        assert (await client.get(CRM_PATH, headers=bearer(org.crm_key))).status_code == 200
        async with db.read() as session:
            key = await session.get(ApiKey, org.crm_key_id)
        assert key is not None
        assert key.pepper_id == switched.current.key_id  # still under the new pepper
    finally:
        platform.peppers = original
