"""Plan & usage (/console/plan): each product's plan, status, trial end, rate limit and the
requests counted in the current window (read from the API's own limiter, in memory and in
Redis), webhook endpoints used of the plan's maximum, the API's `limits` object, and the seed's
plan table with the current plan marked; on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import html
import json
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from finite.app import create_app
from finite.config import Settings
from finite.core.accounts.service import PlanChoice
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from tests.console.helpers import Client, make_console_member, sign_in
from tests.factories import OrgSetup, bearer, make_org


def section(page: str, product: str) -> str:
    found = re.search(rf'<section[^>]*id="{product}">(.*?)</section>', page, re.S)
    assert found is not None, page
    return found.group(1)


def fact(part: str, name: str) -> str:
    found = re.search(rf'<dd class="{name}">(.*?)</dd>', part, re.S)
    assert found is not None, part
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def limits_of(part: str) -> dict[str, Any]:
    found = re.search(r'<pre class="limits-json">(.*?)</pre>', part, re.S)
    assert found is not None, part
    value: dict[str, Any] = json.loads(html.unescape(found.group(1)))
    return value


def current_rows(part: str) -> list[str]:
    return re.findall(r'<tr class="current"[^>]*><th scope="row">([^<]+)', part)


async def plan_page(client: Client) -> str:
    answer = await client.get("/console/plan")
    assert answer.status_code == 200, answer.text
    return answer.text


async def test_any_member_sees_each_products_plan_limits_and_the_plan_table(
    client: Client, db: Database, org: OrgSetup
) -> None:
    member = await make_console_member(db, org.org_id, role="Read-only")
    await sign_in(client, member.email)
    page = await plan_page(client)

    crm = section(page, "crm")
    assert fact(crm, "plan-name") == "enterprise"
    assert fact(crm, "plan-status") == "active"
    assert fact(crm, "trial-end") == "—"
    assert fact(crm, "rate-limit") == "480 requests per minute"
    assert fact(crm, "webhooks-used") == "0 of 25"
    assert current_rows(crm) == ["Enterprise (and active trials) "]
    # The seed's table, every row.
    for label, rpm, hooks in (
        ("Free / expired trial", 60, 1),
        ("Standard", 120, 3),
        ("Professional", 240, 10),
        ("Enterprise (and active trials)", 480, 25),
        ("CRM Plus", 600, 30),
        ("Ultimate", 960, 50),
    ):
        assert re.search(rf"{re.escape(label)}.*?</th><td>{rpm}</td><td>{hooks}</td>", crm)

    handover = section(page, "handover")
    assert fact(handover, "plan-name") == "agency"
    assert fact(handover, "rate-limit") == "600 requests per minute"
    assert fact(handover, "webhooks-used") == "0 of 25"
    assert current_rows(handover) == ["Agency "]
    # No Redis in these settings: the page says the count is this process's own.
    assert 'id="per-process"' in page


async def test_a_trial_shows_its_end_and_the_limits_that_apply_now(
    client: Client, db: Database, peppers: Peppers
) -> None:
    ends = (utcnow() + timedelta(days=9)).replace(microsecond=0)
    trial = await make_org(db, peppers, crm=PlanChoice("standard", "trial", ends))
    member = await make_console_member(db, trial.org_id, role="Standard")
    await sign_in(client, member.email)
    crm = section(await plan_page(client), "crm")
    assert fact(crm, "plan-name").startswith("standard (limits of enterprise apply now)")
    assert fact(crm, "plan-status") == "trial"
    assert fact(crm, "trial-end") == ends.strftime("%Y-%m-%d %H:%M UTC")
    assert current_rows(crm) == ["Enterprise (and active trials) "]


async def _used_rises_with_api_calls(client: Client, db: Database, org: OrgSetup) -> None:
    member = await make_console_member(db, org.org_id, role="Manager")
    await sign_in(client, member.email)
    before = await plan_page(client)
    assert fact(section(before, "crm"), "requests-used") == "0"
    created = await client.post(
        "/api/webhooks",
        json={"url": "http://127.0.0.1:9/hooks"},  # loopback: allowed in tests
        headers=bearer(org.crm_key),
    )
    assert created.status_code == 201, created.text
    for _ in range(3):
        assert (await client.get("/api/me", headers=bearer(org.crm_key))).status_code == 200
    keys = await client.get("/api/keys", headers=bearer(org.crm_key))
    assert keys.status_code == 200
    after = await plan_page(client)
    crm = section(after, "crm")
    assert fact(crm, "requests-used") == "5"  # the page views are not API requests
    assert fact(section(after, "handover"), "requests-used") == "0"
    # The `limits` object is the API's, read from the same window.
    assert limits_of(crm) == keys.json()["limits"]
    assert fact(crm, "webhooks-used") == "1 of 25"
    assert keys.json()["limits"]["webhook_endpoints_used"] == 1


async def test_requests_used_rises_after_api_calls_in_memory(
    client: Client, db: Database, org: OrgSetup
) -> None:
    await _used_rises_with_api_calls(client, db, org)


@pytest.fixture
async def redis_client(settings: Settings, redis_url: str) -> AsyncIterator[Client]:
    with_redis = dataclasses.replace(settings, redis_url=redis_url)
    async with AsyncTestClient(create_app(with_redis)) as client:
        yield client


async def test_requests_used_rises_after_api_calls_in_redis(
    redis_client: Client, db: Database, org: OrgSetup
) -> None:
    await _used_rises_with_api_calls(redis_client, db, org)
    page = await plan_page(redis_client)
    assert 'id="per-process"' not in page
    assert "counted in Redis" in page


async def test_signed_out_goes_to_sign_in(client: Client) -> None:
    answer = await client.get("/console/plan", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/console/login?next=")
