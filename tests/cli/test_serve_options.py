"""`finite serve` hands granian a fixed event loop: granian's "auto" takes rloop whenever it is
installed, on which asyncpg cannot start TLS, so any PostgreSQL connection would fail. Each served
worker freezes its startup heap (platform/heap_freeze.py)."""

from __future__ import annotations

import gc
import os
from pathlib import Path
from typing import Any

import granian
import pytest
from granian.constants import Interfaces, Loops
from litestar.testing import TestClient
from typer.testing import CliRunner

from finite.app import create_served_app
from finite.cli import app
from finite.config import load_settings
from finite.platform.migrations import migrate_to_head


class RecordedGranian:
    made: dict[str, Any] = {}

    def __init__(self, target: str, **options: Any) -> None:
        processes = os.environ.get("FINITE_PROCESSES")
        metrics_folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        RecordedGranian.made = {
            "target": target,
            "FINITE_PROCESSES": processes,
            "PROMETHEUS_MULTIPROC_DIR": metrics_folder,
            **options,
        }

    def serve(self) -> None:
        """Returns at once: the options are what this test is about."""


def test_serve_runs_the_asyncio_loop_whatever_is_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(granian, "Granian", RecordedGranian)
    env = {"FINITE_DATA_DIR": str(tmp_path), "FINITE_DEMO": "0"}
    result = CliRunner().invoke(app, ["serve", "--port", "8799"], env=env)
    assert result.exit_code == 0, result.output
    made = RecordedGranian.made
    assert made["target"] == "finite.app:create_served_app"
    assert made["interface"] == Interfaces.ASGI
    assert made["loop"] == Loops.asyncio


def test_serve_tells_its_workers_how_many_share_the_rate_limits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While Redis is down each worker admits limit / FINITE_PROCESSES (core/ratelimit)."""
    monkeypatch.setattr(granian, "Granian", RecordedGranian)
    monkeypatch.setenv("FINITE_PROCESSES", "1")
    monkeypatch.delenv("FINITE_PROCESSES")  # absent now, and again after the test
    env = {"FINITE_DATA_DIR": str(tmp_path), "FINITE_DEMO": "0"}
    result = CliRunner().invoke(app, ["serve", "--workers", "3"], env=env)
    assert result.exit_code == 0, result.output
    assert RecordedGranian.made["workers"] == 3
    assert RecordedGranian.made["FINITE_PROCESSES"] == "3"
    # Set explicitly (servers on several machines), it wins over the local worker count.
    monkeypatch.setenv("FINITE_PROCESSES", "8")
    result = CliRunner().invoke(app, ["serve", "--workers", "3"], env=env)
    assert result.exit_code == 0, result.output
    assert RecordedGranian.made["FINITE_PROCESSES"] == "8"


def test_serve_bounds_its_workers_shutdown_and_shares_one_metrics_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(granian, "Granian", RecordedGranian)
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    env = {"FINITE_DATA_DIR": str(tmp_path), "FINITE_DEMO": "0", "FINITE_LOG_FORMAT": "json"}
    result = CliRunner().invoke(app, ["serve", "--shutdown-timeout", "12"], env=env)
    assert result.exit_code == 0, result.output
    made = RecordedGranian.made
    assert made["workers_kill_timeout"] == 12
    folder = made["PROMETHEUS_MULTIPROC_DIR"]
    assert folder is not None
    assert Path(folder).name.startswith("finite-metrics-")
    assert not Path(folder).exists(), "removed when the server ends"
    assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ
    # JSON lines: granian's loggers hand their records to the root logger's JSON handler.
    assert made["log_dictconfig"]["loggers"]["_granian"]["propagate"] is True

    result = CliRunner().invoke(app, ["serve"], env={**env, "FINITE_LOG_FORMAT": "text"})
    assert result.exit_code == 0, result.output
    assert RecordedGranian.made["workers_kill_timeout"] == 20
    assert RecordedGranian.made["log_dictconfig"] is None


def test_a_served_worker_freezes_its_startup_heap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Full collections then skip what startup built (platform/heap_freeze.py)."""
    monkeypatch.setenv("FINITE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("FINITE_DEMO", "0")
    migrate_to_head(load_settings().database_url)
    served = create_served_app()
    gc.unfreeze()
    try:
        with TestClient(served) as client:
            assert gc.get_freeze_count() > 10_000
            assert client.get("/healthz").status_code == 200
    finally:
        gc.unfreeze()
