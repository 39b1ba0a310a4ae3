"""Fault drills: services of a test's own that it may stop, break and start again.

Never the shared PostgreSQL (127.0.0.1:5432) or Redis (127.0.0.1:6379): a drill starts a
throwaway PostgreSQL cluster (`initdb` + `pg_ctl` in a temporary folder), `redis-server` or a
three-node Redis Cluster on free ports, and removes it afterwards.

The drills themselves live beside this module (tests/drills/test_*.py): a database restart, a
Redis outage, killed workers, a hanging webhook receiver, a fleet of servers and workers, a Redis
Cluster. Later drills (an SMTP server that goes away, an IMAP server that drops the connection)
belong here too, with their throwaway services in this module.
"""

from __future__ import annotations

import glob
import os
import random
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.servers import free_port

_POSTGRES_BINARIES = "/usr/lib/postgresql/*/bin"
_START_TIMEOUT_SECONDS = 30


def postgres_binaries() -> Path | None:
    """The folder holding initdb and pg_ctl (the newest installed version), or None."""
    for folder in sorted(glob.glob(_POSTGRES_BINARIES), reverse=True):
        if os.access(Path(folder) / "initdb", os.X_OK) and os.access(
            Path(folder) / "pg_ctl", os.X_OK
        ):
            return Path(folder)
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl and Path(initdb).parent == Path(pg_ctl).parent:
        return Path(initdb).parent
    return None


@dataclass
class ThrowawayPostgres:
    """A PostgreSQL cluster of the test's own on 127.0.0.1:`port` (user postgres, trust auth)."""

    binaries: Path
    data: Path
    port: int
    _as_user: list[str]

    @property
    def url(self) -> str:
        """The SQLAlchemy URL of its `postgres` database."""
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def _pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [*self._as_user, str(self.binaries / "pg_ctl"), "-D", str(self.data), *args]
        return subprocess.run(command, capture_output=True, text=True, check=check, timeout=60)

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 "
            # fsync off: a drill kills processes, never the machine, so what was written to the
            # kernel survives. (Not synchronous_commit=off: an immediate stop would lose the
            # last commits, which a drill checks are kept.)
            f"-c unix_socket_directories={self.data} -c fsync=off"
        )
        log = self.data / "server.log"
        self._pg_ctl(
            "start", "-w", "-t", str(_START_TIMEOUT_SECONDS), "-o", options, "-l", str(log)
        )

    def stop(self, mode: str = "immediate") -> None:
        """`immediate`: as a crash does — every connection cut, recovery at the next start."""
        self._pg_ctl("stop", "-w", "-m", mode)

    def running(self) -> bool:
        return self._pg_ctl("status", check=False).returncode == 0

    @property
    def log(self) -> str:
        path = self.data / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""


