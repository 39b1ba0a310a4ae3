"""`finite serve` on a port something already listens on stops with a clear error: granian's
SO_REUSEPORT would otherwise start a second server there, silently, which then answers half
of the connections (from another database: valid keys refused at random)."""

from __future__ import annotations

import socket
from pathlib import Path

import granian
import pytest
from typer.testing import CliRunner

from finite.cli import app


class NeverStarted:
    def __init__(self, *_: object, **__: object) -> None:
        raise AssertionError("granian must not start on a taken port")


def test_a_taken_port_stops_serve_before_anything_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(granian, "Granian", NeverStarted)
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)  # as granian does
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        env = {"FINITE_DATA_DIR": str(tmp_path), "FINITE_DEMO": "1"}
        result = CliRunner().invoke(app, ["serve", "--port", str(port)], env=env)
    assert result.exit_code == 1, result.output
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
    assert not (tmp_path / "finite.db").exists()  # nothing was migrated or created
