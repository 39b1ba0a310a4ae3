"""Real `finite serve` processes for tests: started on free ports, always stopped."""

from __future__ import annotations

import os
import pty
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

STARTUP_TIMEOUT_SECONDS = 60.0  # migrating a fresh database takes 10 s on a busy 2-core box


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(**finite: str) -> dict[str, str]:
    """This process's environment without any FINITE_* variable, plus the given ones."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("FINITE_")}
    env["PYTHONUNBUFFERED"] = "1"
    if env.get("PYTHONPATH"):  # the servers run in another folder: `PYTHONPATH=src` must hold there
        env["PYTHONPATH"] = os.pathsep.join(
            os.path.abspath(entry) for entry in env["PYTHONPATH"].split(os.pathsep) if entry
        )
    env.update({f"FINITE_{name.upper()}": value for name, value in finite.items()})
    return env


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    stdout_path: Path
    stderr_path: Path
    client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.client = httpx.Client(base_url=self.base_url, timeout=10)

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text()

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text()

    def wait_until_healthy(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(
                    f"server exited with {self.process.returncode}\n"
                    f"stdout:\n{self.stdout}\nstderr:\n{self.stderr}"
                )
            try:
                if self.client.get("/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        pytest.fail(f"no /healthz within {STARTUP_TIMEOUT_SECONDS}s\nstderr:\n{self.stderr}")

    def stop(self) -> None:
        self.client.close()
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            # The session was created for this server alone: end it with its workers.
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


class Servers:
    """Starts `python -m finite serve` processes and stops every one of them at teardown."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.started: list[Server] = []

    def launch(
        self, env: dict[str, str], *, terminal: bool = False, args: tuple[str, ...] = ()
    ) -> Server:
        """`terminal`: standard output is a pseudo-terminal (as when run by hand), copied to
        the same file `Server.stdout` reads; otherwise a plain file (as under systemd).
        `args`: more options of `finite serve` (`--workers 2`)."""
        port = free_port()
        index = len(self.started)
        stdout_path = self.workdir / f"server-{index}.out"
        stderr_path = self.workdir / f"server-{index}.err"
        controller, terminal_end = pty.openpty() if terminal else (-1, -1)
        with stdout_path.open("wb") as out, stderr_path.open("wb") as err:
            process = subprocess.Popen(
                [sys.executable, "-m", "finite", "serve", "--port", str(port), *args],
                env=env,
                cwd=self.workdir,
                stdout=terminal_end if terminal else out,
                stderr=err,
                start_new_session=True,
            )
        if terminal:
            os.close(terminal_end)  # the server holds it now; reads end when the server does
            threading.Thread(
                target=_copy_terminal, args=(controller, stdout_path), daemon=True
            ).start()
        server = Server(process, f"http://127.0.0.1:{port}", stdout_path, stderr_path)
        self.started.append(server)
        return server

    def start(
        self, env: dict[str, str], count: int = 1, args: tuple[str, ...] = ()
    ) -> list[Server]:
        """Launch `count` servers at once, then wait until each one answers."""
        launched = [self.launch(env, args=args) for _ in range(count)]
        for server in launched:
            server.wait_until_healthy()
        return launched

    def stop_all(self) -> None:
        for server in self.started:
            server.stop()


def _copy_terminal(controller: int, path: Path) -> None:
    with path.open("ab") as copy:
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: every process holding the terminal has ended
                chunk = b""
            if not chunk:
                break
            copy.write(chunk)
            copy.flush()
    os.close(controller)


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Servers]:
    workdir = tmp_path / "processes"
    workdir.mkdir()
    running = Servers(workdir)
    try:
        yield running
    finally:
        running.stop_all()
