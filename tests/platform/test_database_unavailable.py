"""A database that cannot be reached answers 503 UNAVAILABLE with Retry-After in each surface's
format, logged as one warning line — an outage, not "a bug on our side" (500 INTERNAL).

Fast and always run: a PostgreSQL URL on a port nothing listens on. The restart drill
(test_database_outage.py) stops and starts a real cluster under load."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from finite.app import create_app
from finite.config import Settings
from finite.core.keys import tokens
from tests.conftest import TEST_SECRET
from tests.factories import bearer
from tests.servers import free_port

CRM_KEY = tokens.generate("crm")  # well formed: the key is looked up in the database
HANDOVER_KEY = tokens.generate("handover")


@pytest.mark.parametrize(
    ("method", "path", "key"),
    [
        ("GET", "/api/records/leads", CRM_KEY),
        ("POST", "/api/records/leads", CRM_KEY),
        ("GET", "/api/v1/clients", HANDOVER_KEY),
        ("POST", "/api/v1/clients", HANDOVER_KEY),
    ],
)
async def test_an_unreachable_database_answers_503_with_retry_after(
    method: str, path: str, key: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(
        env="development",
        data_dir=tmp_path,
        database_url=f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/finite",
        redis_url=None,
        secret_key=TEST_SECRET,
        demo_on_first_run=False,
        inline_worker=False,
        key_cache=False,
    )
    async with AsyncTestClient(create_app(settings)) as client:
        caplog.clear()
        body = {"name": "Jane", "email": "jane@example.com"} if method == "POST" else None
        answer = await client.request(method, path, json=body, headers=bearer(key))

    assert answer.status_code == 503, answer.text
    assert answer.headers["Retry-After"].isdigit()
    assert 1 <= int(answer.headers["Retry-After"]) <= 30
    request_id = answer.headers["X-Request-ID"]
    payload = answer.json()
    if path.startswith("/api/v1/"):
        assert set(payload) == {"data", "meta", "error"}
        assert payload["data"] is None
        assert payload["error"]["code"] == "UNAVAILABLE"
        assert payload["meta"]["request_id"] == request_id
    else:
        assert payload["code"] == "UNAVAILABLE"
        assert payload["request_id"] == request_id
    assert "retry" in str(payload).lower()

    about_it = [r for r in caplog.records if r.name == "finite.errors"]
    assert [r.levelno for r in about_it] == [logging.WARNING], [r.getMessage() for r in about_it]
    assert about_it[0].exc_info is None  # one line, no traceback
    assert request_id in about_it[0].getMessage()
