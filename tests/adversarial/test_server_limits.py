"""Limits a real `finite serve` enforces on the wire, tried with raw sockets: headers past 32 KiB
(431), a body that arrives too slowly (408, connection closed), a client that hangs up
part-way (no 500 logged), bodies past the cap with or without a Content-Length (413, the rest
never read) — and a worker whose memory stays bounded through it all."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from finite.app import MAX_BODY_BYTES
from tests.conftest import TEST_SECRET
from tests.servers import Server, Servers, server_env

pytestmark = pytest.mark.slow
BODY_TIMEOUT = 2


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("server_limits")
    running = Servers(workdir)
    env = server_env(
        env="development",
        data_dir=str(workdir / "data"),
        secret_key=TEST_SECRET,
        demo="1",
        inline_worker="0",
        body_timeout_seconds=str(BODY_TIMEOUT),
    )
    try:
        yield running.start(env)[0]
    finally:
        running.stop_all()


@pytest.fixture(scope="module")
def crm_key(server: Server) -> str:
    keys = next((Path(server.stdout_path).parent / "data").glob("first-run-keys*.txt"))
    found = re.search(r"fsk_\w+", keys.read_text())
    assert found is not None
    return found.group(0)


def address(server: Server) -> tuple[str, int]:
    host, port = server.base_url.removeprefix("http://").split(":")
    return host, int(port)


def head(method: str, path: str, key: str, extra: str = "") -> bytes:
    return (
        f"{method} {path} HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {key}\r\n{extra}\r\n"
    ).encode()


def answer(sock: socket.socket, limit: float = 10) -> tuple[int, bytes]:
    """The status and whole answer (read until the server closes or the body is complete)."""
    return answer_from(b"", sock, limit)


def answer_from(data: bytes, sock: socket.socket, limit: float = 10) -> tuple[int, bytes]:
    """`answer`, given its first bytes."""
    sock.settimeout(limit)
    while not complete(data):
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, TimeoutError):
            break
        if not chunk:
            break
        data += chunk
    status = re.match(rb"HTTP/1\.1 (\d{3})", data)
    assert status is not None, data[:200]
    return int(status.group(1)), data


def complete(data: bytes) -> bool:
    header_end = data.find(b"\r\n\r\n")
    if header_end < 0:
        return False
    length = re.search(rb"(?i)content-length: (\d+)", data[:header_end])
    return length is not None and len(data) >= header_end + 4 + int(length.group(1))


def send(server: Server, request: bytes) -> tuple[int, bytes]:
    with socket.create_connection(address(server)) as sock:
        # Refused before all of it was sent: the answer is still there to read.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(request)
        return answer(sock)


def body_of(raw: bytes) -> dict[str, object]:
    loaded: dict[str, object] = json.loads(raw.partition(b"\r\n\r\n")[2])
    return loaded


def worker_rss_kib(server: Server) -> int:
    """The resident memory of the server's processes together (granian's main and workers)."""
    pids = [server.process.pid]
    children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children")
    pids += [int(pid) for pid in children.read_text().split()]
    total = 0
    for pid in pids:
        status = Path(f"/proc/{pid}/status").read_text()
        found = re.search(r"VmRSS:\s+(\d+) kB", status)
        assert found is not None
        total += int(found.group(1))
    return total


def test_headers_past_32_kib_are_431(server: Server, crm_key: str) -> None:
    assert send(server, head("GET", "/api/me", crm_key, f"X-Pad: {'p' * 16_000}\r\n"))[0] == 200
    one_big = head("GET", "/api/me", crm_key, f"X-Big: {'x' * 65_536}\r\n")
    many = "".join(f"X-Pad-{n}: {'y' * 3000}\r\n" for n in range(22))
    long_url = head("GET", "/api/records/leads?q=" + "z" * 65_536, crm_key)
    for request in (one_big, head("GET", "/api/me", crm_key, many), long_url):
        status, _ = send(server, request)
        assert status == 431


def test_a_body_sent_too_slowly_is_408_and_the_connection_closed(
    server: Server, crm_key: str
) -> None:
    """One byte every 0.3 s (each arriving well within any idle timeout): the whole body is
    late, so 408 comes when the deadline passes, not when the last byte would."""
    body = json.dumps({"name": "slow " + "s" * 40}).encode()
    request = head(
        "POST",
        "/api/records/leads",
        crm_key,
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n",
    )
    started = time.monotonic()
    with socket.create_connection(address(server)) as sock:
        sock.sendall(request)
        sock.settimeout(0.3)
        received = b""
        for byte in body:
            try:
                sock.sendall(bytes([byte]))
                received = sock.recv(65536)
            except TimeoutError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                break
            if received:
                break
        assert received, "the whole body went through unrefused"
        elapsed = time.monotonic() - started
        status, raw = answer_from(received, sock)
        assert status == 408, raw[:300]
        assert BODY_TIMEOUT - 0.5 < elapsed < BODY_TIMEOUT + 3
        assert b"connection: close" in raw.lower()
        assert body_of(raw)["code"] == "REQUEST_TIMEOUT"
        sock.settimeout(5)
        assert sock.recv(1) == b""  # closed by the server


def test_a_client_that_hangs_up_part_way_is_no_server_error(server: Server, crm_key: str) -> None:
    request = head(
        "POST",
        "/api/v1/clients",
        crm_key,
        "Content-Type: application/json\r\nContent-Length: 1000\r\n",
    )
    for _ in range(3):
        with socket.create_connection(address(server)) as sock:
            sock.sendall(request + b'{"name": "gone')
            time.sleep(0.2)
    time.sleep(0.5)
    assert send(server, head("GET", "/healthz", crm_key))[0] == 200
    assert "HTTP 500" not in server.stderr
    assert " ERROR " not in server.stderr


def test_bodies_past_the_cap_are_413_without_being_read(server: Server, crm_key: str) -> None:
    declared = head(
        "POST",
        "/api/records/leads",
        crm_key,
        f"Content-Type: application/json\r\nContent-Length: {10 * MAX_BODY_BYTES}\r\n",
    )
    with socket.create_connection(address(server)) as sock:
        sock.sendall(declared + b'{"name": "')  # the rest is never sent, nor needed
        status, raw = answer(sock)
    assert status == 413
    assert body_of(raw)["code"] == "PAYLOAD_TOO_LARGE"

    chunked = head(
        "POST",
        "/api/records/leads",
        crm_key,
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n",
    )
    chunk = b"x" * 65_536
    with socket.create_connection(address(server)) as sock:
        sock.sendall(chunked)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            for _ in range(160):  # 10 MiB, unless the server stops reading first
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        status, raw = answer(sock)
    assert status == 413
    assert body_of(raw)["code"] == "PAYLOAD_TOO_LARGE"


def test_memory_stays_bounded_through_big_bodies(server: Server, crm_key: str) -> None:
    """Twenty 10 MiB bodies and twenty bodies just under the cap: the server's memory grows by
    less than 64 MiB, and a body under the cap still reaches the API."""
    before = worker_rss_kib(server)
    text = "x" * (MAX_BODY_BYTES - 1024)
    near = json.dumps({"name": "near the cap", "description": text}).encode()
    for _ in range(20):
        near_request = head(
            "POST",
            "/api/records/leads",
            crm_key,
            f"Content-Type: application/json\r\nContent-Length: {len(near)}\r\n",
        )
        status, raw = send(server, near_request + near)
        assert status in (201, 400), raw[:300]  # the API answered it, whatever it decided
        too_big = head(
            "POST",
            "/api/records/leads",
            crm_key,
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n",
        )
        chunk = b"y" * MAX_BODY_BYTES
        body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(10)) + b"0\r\n\r\n"
        assert send(server, too_big + body)[0] == 413
    grown = worker_rss_kib(server) - before
    assert grown < 64 * 1024, f"grew {grown} KiB"


def test_the_servers_output_holds_no_key(server: Server, crm_key: str) -> None:
    """The first run's keys are in their 0600 file only: not in anything the server wrote
    through all of the above."""
    output = server.stdout + server.stderr
    assert "first-run-keys" in output
    assert crm_key not in output
    assert crm_key.removeprefix("fsk_") not in output
