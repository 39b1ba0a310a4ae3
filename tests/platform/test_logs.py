"""Log lines: JSON that parses, with the request id, and never a secret (platform/logs.py)."""

from __future__ import annotations

import dataclasses
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from finite.app import create_app
from finite.config import ConfigError, Settings, load_settings
from finite.kit.request_id import current_request_id
from finite.platform.logs import REDACTED, log_handler, redact
from tests.conftest import TEST_SECRET
from tests.servers import Servers, server_env

CRM_KEY = "fsk_" + "A1b2C3d4" * 6 + "Z"
HANDOVER_KEY = "fz_live_" + "q9W8e7R6" * 6 + "x"
WEBHOOK_SECRET = "whsec_" + "c2VjcmV0LXNpZ25pbmcta2V5LWZvci13ZWJob29rcw=="
BEARER = "opaque.bearer-token_value"
PASSWORD = "hunter2-correct-horse"
SECRETS = (CRM_KEY, HANDOVER_KEY, WEBHOOK_SECRET, BEARER, PASSWORD)


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        (f"created key {CRM_KEY} for org_1", ["created key fsk_", "for org_1"]),
        (f"key={HANDOVER_KEY}", ["fz_live_"]),
        (f"signing with {WEBHOOK_SECRET}.", ["signing with whsec_"]),
        (f"Authorization: Bearer {BEARER}", ["Authorization: Bearer"]),
        (f"login password={PASSWORD} user=ana", ["password=", "user=ana"]),
        (f'{{"password": "{PASSWORD}", "name": "x"}}', ['"password": ', '"name": "x"']),
        (f"FINITE_METRICS_TOKEN={PASSWORD}", ["FINITE_METRICS_TOKEN="]),
        (f"postgresql://finite:{PASSWORD}@db:5432/finite", ["postgresql://finite:", "@db:5432"]),
    ],
)
def test_redact_blanks_the_secret_and_keeps_the_rest(text: str, kept: list[str]) -> None:
    cleaned = redact(text)
    assert REDACTED in cleaned
    for secret in SECRETS:
        assert secret not in cleaned
    for part in kept:
        assert part in cleaned, cleaned


def test_text_without_secrets_is_unchanged() -> None:
    text = "GET /api/records/leads 200 in 3 ms (request req_abc, org org_1, key key_2)"
    assert redact(text) == text


@pytest.fixture
def json_lines() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = log_handler("json")
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    logger = logging.getLogger("finite.test_logs")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield logger, stream
    finally:
        logger.removeHandler(handler)


def lines_of(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_json_line_parses_and_holds_no_secret(
    json_lines: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = json_lines
    token = current_request_id.set("req_test123")
    try:
        try:
            raise ValueError(f"bad key {CRM_KEY}")
        except ValueError:
            logger.exception(
                "refused %s with password=%s",
                HANDOVER_KEY,
                PASSWORD,
                extra={
                    "webhook_secret": WEBHOOK_SECRET,
                    "attempt": 2,
                    "header": f"Bearer {BEARER}",
                },
            )
    finally:
        current_request_id.reset(token)
    logger.info("outside any request")

    text = stream.getvalue()
    for secret in SECRETS:
        assert secret not in text, secret
    first, second = lines_of(stream)
    assert first["level"] == "ERROR"
    assert first["logger"] == "finite.test_logs"
    assert first["message"] == f"refused fz_live_{REDACTED} with password={REDACTED}"
    assert first["request_id"] == "req_test123"
    assert first["attempt"] == 2
    assert first["webhook_secret"] == f"whsec_{REDACTED}"
    assert first["header"] == f"Bearer {REDACTED}"
    assert "ValueError: bad key fsk_" in first["exception"]
    assert first["time"].endswith("+00:00")
    assert second["request_id"] is None
    assert second["message"] == "outside any request"


async def test_a_line_logged_while_serving_a_request_carries_its_id(
    settings: Settings, json_lines: tuple[logging.Logger, io.StringIO]
) -> None:
    _, stream = json_lines
    health = logging.getLogger("finite.health")  # readyz logs a warning when Redis is down
    handler = logging.getLogger("finite.test_logs").handlers[-1]
    health.addHandler(handler)
    app = create_app(dataclasses.replace(settings, redis_url="redis://127.0.0.1:1/0"))
    try:
        async with AsyncTestClient(app) as client:
            response = await client.get("/readyz", headers={"X-Request-ID": "trace-ready-1"})
    finally:
        health.removeHandler(handler)
    assert response.status_code == 503
    (line,) = lines_of(stream)
    assert line["logger"] == "finite.health"
    assert line["request_id"] == "trace-ready-1"


def test_the_log_format_setting(tmp_path: Path) -> None:
    base = {"FINITE_DATA_DIR": str(tmp_path), "FINITE_SECRET_KEY": TEST_SECRET}
    assert load_settings(base).log_format == "text"
    assert load_settings({**base, "FINITE_LOG_FORMAT": "JSON"}).log_format == "json"
    with pytest.raises(ConfigError, match="FINITE_LOG_FORMAT"):
        load_settings({**base, "FINITE_LOG_FORMAT": "xml"})


@pytest.mark.slow
def test_a_json_server_writes_only_json_lines(servers: Servers, tmp_path: Path) -> None:
    env = server_env(
        data_dir=str(tmp_path / "data"), log_format="json", secret_key=TEST_SECRET, demo="0"
    )
    (server,) = servers.start(env)
    assert server.client.get("/healthz").status_code == 200
    server.stop()
    lines = [json.loads(line) for line in server.stderr.splitlines() if line.strip()]
    loggers = {line["logger"] for line in lines}
    assert "_granian" in loggers, loggers  # granian's own lines are JSON too
    assert all({"time", "level", "logger", "message", "request_id"} <= set(line) for line in lines)
