"""`finite secrets rotate|status`: the operator's side of rotating FINITE_SECRET_KEY. Sealed
values move at once; API keys, stored as keyed hashes, move to the new pepper at their next
use. A database of the test's own: re-sealing walks every row."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest
from typer.testing import CliRunner, Result

from finite.cli import app as cli_app
from finite.core.auth.authenticate import authenticate
from finite.core.webhooks.secrets import seal_secret
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.kit.errors import AppError
from finite.kit.ids import new_id
from finite.kit.secretbox import SecretBox
from finite.models.webhooks import WebhookEndpoint
from finite.platform.migrations import migrate_to_head
from tests.conftest import TEST_SECRET
from tests.factories import OrgSetup, make_org

NEW_SECRET = "the-new-secret-key-after-rotation-0123456789"
T = TypeVar("T")


def _with_db(url: str, work: Callable[[Database], Awaitable[T]]) -> T:
    async def run() -> T:
        db = Database(url)
        try:
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(run())


def _finite(url: str, tmp_path: Path, *args: str, old: str = TEST_SECRET) -> Result:
    env = {
        "FINITE_ENV": "development",
        "FINITE_DATA_DIR": str(tmp_path / "data"),
        "FINITE_DATABASE_URL": url,
        "FINITE_SECRET_KEY": NEW_SECRET,
        "FINITE_OLD_SECRET_KEYS": old,
        "FINITE_REDIS_URL": "",
    }
    return CliRunner().invoke(cli_app, list(args), env=env)


async def _org_with_a_webhook(db: Database) -> OrgSetup:
    """Made while TEST_SECRET was the only secret: its keys and webhook secret are under it."""
    org = await make_org(db, Peppers.from_secrets(TEST_SECRET))
    now = utcnow()
    async with db.transaction() as session:
        endpoint = WebhookEndpoint(
            org_id=org.org_id,
            id=new_id("wh"),
            product="crm",
            url="https://example.com/hook",
            description="",
            modules=["*"],
            events=["*"],
            secret_sealed=b"",
            status="active",
            created_at=now,
            updated_at=now,
        )
        endpoint.secret_sealed = seal_secret(SecretBox.from_secrets(TEST_SECRET), endpoint, "s")
        session.add(endpoint)
    return org


async def _sign_in(db: Database, peppers: Peppers, key: str) -> bool:
    try:
        await authenticate(db, peppers, [(b"authorization", b"Bearer " + key.encode())], "crm")
    except AppError:
        return False
    return True


@pytest.fixture
def url(fresh_url: str) -> str:
    migrate_to_head(fresh_url)
    return fresh_url


def test_rotate_reseals_and_status_tells_when_the_old_secret_can_go(
    url: str, tmp_path: Path
) -> None:
    org = _with_db(url, _org_with_a_webhook)

    status = _finite(url, tmp_path, "secrets", "status")
    assert status.exit_code == 0, status.output
    assert (
        "webhook_endpoints.secret_sealed: 0 under the current key, 1 under another configured one"
        in (status.output)
    )
    assert (
        "api_keys (usable): 0 under the current key, 2 under another configured one"
        in status.output
    )
    assert "keep FINITE_OLD_SECRET_KEYS" in status.output

    rotated = _finite(url, tmp_path, "secrets", "rotate", "--batch-size", "1")
    assert rotated.exit_code == 0, rotated.output
    assert "webhook_endpoints.secret_sealed: 1 re-sealed" in rotated.output
    assert "API keys cannot be re-hashed" in rotated.output

    # The CRM key is used once on a server holding both secrets: it moves to the new pepper.
    both = Peppers.from_secrets(NEW_SECRET, (TEST_SECRET,))
    assert _with_db(url, lambda db: _sign_in(db, both, org.crm_key))
    status = _finite(url, tmp_path, "secrets", "status")
    assert (
        "webhook_endpoints.secret_sealed: 1 under the current key, 0 under another configured one"
        in (status.output)
    )
    assert (
        "api_keys (usable): 1 under the current key, 1 under another configured one"
        in status.output
    )

    # Dropping the old secret now: the moved key works, the unused one no longer does.
    new_only = Peppers.from_secrets(NEW_SECRET)
    assert _with_db(url, lambda db: _sign_in(db, new_only, org.crm_key))
    handover = _finite(url, tmp_path, "secrets", "status", old="")
    assert (
        "api_keys (usable): 1 under the current key, 0 under another configured one, 1 under none"
        in (handover.output)
    )


def test_rotate_fails_loudly_when_a_value_opens_under_no_key(url: str, tmp_path: Path) -> None:
    _with_db(url, _org_with_a_webhook)
    result = _finite(url, tmp_path, "secrets", "rotate", old="")
    assert result.exit_code == 1
    assert "1 open under no configured key" in result.output
