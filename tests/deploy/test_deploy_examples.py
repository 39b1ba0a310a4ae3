"""The deployment examples of docs/deploy.md, as far as this machine can run them: the compose
file validates (`docker-compose config`), the systemd units verify (`systemd-analyze verify`),
and the units' own commands, run as systemd would run them with the example environment file
pointed at this machine's PostgreSQL and Redis, migrate, serve, deliver and stop cleanly on
SIGTERM."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests import backends
from tests.conftest import TEST_SECRET
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = DEPLOY / "systemd"
INSTALLED_BINARY = "/opt/finite/venv/bin/finite"
STARTUP_SECONDS = 30.0


def compose_command() -> list[str]:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    docker = shutil.which("docker")
    if (
        docker
        and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0
    ):
        return [docker, "compose"]
    pytest.skip("neither docker-compose nor the docker compose plugin is installed")


def compose_config(environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("FINITE_")}
    env.pop("POSTGRES_PASSWORD", None)
    env.update(environment)
    return subprocess.run(
        [*compose_command(), "-f", str(DEPLOY / "docker-compose.yml"), "config"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_the_compose_file_validates() -> None:
    answer = compose_config({"FINITE_SECRET_KEY": "k" * 48, "POSTGRES_PASSWORD": "p" * 24})
    assert answer.returncode == 0, answer.stderr
    for service in ("postgres", "redis", "migrate", "api", "worker"):
        assert f"  {service}:" in answer.stdout
    assert "finite serve" not in answer.stdout  # commands are lists, not shell strings
    assert "- serve" in answer.stdout
    assert "- --no-migrate" in answer.stdout


def test_the_compose_file_refuses_to_start_without_its_secrets() -> None:
    answer = compose_config({"POSTGRES_PASSWORD": "p" * 24})
    assert answer.returncode != 0
    assert "set FINITE_SECRET_KEY" in answer.stderr


def unit(name: str) -> dict[str, list[str]]:
    """A unit file's `Key=value` lines, every value of a repeated key kept in order."""
    found: dict[str, list[str]] = {}
    for line in (UNITS / name).read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def finite_binary() -> Path:
    return Path(sys.executable).parent / "finite"


@pytest.mark.parametrize("name", ["finite-serve.service", "finite-worker@.service"])
def test_the_systemd_units_verify(name: str, tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    if not finite_binary().exists():
        pytest.skip(f"no `finite` command beside {sys.executable}")
    installed = tmp_path / name.replace("@", "@1")
    installed.write_text((UNITS / name).read_text().replace(INSTALLED_BINARY, str(finite_binary())))
    answer = subprocess.run(
        [analyze, "verify", str(installed)], capture_output=True, text=True, timeout=60
    )
    assert answer.returncode == 0, answer.stderr
    # The real text refers to where the docs install Finite, and nothing else.
    assert INSTALLED_BINARY in (UNITS / name).read_text()


@pytest.fixture
def pg_url() -> Iterator[str]:
    if not backends.postgres_reachable():
        pytest.skip("PostgreSQL unreachable")
    with backends.fresh_postgres_database() as url:
        yield url


def unit_environment(tmp_path: Path, pg_url: str, port: int) -> dict[str, str]:
    """The example environment file, as systemd reads it, with this machine's services."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("FINITE_")}
    for line in (UNITS / "finite.env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            key, value = line.split("=", 1)
            env[key] = value
    env.update(
        FINITE_SECRET_KEY=TEST_SECRET,
        FINITE_DATABASE_URL=pg_url.replace("+asyncpg", ""),
        FINITE_REDIS_URL=backends.REDIS_URL,
        FINITE_DATA_DIR=str(tmp_path / "state"),
        FINITE_PORT=str(port),
        PYTHONUNBUFFERED="1",
    )
    if env.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.pathsep.join(
            os.path.abspath(entry) for entry in env["PYTHONPATH"].split(os.pathsep) if entry
        )
    return env


def command(line: str) -> list[str]:
    """A unit's command line, with the installed `finite` replaced by this checkout's."""
    words = line.split()
    assert words[0] == INSTALLED_BINARY
    return [sys.executable, "-m", "finite", *words[1:]]


def stop_with_sigterm(process: subprocess.Popen[bytes], within: float) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=within)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        return -signal.SIGKILL


@pytest.mark.slow
def test_the_units_commands_migrate_serve_work_and_stop_cleanly(
    tmp_path: Path, pg_url: str
) -> None:
    if not backends.redis_reachable():
        pytest.skip("Redis unreachable")
    serve, worker = unit("finite-serve.service"), unit("finite-worker@.service")
    port = free_port()
    env = unit_environment(tmp_path, pg_url, port)
    assert env["FINITE_ENV"] == "production"
    # Migrations run once before serving; serving itself is told not to migrate.
    assert [command(line)[3:] for line in serve["ExecStartPre"]] == [["migrate"]]
    assert "--no-migrate" in serve["ExecStart"][0]

    for line in serve["ExecStartPre"]:
        migrated = subprocess.run(
            command(line), env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
        )
        assert migrated.returncode == 0, migrated.stderr

    logs = tmp_path / "logs"
    logs.mkdir()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for name, line in (("serve", serve["ExecStart"][0]), ("worker", worker["ExecStart"][0])):
            with (logs / f"{name}.log").open("wb") as sink:
                processes.append(
                    subprocess.Popen(
                        command(line),
                        env=env,
                        cwd=tmp_path,
                        stdout=sink,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
        deadline = time.monotonic() + STARTUP_SECONDS
        ready = False
        while time.monotonic() < deadline and not ready:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
            except httpx.HTTPError:
                time.sleep(0.2)
        assert ready, (logs / "serve.log").read_text()
        assert "redis" in httpx.get(f"http://127.0.0.1:{port}/readyz").json()["checks"]
        while time.monotonic() < deadline and "started" not in (logs / "worker.log").read_text():
            time.sleep(0.2)
        assert "started" in (logs / "worker.log").read_text()

        stop_within = float(serve["TimeoutStopSec"][0])
        for name, process in zip(("serve", "worker"), processes, strict=True):
            assert stop_with_sigterm(process, stop_within) == 0, (logs / f"{name}.log").read_text()
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
    for name in ("serve", "worker"):
        output = (logs / f"{name}.log").read_text()
        assert "Traceback" not in output, output
