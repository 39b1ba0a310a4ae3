"""FINITE_TRUSTED_PROXIES: behind a trusted proxy the audit row names the client that
X-Forwarded-For gives; from anyone else, the header changes nothing."""

from __future__ import annotations

from dataclasses import replace

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from finite.app import create_app
from finite.config import ConfigError, Settings, load_settings
from finite.kit.db import Database
from finite.models import AuditEntry
from tests.factories import OrgSetup, bearer

# The test client's own address (litestar.testing): the "proxy" every request comes from.
TEST_CLIENT = "testclient"
FORWARDED = {"X-Forwarded-For": "203.0.113.7, 198.51.100.2"}


async def client_ip_of(app: Litestar, settings: Settings, key: str) -> str | None:
    async with AsyncTestClient(app) as client:
        answer = await client.get("/api/records/leads", headers={**bearer(key), **FORWARDED})
        assert answer.status_code == 200, answer.text
        client.blocking_portal.call(app.state.platform.audit.flush)
    database = Database(settings.database_url)
    try:
        async with database.read() as session:
            return await session.scalar(
                select(AuditEntry.client_ip).where(
                    AuditEntry.request_id == answer.headers["X-Request-ID"]
                )
            )
    finally:
        await database.dispose()


@pytest.mark.parametrize(
    ("proxies", "recorded"),
    [
        # The nearest address that is not a trusted proxy: 198.51.100.2 is one here.
        ((TEST_CLIENT, "198.51.100.0/24"), "203.0.113.7"),
        ((TEST_CLIENT,), "198.51.100.2"),
        # Not sent through a trusted proxy: the header is the client's own word, ignored.
        (("192.0.2.1",), TEST_CLIENT),
        ((), TEST_CLIENT),
    ],
)
async def test_the_audit_row_names_the_client_a_trusted_proxy_forwarded(
    settings: Settings, org: OrgSetup, proxies: tuple[str, ...], recorded: str
) -> None:
    served = replace(settings, trusted_proxies=proxies)
    assert await client_ip_of(create_app(served), served, org.crm_key) == recorded


def test_a_trusted_proxy_must_be_an_address_or_a_network(tmp_path: object) -> None:
    base = {"FINITE_DATA_DIR": str(tmp_path)}
    settings = load_settings({**base, "FINITE_TRUSTED_PROXIES": "10.0.0.1, 172.16.0.0/12"})
    assert settings.trusted_proxies == ("10.0.0.1", "172.16.0.0/12")
    with pytest.raises(ConfigError, match=r"proxy\.example"):
        load_settings({**base, "FINITE_TRUSTED_PROXIES": "proxy.example"})
