"""SSRF guard: URL syntax, address classes, resolution, and aiohttp pinned to checked addresses."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import socket
import ssl
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from finite.core.webhooks.sender import (
    Outcome,
    Outgoing,
    TargetRules,
    check_target,
    new_session,
    send,
)
from finite.core.webhooks.signing import new_signing_secret
from finite.kit.ssrf import (
    Target,
    UnsafeTarget,
    check_address,
    parse_target,
    resolve_checked,
    validate_url,
)
from finite.kit.ssrf_resolver import CheckingResolver

PUBLIC_IP = "93.184.215.14"


class FakeDNS:
    """An injectable resolver whose answers the test can change between requests."""

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.queries: list[tuple[str, int]] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.queries.append((host, port))
        if host not in self.answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return list(self.answers[host])


async def _no_resolver(host: str, port: int) -> list[str]:
    raise AssertionError(f"an IP literal must not be resolved, got {host}")


# --- parse_target / validate_url ------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com/", "scheme"),
        ("javascript:alert(1)", "scheme"),
        ("http://user:pw@example.com/", "userinfo"),
        ("http://user@example.com/", "userinfo"),
        ("http://example.com:8080/", "port"),
        ("http://example.com:0/", "port"),
        ("http://example.com:99999/", "port"),
        ("http://example.com:80abc/", "port"),
        ("http://2130706433/", "loopback"),
        ("http://0177.0.0.1/", "loopback"),
        ("http://0x7f.1/", "loopback"),
        ("http://0x7F000001/", "loopback"),
        ("http://127.1/", "loopback"),
        ("http://127.0.1/", "loopback"),
        ("http://\uff11\uff12\uff17.\uff10.\uff10.\uff11/", "loopback"),  # fullwidth digits
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://[::1]/", "loopback"),
        ("http://[::7f00:1]/", "loopback"),
        ("http://169.254.169.254/latest/meta-data", "metadata"),
        ("http://10.1.2.3", "private"),
        ("http://172.16.0.1", "private"),
        ("http://192.168.1.1", "private"),
        ("http://[::ffff:10.0.0.1]/", "private"),
        ("http://100.64.0.1", "shared"),
        ("http://169.254.1.1", "link_local"),
        ("http://0.0.0.0", "unspecified"),
        ("http://0/", "unspecified"),
        ("http://[::]/", "unspecified"),
        ("http://198.18.0.1", "reserved"),
        ("http://192.0.0.8", "reserved"),
        ("http://240.0.0.1", "reserved"),
        ("http://224.0.0.1", "multicast"),
        ("http://[ff02::1]/", "multicast"),
        ("http://255.255.255.255", "broadcast"),
        ("http://192.0.2.1", "documentation"),
        ("http://[2001:db8::1]/", "documentation"),
        ("http://[fc00::1]", "ipv6_unique_local"),
        ("http://[fe80::1]", "link_local"),
        ("http://[fd00:ec2::254]", "metadata"),
        ("http://[64:ff9b::7f00:1]", "loopback"),
        ("http://[64:ff9b::a9fe:a9fe]", "metadata"),
        ("http://[2002:7f00:1::]", "loopback"),
        ("http://[2002:c0a8:101::1]", "private"),
        ("http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", "documentation"),  # Teredo
        ("http://[fe80::1%25eth0]/", "host"),
        ("http://[::1/", "url"),
        ("http://[::1]junk/", "host"),
        ("http://::1/", "host"),
        ("http://foo.0x7f/", "host"),
        ("http://08.0.0.1/", "host"),
        ("http://256.256.256.256/", "host"),
        ("http://1.2.3.4.5/", "host"),
        ("http://%31%32%37.0.0.1/", "host"),
        ("http://example..com/", "host"),
        ("http://example.com./", "host"),
        ("http://-example.com/", "host"),
        ("http:///path", "host"),
        ("http:example.com", "host"),
        ("http://exa mple.com/", "url"),
        ("http://example.com/a b", "url"),
        ("http://example.com\\@127.0.0.1/", "url"),
        ("http://example.com\t/", "url"),
        ("http://example.com/" + "a" * 2048, "too_long"),
    ],
)
def test_parse_target_refuses(url: str, reason: str) -> None:
    with pytest.raises(UnsafeTarget) as caught:
        parse_target(url, allow_private=False)
    assert caught.value.reason == reason
    assert caught.value.message == str(caught.value)
    assert caught.value.message.endswith(".")


@pytest.mark.parametrize(
    ("url", "normalized", "host", "port"),
    [
        ("HTTPS://Example.COM/Hook?a=1#frag", "https://example.com/Hook?a=1", "example.com", 443),
        ("http://example.com", "http://example.com/", "example.com", 80),
        ("http://example.com:80/x", "http://example.com/x", "example.com", 80),
        ("https://example.com:443", "https://example.com/", "example.com", 443),
        ("http://example.com:443/", "http://example.com:443/", "example.com", 443),
        ("https://Bücher.de/ä?q=ü", "https://xn--bcher-kva.de/%C3%A4?q=%C3%BC", "xn--bcher-kva.de",
         443),
        ("http://0x5d.0270.55054/", "http://93.184.215.14/", "93.184.215.14", 80),
        ("https://[2606:4700:0::1111]/", "https://[2606:4700::1111]/", "2606:4700::1111", 443),
        ("http://hooks_1.example.com/a%2Fb", "http://hooks_1.example.com/a%2Fb",
         "hooks_1.example.com", 80),
    ],
)  # fmt: skip
def test_parse_target_normalizes(url: str, normalized: str, host: str, port: int) -> None:
    scheme, rest = normalized.split("://")
    path_and_query = "/" + rest.split("/", 1)[1]
    assert parse_target(url, allow_private=False) == Target(
        url=normalized, scheme=scheme, host=host, port=port, path_and_query=path_and_query
    )


def test_allowed_ports_are_configurable() -> None:
    assert (
        parse_target(
            "https://example.com:8443/", allow_private=False, allowed_ports=frozenset({8443})
        ).port
        == 8443
    )
    with pytest.raises(UnsafeTarget, match="443") as caught:
        parse_target("https://example.com/", allow_private=False, allowed_ports=frozenset({8443}))
    assert caught.value.reason == "port"


def test_allow_private_admits_local_addresses_and_any_port() -> None:
    for url in ("http://127.0.0.1:5555/", "http://10.0.0.1:1/", "http://[::1]:65535/"):
        assert parse_target(url, allow_private=True).url == url
    for url, reason in [
        ("http://0.0.0.0:8000/", "unspecified"),
        ("http://[::]:8000/", "unspecified"),
        ("http://224.0.0.1/", "multicast"),
        ("http://255.255.255.255/", "broadcast"),
        ("http://169.254.169.254/", "metadata"),
    ]:
        with pytest.raises(UnsafeTarget) as caught:
            parse_target(url, allow_private=True)
        assert caught.value.reason == reason
        assert "even when private targets are allowed" in caught.value.message


def test_refusal_message_names_the_address() -> None:
    with pytest.raises(UnsafeTarget) as caught:
        parse_target("http://[::ffff:a00:5]/", allow_private=False)
    assert caught.value.address == "::ffff:a00:5"
    assert "10.0.0.5" in caught.value.message
    assert "private address" in caught.value.message


# --- check_address --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ip", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("::ffff:169.254.169.254", "metadata"),
        ("100.100.100.200", "metadata"),
        ("fe80::1%eth0", "link_local"),
        ("fec0::1", "private"),
        ("64:ff9b:1::a00:1", "reserved"),
        ("not-an-ip", "host"),
    ],
)
def test_check_address_refuses(ip: str, reason: str) -> None:
    with pytest.raises(UnsafeTarget) as caught:
        check_address(ip, allow_private=False)
    assert caught.value.reason == reason


@pytest.mark.parametrize(
    "ip",
    [
        PUBLIC_IP,
        "8.8.8.8",
        "2606:4700::1111",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",
        "2002:808:808::1",
    ],
)
def test_check_address_passes_public(ip: str) -> None:
    check_address(ip, allow_private=False)


# --- resolution -----------------------------------------------------------------------------


async def test_public_hostname_passes() -> None:
    dns = FakeDNS({"hooks.example.com": [PUBLIC_IP, PUBLIC_IP, "2606:4700::1111"]})
    target = await validate_url("https://hooks.example.com/in", allow_private=False, resolver=dns)
    assert target.host == "hooks.example.com"
    assert dns.queries == [("hooks.example.com", 443)]
    addresses = await resolve_checked(target, allow_private=False, resolver=dns)
    assert addresses == [PUBLIC_IP, "2606:4700::1111"]  # deduplicated, order kept


async def test_hostname_resolving_to_private_is_refused() -> None:
    dns = FakeDNS({"internal.example.com": ["10.0.0.5"]})
    with pytest.raises(UnsafeTarget) as caught:
        await validate_url("https://internal.example.com/", allow_private=False, resolver=dns)
    assert caught.value.reason == "private"
    assert "internal.example.com resolves to 10.0.0.5" in caught.value.message


async def test_any_unsafe_answer_refuses_the_host() -> None:
    dns = FakeDNS({"mixed.example.com": [PUBLIC_IP, "10.0.0.1"]})
    with pytest.raises(UnsafeTarget) as caught:
        await validate_url("https://mixed.example.com/", allow_private=False, resolver=dns)
    assert caught.value.reason == "private"
    assert caught.value.address == "10.0.0.1"


async def test_localhost_with_the_system_resolver_is_refused() -> None:
    with pytest.raises(UnsafeTarget) as caught:
        await validate_url("http://localhost/", allow_private=False)
    assert caught.value.reason == "loopback"
    target = await validate_url("http://localhost:9/", allow_private=True)
    assert target.port == 9


@pytest.mark.parametrize("answers", [None, [], ["not-an-address"]])
async def test_unresolvable(answers: list[str] | None) -> None:
    dns = FakeDNS({} if answers is None else {"gone.example.com": answers})
    with pytest.raises(UnsafeTarget) as caught:
        await validate_url("https://gone.example.com/", allow_private=False, resolver=dns)
    assert caught.value.reason == "unresolvable"


async def test_ip_literals_are_not_resolved() -> None:
    target = await validate_url(f"http://{PUBLIC_IP}/", allow_private=False, resolver=_no_resolver)
    assert target.host == PUBLIC_IP
    with pytest.raises(UnsafeTarget) as caught:
        await validate_url("http://[::1]/", allow_private=False, resolver=_no_resolver)
    assert caught.value.reason == "loopback"


# --- aiohttp on a real HTTP(S) server on loopback -------------------------------------------

NOW = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class LoopbackServer:
    port: int = 0
    requests: list[Received] = field(default_factory=list)
    connections: int = 0
    server_names: list[str | None] = field(default_factory=list)

    def record_server_name(
        self, sock: ssl.SSLObject, name: str | None, context: ssl.SSLContext
    ) -> None:
        self.server_names.append(name)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                request_line, *header_lines = head.decode("latin-1").split("\r\n")[:-2]
                method, path, _ = request_line.split(" ")
                headers = {}
                for line in header_lines:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                self.requests.append(Received(method, path, headers, body))
                if path == "/redirect":
                    answer = (
                        b"HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n"
                    )
                else:
                    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                writer.write(answer)
                await writer.drain()
        finally:
            writer.close()


@contextlib.asynccontextmanager
async def _serve(
    ssl_context: ssl.SSLContext | None = None, *, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[LoopbackServer]:
    state = LoopbackServer()
    server = await asyncio.start_server(state.handle, host, port, ssl=ssl_context)
    state.port = server.sockets[0].getsockname()[1]
    async with server:
        yield state
        server.close()


@pytest.fixture
async def http_server() -> AsyncIterator[LoopbackServer]:
    async with _serve() as state:
        yield state


def _outgoing(url: str, payload: bytes = b'{"event":"created"}') -> Outgoing:
    return Outgoing(
        org_id="org_1",
        delivery_id="dlv_1",
        endpoint_id="ep_1",
        url=url,
        event="record.created",
        payload=payload,
        secrets=(new_signing_secret(),),
    )


def _refused(outcome: Outcome, phrase: str) -> bool:
    return (
        outcome.status_code is None
        and outcome.error is not None
        and outcome.error.startswith("refused target: ")
        and phrase in outcome.error
    )


async def test_checking_resolver_hands_out_checked_addresses_only() -> None:
    dns = FakeDNS(
        {
            "hooks.example.com": [PUBLIC_IP, "2606:4700::1111"],
            "mixed.example.com": [PUBLIC_IP, "10.0.0.1"],
        }
    )
    resolver = CheckingResolver(allow_private=False, resolver=dns)
    results = await resolver.resolve("Hooks.Example.com", 443)
    assert [(r["hostname"], r["host"], r["port"], r["family"]) for r in results] == [
        ("Hooks.Example.com", PUBLIC_IP, 443, socket.AF_INET),
        ("Hooks.Example.com", "2606:4700::1111", 443, socket.AF_INET6),
    ]
    assert dns.queries == [("hooks.example.com", 443)]
    with pytest.raises(UnsafeTarget) as caught:
        await resolver.resolve("mixed.example.com", 443)
    assert caught.value.reason == "private"
    with pytest.raises(UnsafeTarget) as caught:
        await resolver.resolve("gone.example.com", 443)
    assert caught.value.reason == "unresolvable"
    await resolver.close()


async def test_send_reaches_the_checked_address(http_server: LoopbackServer) -> None:
    dns = FakeDNS({"hooks.test": ["127.0.0.1"]})
    rules = TargetRules(allow_private=True, resolver=dns)
    url = f"http://hooks.test:{http_server.port}/x?y=1"
    async with new_session(rules, 4) as session:
        outcome = await send(session, rules, _outgoing(url), NOW)
        assert (outcome.status_code, outcome.error, outcome.response_body) == (200, None, "ok")
        [received] = http_server.requests
        assert received.method == "POST"
        assert received.path == "/x?y=1"
        assert received.headers["host"] == f"hooks.test:{http_server.port}"
        assert received.headers["x-finite-delivery"] == "dlv_1"
        assert received.body == b'{"event":"created"}'
        assert len(dns.queries) == 2  # check_target, then the resolver for the new connection

        # DNS rebinding: the same name now answers an address refused even with
        # allow_private (which admits 10/8, so the classic metadata address stands in for it).
        for rebound, reason in [("169.254.169.254", "metadata"), ("0.0.0.0", "unspecified")]:
            dns.answers["hooks.test"] = [rebound]
            with pytest.raises(UnsafeTarget) as caught:
                await check_target(url, rules)
            assert caught.value.reason == reason
            outcome = await send(session, rules, _outgoing(url, b"second"), NOW)
            assert _refused(outcome, f"hooks.test resolves to {rebound}"), outcome
        assert len(http_server.requests) == 1

        dns.answers["hooks.test"] = ["127.0.0.1"]
        outcome = await send(session, rules, _outgoing(url, b"third"), NOW)
        assert outcome.status_code == 200
        assert [r.body for r in http_server.requests] == [b'{"event":"created"}', b"third"]
        assert http_server.connections == 1  # the checked connection is kept alive and reused
    assert len(dns.queries) == 7  # check_target before every send; no new connection to resolve


async def test_the_resolver_refuses_on_connect_without_check_target(
    http_server: LoopbackServer,
) -> None:
    dns = FakeDNS({"hooks.test": []})
    rules = TargetRules(allow_private=True, resolver=dns)
    url = f"http://hooks.test:{http_server.port}/"
    async with new_session(rules, 4) as session:
        for rebound, reason in [("169.254.169.254", "metadata"), ("0.0.0.0", "unspecified")]:
            dns.answers["hooks.test"] = [rebound]
            # aiohttp wraps only OSErrors from the resolver (as ClientConnectorDNSError); the
            # UnsafeTarget raised inside it reaches the caller as it is.
            with pytest.raises(UnsafeTarget) as caught:
                async with session.post(url, data=b"secret"):
                    pass
            assert caught.value.reason == reason
    assert len(dns.queries) == 2
    await asyncio.sleep(0.05)
    assert http_server.connections == 0
    assert http_server.requests == []


async def test_rebinding_between_the_check_and_the_connect_is_refused(
    http_server: LoopbackServer,
) -> None:
    answers = iter([["127.0.0.1"], ["169.254.169.254"]])

    async def flipping_dns(host: str, port: int) -> list[str]:
        return next(answers)

    rules = TargetRules(allow_private=True, resolver=flipping_dns)
    async with new_session(rules, 4) as session:
        outcome = await send(
            session, rules, _outgoing(f"http://hooks.test:{http_server.port}/"), NOW
        )
    assert _refused(outcome, "hooks.test resolves to 169.254.169.254"), outcome
    assert next(answers, None) is None  # both the check and the connect asked DNS
    await asyncio.sleep(0.05)
    assert http_server.connections == 0


async def test_rebinding_to_private_is_refused_without_allow_private() -> None:
    dns = FakeDNS({"hooks.example.com": [PUBLIC_IP]})
    rules = TargetRules(allow_private=False, resolver=dns)
    url = "https://hooks.example.com/"
    await check_target(url, rules)
    dns.answers["hooks.example.com"] = ["10.0.0.1"]
    with pytest.raises(UnsafeTarget) as caught:
        await check_target(url, rules)
    assert caught.value.reason == "private"
    async with new_session(rules, 4) as session:
        outcome = await send(session, rules, _outgoing(url), NOW)
        assert _refused(outcome, "resolves to 10.0.0.1, a private address"), outcome
        with pytest.raises(UnsafeTarget) as caught:
            async with session.post(url, data=b"x"):
                pass
        assert caught.value.reason == "private"


async def test_refused_before_connecting(http_server: LoopbackServer) -> None:
    dns = FakeDNS({"hooks.test": ["127.0.0.1"]})
    rules = TargetRules(
        allow_private=False, resolver=dns, allowed_ports=frozenset({http_server.port})
    )
    async with new_session(rules, 4) as session:
        for url in (
            f"http://hooks.test:{http_server.port}/",
            f"http://127.0.0.1:{http_server.port}/",
        ):
            outcome = await send(session, rules, _outgoing(url, b"secret"), NOW)
            assert _refused(outcome, "a loopback address"), outcome
    await asyncio.sleep(0.05)
    assert http_server.connections == 0
    assert http_server.requests == []


async def test_ip_literals_skip_the_resolver_so_check_target_guards_them(
    http_server: LoopbackServer,
) -> None:
    """aiohttp connects to an IP-literal host without asking the resolver, so for those the
    only guard is `check_target`, which `send` runs before every request."""
    dns = FakeDNS({})
    rules = TargetRules(allow_private=False, resolver=dns, allowed_ports=frozenset({80}))
    url = f"http://127.0.0.1:{http_server.port}/"
    async with (
        new_session(rules, 4) as session,
        session.post(url, data=b"unchecked") as response,
    ):
        assert response.status == 200
    assert [r.body for r in http_server.requests] == [b"unchecked"]
    assert dns.queries == []


async def test_port_policy_applies_in_check_target(http_server: LoopbackServer) -> None:
    dns = FakeDNS({"hooks.test": [PUBLIC_IP]})
    rules = TargetRules(allow_private=False, resolver=dns)
    url = f"http://hooks.test:{http_server.port}/"
    with pytest.raises(UnsafeTarget) as caught:
        await check_target(url, rules)
    assert caught.value.reason == "port"
    async with new_session(rules, 4) as session:
        outcome = await send(session, rules, _outgoing(url), NOW)
    assert _refused(outcome, f"port {http_server.port} is not allowed"), outcome
    assert dns.queries == []


async def test_redirects_are_returned_not_followed(http_server: LoopbackServer) -> None:
    dns = FakeDNS({"hooks.test": ["127.0.0.1"]})
    rules = TargetRules(allow_private=True, resolver=dns)
    async with new_session(rules, 4) as session:
        outcome = await send(
            session, rules, _outgoing(f"http://hooks.test:{http_server.port}/redirect"), NOW
        )
    assert outcome.status_code == 302
    assert outcome.error == "HTTP 302: redirects are not followed"
    assert [r.path for r in http_server.requests] == ["/redirect"]


async def test_addresses_are_tried_in_order_and_an_unreachable_one_is_skipped() -> None:
    async def deliver(port: int, answers: list[str]) -> int | None:
        rules = TargetRules(allow_private=True, resolver=FakeDNS({"hooks.test": answers}))
        async with new_session(rules, 4) as session:
            outcome = await send(session, rules, _outgoing(f"http://hooks.test:{port}/"), NOW)
        return outcome.status_code

    async with _serve() as first:
        async with _serve(host="127.0.0.2", port=first.port) as second:
            assert await deliver(first.port, ["127.0.0.2", "127.0.0.1"]) == 200
            assert (len(first.requests), len(second.requests)) == (0, 1)
            assert await deliver(first.port, ["127.0.0.1", "127.0.0.2"]) == 200
            assert (len(first.requests), len(second.requests)) == (1, 1)
        # Nothing listens on 127.0.0.2 any more: its connection is refused, the next is tried.
        assert await deliver(first.port, ["127.0.0.2", "127.0.0.1"]) == 200
        assert len(first.requests) == 2


# --- TLS: the certificate is checked against the hostname, never shared across hostnames -----


def _tls_contexts(names: list[str]) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A throwaway CA, a server certificate for `names`, and the matching client context."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "finite test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .add_extension(x509.ExtendedKeyUsage([x509.OID_SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    chain = leaf.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with tempfile.TemporaryDirectory() as directory:
        cert_path, key_path = Path(directory, "cert.pem"), Path(directory, "key.pem")
        cert_path.write_bytes(chain)
        key_path.write_bytes(key_pem)
        server_context.load_cert_chain(cert_path, key_path)
    client_context = ssl.create_default_context(
        cadata=ca.public_bytes(serialization.Encoding.PEM).decode("ascii")
    )
    return server_context, client_context


async def test_tls_verifies_the_hostname_on_a_connection_per_hostname() -> None:
    server_context, client_context = _tls_contexts(["a.test", "c.test"])
    async with _serve(server_context) as server:
        server_context.sni_callback = server.record_server_name
        dns = FakeDNS({name: ["127.0.0.1"] for name in ("a.test", "b.test", "c.test")})
        # new_session trusts the system's CAs only; the app's resolver in a connector that
        # trusts the throwaway CA.
        connector = aiohttp.TCPConnector(
            resolver=CheckingResolver(allow_private=True, resolver=dns),
            ssl=client_context,
            use_dns_cache=False,
        )
        async with aiohttp.ClientSession(connector=connector) as session:
            for _ in range(2):
                async with session.get(f"https://a.test:{server.port}/") as response:
                    assert response.status == 200
                    assert await response.read() == b"ok"
            assert server.server_names == ["a.test"]  # SNI is the hostname, not the address
            assert server.connections == 1
            assert server.requests[0].headers["host"] == f"a.test:{server.port}"

            # b.test resolves to the same address, but the certificate does not name it.
            with pytest.raises(aiohttp.ClientConnectorCertificateError) as caught:
                async with session.get(f"https://b.test:{server.port}/"):
                    pass
            assert "CERTIFICATE_VERIFY_FAILED" in str(caught.value)
            assert "b.test" in str(caught.value.certificate_error)
            assert len(server.requests) == 2

            # c.test is on the certificate and the same address, yet gets its own connection:
            # aiohttp pools by hostname.
            async with session.get(f"https://c.test:{server.port}/") as response:
                assert response.status == 200
            assert server.server_names == ["a.test", "b.test", "c.test"]
            assert server.connections == 2  # b.test's handshake failed before the handler ran


async def test_send_checks_certificates_against_the_system_store() -> None:
    server_context, _ = _tls_contexts(["a.test"])
    async with _serve(server_context) as server:
        rules = TargetRules(allow_private=True, resolver=FakeDNS({"a.test": ["127.0.0.1"]}))
        async with new_session(rules, 4) as session:
            outcome = await send(session, rules, _outgoing(f"https://a.test:{server.port}/"), NOW)
        assert outcome.status_code is None
        assert outcome.error is not None
        assert "CERTIFICATE_VERIFY_FAILED" in outcome.error
        assert server.requests == []
