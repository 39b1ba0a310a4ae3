"""SSRF guard: URL syntax, address classes, resolution, and the pinned transport on real sockets."""

from __future__ import annotations

import asyncio
import datetime
import socket
import ssl
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from finite.kit.ssrf import (
    PinnedTransport,
    Target,
    UnsafeTarget,
    check_address,
    parse_target,
    resolve_checked,
    validate_url,
)

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


# --- a real HTTP(S) server on loopback ------------------------------------------------------


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
    closed: int = 0
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
            self.closed += 1
            writer.close()


async def _serve(ssl_context: ssl.SSLContext | None = None) -> AsyncIterator[LoopbackServer]:
    state = LoopbackServer()
    server = await asyncio.start_server(state.handle, "127.0.0.1", 0, ssl=ssl_context)
    state.port = server.sockets[0].getsockname()[1]
    async with server:
        yield state
        server.close()


@pytest.fixture
async def http_server() -> AsyncIterator[LoopbackServer]:
    async for state in _serve():
        yield state


async def test_pinned_transport_reaches_the_checked_address(http_server: LoopbackServer) -> None:
    dns = FakeDNS({"hooks.test": ["127.0.0.1"]})
    url = f"http://hooks.test:{http_server.port}/x?y=1"
    transport = PinnedTransport(allow_private=True, resolver=dns)
    async with httpx.AsyncClient(transport=transport, follow_redirects=False) as client:
        response = await client.post(url, content=b'{"event":"created"}')
        assert response.status_code == 200
        assert response.text == "ok"
        assert str(response.request.url) == url  # the caller's request is not rewritten
        [received] = http_server.requests
        assert received.method == "POST"
        assert received.path == "/x?y=1"
        assert received.headers["host"] == f"hooks.test:{http_server.port}"
        assert received.body == b'{"event":"created"}'

        # DNS rebinding: the same name now answers an address refused even with
        # allow_private (which admits 10/8, so the classic metadata address stands in for it).
        for rebound, reason in [("169.254.169.254", "metadata"), ("0.0.0.0", "unspecified")]:
            dns.answers["hooks.test"] = [rebound]
            with pytest.raises(UnsafeTarget) as caught:
                await client.post(url, content=b"second")
            assert caught.value.reason == reason
        assert len(http_server.requests) == 1

        dns.answers["hooks.test"] = ["127.0.0.1"]
        await client.post(url, content=b"third")
        assert [r.body for r in http_server.requests] == [b'{"event":"created"}', b"third"]
        assert http_server.connections == 1  # connections are pooled
    assert len(dns.queries) == 4  # resolved again for every request


async def test_rebinding_to_private_is_refused_without_allow_private() -> None:
    dns = FakeDNS({"hooks.example.com": [PUBLIC_IP]})
    transport = PinnedTransport(allow_private=False, resolver=dns)
    target = await validate_url("https://hooks.example.com/", allow_private=False, resolver=dns)
    dns.answers["hooks.example.com"] = ["10.0.0.1"]
    async with httpx.AsyncClient(transport=transport) as client:
        with pytest.raises(UnsafeTarget) as caught:
            await client.post(target.url, content=b"x")
    assert caught.value.reason == "private"


async def test_refused_before_connecting(http_server: LoopbackServer) -> None:
    dns = FakeDNS({"hooks.test": ["127.0.0.1"]})
    async with httpx.AsyncClient(
        transport=PinnedTransport(
            allow_private=False, resolver=dns, allowed_ports=frozenset({http_server.port})
        )
    ) as client:
        for url in (
            f"http://hooks.test:{http_server.port}/",
            f"http://127.0.0.1:{http_server.port}/",
        ):
            with pytest.raises(UnsafeTarget) as caught:
                await client.post(url, content=b"secret")
            assert caught.value.reason == "loopback"
    await asyncio.sleep(0.05)
    assert http_server.connections == 0
    assert http_server.requests == []


async def test_port_policy_applies_in_the_transport(http_server: LoopbackServer) -> None:
    dns = FakeDNS({"hooks.test": [PUBLIC_IP]})
    async with httpx.AsyncClient(
        transport=PinnedTransport(allow_private=False, resolver=dns)
    ) as client:
        with pytest.raises(UnsafeTarget) as caught:
            await client.get(f"http://hooks.test:{http_server.port}/")
    assert caught.value.reason == "port"
    assert dns.queries == []


async def test_redirects_are_returned_not_followed(http_server: LoopbackServer) -> None:
    dns = FakeDNS({"hooks.test": ["127.0.0.1"]})
    transport = PinnedTransport(allow_private=True, resolver=dns)
    async with httpx.AsyncClient(transport=transport, follow_redirects=False) as client:
        response = await client.post(f"http://hooks.test:{http_server.port}/redirect", content=b"x")
    assert response.status_code == 302
    assert response.headers["location"] == "/elsewhere"
    assert [r.path for r in http_server.requests] == ["/redirect"]


async def test_unreachable_address_falls_back_to_the_next(http_server: LoopbackServer) -> None:
    # Nothing listens on 127.0.0.2; the server is bound to 127.0.0.1 only.
    dns = FakeDNS({"hooks.test": ["127.0.0.2", "127.0.0.1"]})
    async with httpx.AsyncClient(
        transport=PinnedTransport(allow_private=True, resolver=dns)
    ) as client:
        response = await client.get(f"http://hooks.test:{http_server.port}/")
    assert response.status_code == 200
    assert len(http_server.requests) == 1


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


async def test_tls_verifies_the_hostname_and_never_reuses_across_hostnames() -> None:
    server_context, client_context = _tls_contexts(["a.test", "c.test"])
    async for server in _serve(server_context):
        server_context.sni_callback = server.record_server_name
        dns = FakeDNS({name: ["127.0.0.1"] for name in ("a.test", "b.test", "c.test")})
        transport = PinnedTransport(allow_private=True, resolver=dns, verify=client_context)
        async with httpx.AsyncClient(transport=transport) as client:
            for _ in range(2):
                response = await client.get(f"https://a.test:{server.port}/")
                assert response.status_code == 200
            assert server.server_names == ["a.test"]  # SNI is the hostname, not the address
            assert server.connections == 1
            assert server.requests[0].headers["host"] == f"a.test:{server.port}"

            # b.test resolves to the same address, but the certificate does not name it: the
            # open a.test connection must not be reused for it.
            with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                await client.get(f"https://b.test:{server.port}/")
            assert len(server.requests) == 2

            response = await client.get(f"https://c.test:{server.port}/")
            assert response.status_code == 200
            assert server.server_names == ["a.test", "b.test", "c.test"]


async def test_idle_tls_pools_beyond_the_limit_are_closed() -> None:
    server_context, client_context = _tls_contexts(["a.test", "c.test"])
    async for server in _serve(server_context):
        dns = FakeDNS({name: ["127.0.0.1"] for name in ("a.test", "c.test")})
        transport = PinnedTransport(allow_private=True, resolver=dns, verify=client_context)
        transport.max_tls_pools = 1
        async with httpx.AsyncClient(transport=transport) as client:
            await client.get(f"https://a.test:{server.port}/")
            await client.get(f"https://c.test:{server.port}/")
            for _ in range(50):
                if server.closed:
                    break
                await asyncio.sleep(0.01)
            assert (server.connections, server.closed) == (2, 1)
            await client.get(f"https://c.test:{server.port}/")
            assert server.connections == 2
