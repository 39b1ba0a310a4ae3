"""/metrics of real processes: `finite serve --workers 2` sums its workers' figures in one
scrape, and `finite worker --metrics-port` serves its own."""

from __future__ import annotations

import glob
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from finite.platform.migrations import migrate_to_head
from tests.conftest import TEST_SECRET
from tests.servers import Servers, free_port, server_env

pytestmark = pytest.mark.slow

REQUESTS = 40
TOKEN = "worker-metrics-token-0123456789"


def counted(text: str, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0.0


def metrics_folders() -> set[str]:
    return set(glob.glob(os.path.join(tempfile.gettempdir(), "finite-metrics-*")))


def test_one_scrape_sums_every_server_process(servers: Servers, tmp_path: Path) -> None:
    folders_before = metrics_folders()
    env = server_env(data_dir=str(tmp_path / "data"), demo="0", secret_key=TEST_SECRET)
    (server,) = servers.start(env, args=("--workers", "2"))
    (folder,) = metrics_folders() - folders_before  # the server's own, in the temp dir
    for _ in range(REQUESTS):
        # A connection each: the two processes take turns accepting them.
        assert httpx.get(f"{server.base_url}/api/me").status_code == 401
    pids = {name.rsplit("_", 1)[1] for name in os.listdir(folder) if name.startswith("counter_")}
    assert len(pids) == 2, os.listdir(folder)  # both processes answered some of them
    text = server.client.get("/metrics").text
    assert (
        counted(text, "finite_http_requests_total", route="/api/me", method="GET", status="401")
        == REQUESTS
    )

    server.stop()
    assert server.process.returncode == 0, server.stderr
    assert not Path(folder).exists()  # removed at the end


def test_the_worker_serves_its_own_metrics_behind_the_token(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    database_url = f"sqlite+aiosqlite:///{data / 'finite.db'}"
    migrate_to_head(database_url)
    port = free_port()
    env = server_env(
        data_dir=str(data), database_url=database_url, secret_key=TEST_SECRET, metrics_token=TOKEN
    )
    log = (tmp_path / "worker.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "finite", "worker", "--metrics-port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                refused = httpx.get(url)
                break
            except httpx.TransportError:
                assert process.poll() is None, (tmp_path / "worker.log").read_text()
                assert time.monotonic() < deadline, "no metrics port"
                time.sleep(0.1)
        assert refused.status_code == 401
        assert refused.headers["WWW-Authenticate"] == "Bearer"
        answer = httpx.get(url, headers={"Authorization": f"Bearer {TOKEN}"})
        assert answer.status_code == 200
        assert answer.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        assert counted(answer.text, "finite_webhook_queue_depth", queue="deliveries") == 0
        assert "finite_webhook_deliveries_in_flight 0.0" in answer.text
        assert 'finite_db_pool_size{pool="main"}' in answer.text
    finally:
        process.send_signal(signal.SIGTERM)
        returncode = process.wait(timeout=30)
        log.close()
    assert returncode == 0, (tmp_path / "worker.log").read_text()
