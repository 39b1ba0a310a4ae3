"""Sign-in attempts are limited per account and per address, counted before any password is
checked: past the limit even the right password is refused, with how long to wait."""

from __future__ import annotations

from dataclasses import replace

import pytest
from litestar.testing import AsyncTestClient

from finite.app import create_app
from finite.config import Settings
from finite.console.signin import ACCOUNT_TRIES_PER_MINUTE, ADDRESS_TRIES_PER_MINUTE
from finite.kit.db import Database
from tests.console.helpers import BROWSER, PASSWORD, SAME_ORIGIN, Client, login_form
from tests.console.helpers import make_console_member as make_member
from tests.factories import OrgSetup


async def _post(client: Client, email: str, password: str) -> tuple[int, str, str | None]:
    answer = await client.post(
        "/console/login",
        data=login_form(email, password),
        headers={**SAME_ORIGIN, **BROWSER},
        follow_redirects=False,
    )
    return answer.status_code, answer.text, answer.headers.get("retry-after")


async def _lock_out_the_account(client: Client, email: str) -> None:
    for _ in range(ACCOUNT_TRIES_PER_MINUTE):
        status, _, _ = await _post(client, email, "a wrong password")
        assert status == 401
    status, page, retry_after = await _post(client, email, PASSWORD)
    assert status == 429
    assert "Too many sign-in attempts for this account." in page
    assert "Wait " in page
    assert retry_after is not None
    assert 1 <= int(retry_after) <= 60


async def test_an_account_is_locked_after_repeated_failures(
    client: Client, db: Database, org: OrgSetup
) -> None:
    member = await make_member(db, org.org_id)
    other = await make_member(db, org.org_id)
    await _lock_out_the_account(client, member.email)
    # Another account from the same address still signs in.
    status, _, _ = await _post(client, other.email, PASSWORD)
    assert status == 303


async def test_an_unknown_email_is_locked_out_the_same_way(client: Client) -> None:
    """The lock is on the typed email, so it tells nothing about whether it exists."""
    for _ in range(ACCOUNT_TRIES_PER_MINUTE):
        assert (await _post(client, "nobody-here@example.com", "guess"))[0] == 401
    status, page, _ = await _post(client, "nobody-here@example.com", "guess")
    assert status == 429
    assert "Too many sign-in attempts for this account." in page


async def test_an_address_is_limited_across_accounts(
    client: Client, db: Database, org: OrgSetup
) -> None:
    member = await make_member(db, org.org_id)
    for number in range(ADDRESS_TRIES_PER_MINUTE):
        status, _, _ = await _post(client, f"guess-{number}@example.com", "a wrong password")
        assert status == 401
    status, page, retry_after = await _post(client, member.email, PASSWORD)
    assert status == 429
    assert "Too many sign-in attempts from this address." in page
    assert retry_after is not None


async def test_the_account_limit_is_shared_through_redis(
    settings: Settings, redis_url: str, db: Database, org: OrgSetup
) -> None:
    """With FINITE_REDIS_URL the windows are Redis's: another server process (a second app
    here) sees the same lock."""
    member = await make_member(db, org.org_id)
    shared = replace(settings, redis_url=redis_url)
    async with AsyncTestClient(create_app(shared)) as first:
        for _ in range(ACCOUNT_TRIES_PER_MINUTE):
            assert (await _post(first, member.email, "a wrong password"))[0] == 401
    async with AsyncTestClient(create_app(shared)) as second:
        status, page, _ = await _post(second, member.email, PASSWORD)
    assert status == 429
    assert "Too many sign-in attempts for this account." in page


@pytest.mark.parametrize("header", [{}, {"Sec-Fetch-Site": "cross-site"}])
async def test_a_sign_in_from_another_site_is_refused(
    client: Client, db: Database, org: OrgSetup, header: dict[str, str]
) -> None:
    """Login CSRF: a form on another site must not sign the browser in to an account."""
    member = await make_member(db, org.org_id)
    answer = await client.post(
        "/console/login",
        data=login_form(member.email, PASSWORD),
        headers={**header, **BROWSER},
        follow_redirects=False,
    )
    assert answer.status_code == 403
    assert "set-cookie" not in answer.headers
    assert "Sign in from the console" in answer.text