@contextmanager
def throwaway_postgres() -> Iterator[ThrowawayPostgres]:
    """A fresh cluster, started; stopped and deleted after the block. Skips the test when no
    PostgreSQL server binaries are installed. As root (initdb refuses root), the cluster runs as
    the `postgres` user in a folder it owns."""
    binaries = postgres_binaries()
    if binaries is None:
        pytest.skip(f"no PostgreSQL server binaries (initdb, pg_ctl) in {_POSTGRES_BINARIES}")
    as_user: list[str] = []
    owner: str | None = None
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        if runuser is None:
            pytest.skip("running as root and no runuser to start PostgreSQL as another user")
        owner = "postgres"
        as_user = [runuser, "-u", owner, "--"]
    root = Path(tempfile.mkdtemp(prefix="finite-drill-pg-"))
    data = root / "data"
    try:
        if owner is not None:
            shutil.chown(root, owner)
        subprocess.run(
            [
                *as_user,
                str(binaries / "initdb"),
                *("-D", str(data), "-U", "postgres", "--auth=trust", "--encoding=UTF8"),
                "--no-sync",
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        cluster = ThrowawayPostgres(binaries, data, free_port(), as_user)
        cluster.start()
        try:
            yield cluster
        finally:
            if cluster.running():
                cluster.stop("immediate")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def wait_for(condition: object, timeout: float, message: str) -> None:
    """Until `condition()` is true, or fail the test after `timeout` seconds."""
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(message)


@dataclass
class ThrowawayRedis:
    """A `redis-server` of the test's own on 127.0.0.1:`port`, in memory only (no RDB, no AOF)."""

    binary: str
    port: int
    _process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start it (again, on the same port: a restarted Redis begins empty) and wait until it
        answers."""
        assert self._process is None, "already running"
        self._process = subprocess.Popen(
            [
                self.binary,
                *("--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(
            self._answers, _START_TIMEOUT_SECONDS, f"redis-server on {self.port} never answered"
        )

    def kill(self) -> None:
        """SIGKILL, as a crash does: connections are cut, nothing is saved."""
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=30)
            self._process = None

    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _answers(self) -> bool:
        return _answers_ping(self.port)


@contextmanager
def throwaway_redis() -> Iterator[ThrowawayRedis]:
    """A fresh `redis-server` on a free port, started; killed after the block. Skips the test
    when redis-server is not installed."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("no redis-server installed")
    server = ThrowawayRedis(binary, free_port())
    server.start()
    try:
        yield server
    finally:
        server.kill()


# A Redis Cluster node also listens on its port + 10000 (the cluster bus), so ports come from a
# range where both fit below 65536, away from the kernel's ephemeral ports.
_CLUSTER_PORTS = range(20000, 30000)


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _cluster_ports(count: int) -> list[int]:
    chosen: list[int] = []
    while len(chosen) < count:
        port = random.choice(_CLUSTER_PORTS)
        if port not in chosen and _port_is_free(port) and _port_is_free(port + 10000):
            chosen.append(port)
    return chosen


@dataclass
class ThrowawayRedisCluster:
    """Three `redis-server --cluster-enabled yes` masters on 127.0.0.1, the 16384 slots split
    between them, in memory only."""

    ports: list[int]

    @property
    def url(self) -> str:
        """Any one node: a cluster client learns the others from it."""
        return f"redis://127.0.0.1:{self.ports[0]}/0"

    def command(self, port: int, *args: str) -> str:
        result = subprocess.run(
            ["redis-cli", "-h", "127.0.0.1", "-p", str(port), *args],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        )
        return result.stdout.strip()

    def _ready(self) -> bool:
        try:
            return all(
                "cluster_state:ok" in self.command(port, "CLUSTER", "INFO") for port in self.ports
            )
        except subprocess.CalledProcessError:
            return False


@contextmanager
def throwaway_redis_cluster() -> Iterator[ThrowawayRedisCluster]:
    """A fresh three-node Redis Cluster, formed and serving every slot; killed after the block.
    Skips the test when redis-server or redis-cli is not installed."""
    binary, cli = shutil.which("redis-server"), shutil.which("redis-cli")
    if binary is None or cli is None:
        pytest.skip("no redis-server and redis-cli installed")
    folder = Path(tempfile.mkdtemp(prefix="finite-drill-redis-cluster-"))
    ports = _cluster_ports(3)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for port in ports:
            processes.append(
                subprocess.Popen(
                    [
                        binary,
                        *("--port", str(port), "--bind", "127.0.0.1"),
                        *("--cluster-enabled", "yes"),
                        *("--cluster-config-file", str(folder / f"nodes-{port}.conf")),
                        *("--save", "", "--appendonly", "no", "--dir", str(folder)),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        cluster = ThrowawayRedisCluster(ports)
        for port in ports:
            wait_for(
                lambda port=port: _answers_ping(port), _START_TIMEOUT_SECONDS, f"node {port} down"
            )
        subprocess.run(
            [
                *(cli, "--cluster", "create", *(f"127.0.0.1:{port}" for port in ports)),
                *("--cluster-replicas", "0", "--cluster-yes"),
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        wait_for(cluster._ready, _START_TIMEOUT_SECONDS, "the Redis Cluster never became ready")
        yield cluster
    finally:
        for process in processes:
            process.kill()
            process.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False
