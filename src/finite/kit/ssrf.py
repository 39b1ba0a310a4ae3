"""Outgoing-URL safety: parse, resolve, and check every address a target resolves to.

Reason codes carried by `UnsafeTarget.reason`:
syntax — "too_long", "url", "scheme", "userinfo", "host", "port";
resolution — "unresolvable";
address — "unspecified", "broadcast", "multicast", "metadata", "reserved", "documentation",
and the local classes that `allow_private=True` admits: "loopback", "private", "shared",
"link_local", "ipv6_unique_local".
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import idna

Resolver = Callable[[str, int], Awaitable[list[str]]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_URL_LENGTH = 2048
DEFAULT_PORTS: frozenset[int] = frozenset({80, 443})
_SCHEME_PORTS = {"http": 80, "https": 443}


class UnsafeTarget(Exception):
    """A URL or address refused as an outgoing target; `reason` is a stable machine code."""

    def __init__(
        self,
        reason: str,
        message: str,
        *,
        address: str | None = None,
        private_allows: bool = False,
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.address = address
        # `allow_private=True` would have admitted it (a local address, a port other than the
        # allowed ones): the caller may name the setting that turns it on.
        self.private_allows = private_allows


@dataclass(frozen=True)
class Target:
    url: str
    scheme: str
    host: str  # lower-case ASCII (IDNA); IP literals canonical and without brackets
    port: int
    path_and_query: str


def _netloc(scheme: str, host: str, port: int) -> str:
    """`host[:port]`: brackets for IPv6, the scheme's default port omitted."""
    bracketed = f"[{host}]" if ":" in host else host
    return bracketed if _SCHEME_PORTS[scheme] == port else f"{bracketed}:{port}"


# --- addresses ------------------------------------------------------------------------------

_LOCAL_REASONS = frozenset({"loopback", "private", "shared", "link_local", "ipv6_unique_local"})

_DESCRIPTIONS = {
    "unspecified": "an unspecified address",
    "broadcast": "the broadcast address",
    "multicast": "a multicast address",
    "metadata": "a cloud metadata service address",
    "reserved": "a reserved, non-public address",
    "documentation": "a documentation-only address",
    "loopback": "a loopback address",
    "private": "a private address",
    "shared": "a shared (carrier-grade NAT) address",
    "link_local": "a link-local address",
    "ipv6_unique_local": "an IPv6 unique local address",
}

_METADATA = frozenset(
    ipaddress.ip_address(address)
    for address in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, ...
        "169.254.170.2",  # AWS ECS task metadata
        "100.100.100.200",  # Alibaba Cloud
        "fd00:ec2::254",  # AWS IMDS over IPv6
    )
)


def _nets(*cidrs: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(cidr) for cidr in cidrs)


# First match wins, so the narrower ranges come first.
_TABLE: tuple[tuple[str, tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]], ...] = (
    ("unspecified", _nets("0.0.0.0/8", "::/128")),
    ("broadcast", _nets("255.255.255.255/32")),
    ("multicast", _nets("224.0.0.0/4", "ff00::/8")),
    ("loopback", _nets("127.0.0.0/8", "::1/128")),
    ("private", _nets("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fec0::/10")),
    ("shared", _nets("100.64.0.0/10")),
    ("link_local", _nets("169.254.0.0/16", "fe80::/10")),
    ("ipv6_unique_local", _nets("fc00::/7")),
    (
        "documentation",
        _nets("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32", "3fff::/20"),
    ),
    ("reserved", _nets("192.0.0.0/24", "198.18.0.0/15", "240.0.0.0/4", "64:ff9b:1::/48")),
)

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_SIX_TO_FOUR = ipaddress.IPv6Network("2002::/16")
_TEREDO = ipaddress.IPv6Network("2001::/32")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_IPV4_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses that traffic to this IPv6 address would really reach."""
    if address.ipv4_mapped is not None:
        return [address.ipv4_mapped]
    low32 = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in _NAT64 or address in _IPV4_TRANSLATED:
        return [low32]
    if address in _IPV4_COMPATIBLE and int(address) > 1:  # :: and ::1 are themselves
        return [low32]
    if address in _SIX_TO_FOUR:
        return [ipaddress.IPv4Address((int(address) >> 80) & 0xFFFFFFFF)]
    if address in _TEREDO and address.teredo is not None:
        server, client = address.teredo
        return [client, server]
    return []


def _classify(address: IPAddress) -> str | None:
    """The reason code for a non-public address, or None for a public one (no embedding)."""
    if address in _METADATA:
        return "metadata"
    for reason, networks in _TABLE:
        if any(address.version == net.version and address in net for net in networks):
            return reason
    return None if address.is_global else "reserved"


def _refusal(address: IPAddress, *, allow_private: bool) -> tuple[str, str] | None:
    """(reason, phrase describing the address) when refused, else None."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id is not None:
            address = ipaddress.IPv6Address(int(address))
        embedded = _embedded_ipv4(address)
        for inner in embedded:
            refused = _refusal(inner, allow_private=allow_private)
            if refused is not None:
                return refused[0], f"which embeds the IPv4 address {inner}, {refused[1]}"
        if embedded:
            return None
    reason = _classify(address)
    if reason is None or (allow_private and reason in _LOCAL_REASONS):
        return None
    return reason, _DESCRIPTIONS[reason]


def _policy(allow_private: bool) -> str:
    if allow_private:
        return "such targets are refused even when private targets are allowed."
    return "targets must be public internet addresses."


def _ip_or_none(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _check(address: IPAddress, *, allow_private: bool, lead: str) -> None:
    refused = _refusal(address, allow_private=allow_private)
    if refused is not None:
        reason, phrase = refused
        raise UnsafeTarget(
            reason,
            f"{lead}{phrase}; {_policy(allow_private)}",
            address=str(address),
            private_allows=reason in _LOCAL_REASONS,
        )


def check_address(ip: str, *, allow_private: bool) -> None:
    """Raise UnsafeTarget, with the address class as reason, unless `ip` may be connected to."""
    address = _ip_or_none(ip)
    if address is None:
        raise UnsafeTarget("host", f"{ip!r} is not an IP address.")
    _check(address, allow_private=allow_private, lead=f"{address} is ")


# --- URLs -----------------------------------------------------------------------------------

_FORBIDDEN_CHARS = re.compile(r"[\x00-\x20\x7f\\]")
_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")
_NUMERIC_LABEL = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)$")
_DECIMAL = re.compile(r"^(?:0|[1-9][0-9]*)$")
_OCTAL = re.compile(r"^0[0-7]+$")
_HEX = re.compile(r"^0x[0-9a-f]*$")
_PORT = re.compile(r"^[0-9]{1,5}$")
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"


def _legacy_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """Read a numeric host as inet_aton and browsers do (`0x7f.1`, `0177.0.0.1`, `2130706433`)."""
    parts = host.split(".")
    if len(parts) > 4:
        return None
    numbers: list[int] = []
    for part in parts:
        if _HEX.match(part):
            numbers.append(int(part[2:] or "0", 16))
        elif _OCTAL.match(part):
            numbers.append(int(part, 8))
        elif _DECIMAL.match(part):
            numbers.append(int(part))
        else:
            return None
    *leading, last = numbers
    if any(number > 255 for number in leading) or last >= 256 ** (4 - len(leading)):
        return None
    value = last
    for index, number in enumerate(leading):
        value += number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def _parse_host(raw: str) -> str:
    """Canonical host: an IP literal's compressed form, or a lower-case ASCII hostname."""
    if raw.startswith("["):
        literal = raw[1:-1]
        address = None if "%" in literal else _ip_or_none(literal)
        if not isinstance(address, ipaddress.IPv6Address):
            raise UnsafeTarget("host", f"The URL's host {raw} is not a valid IPv6 address.")
        return str(address)
    if not raw:
        raise UnsafeTarget("host", "The URL has no host.")
    if "%" in raw:
        raise UnsafeTarget("host", "The URL's host must not be percent-encoded.")
    try:
        host = raw.lower() if raw.isascii() else idna.encode(raw, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise UnsafeTarget("host", f"The URL's host is not a valid domain name ({exc}).") from exc
    labels = host.split(".")
    if len(host) > 253 or not all(_LABEL.match(label) for label in labels):
        raise UnsafeTarget("host", f"The URL's host {host!r} is not a valid domain name.")
    if _NUMERIC_LABEL.match(labels[-1]):
        # Ends in a number, so resolvers and browsers read it as IPv4; so must we.
        v4 = _legacy_ipv4(host)
        if v4 is None:
            raise UnsafeTarget("host", f"The URL's host {host!r} is not a valid IPv4 address.")
        return str(v4)
    return host


def _split_netloc(netloc: str) -> tuple[str, str | None]:
    if netloc.startswith("["):
        end = netloc.find("]")
        if end == -1:
            raise UnsafeTarget("host", "The URL's IPv6 host has no closing bracket.")
        host, rest = netloc[: end + 1], netloc[end + 1 :]
        if rest and not rest.startswith(":"):
            raise UnsafeTarget("host", "The URL has unexpected characters after its host.")
        return host, rest[1:] if rest else None
    if netloc.count(":") > 1:
        raise UnsafeTarget("host", "IPv6 hosts must be written in brackets, e.g. http://[::1]/.")
    host, colon, port = netloc.partition(":")
    return host, port if colon else None


def parse_target(
    url: str, *, allow_private: bool, allowed_ports: frozenset[int] = DEFAULT_PORTS
) -> Target:
    """Check a URL's syntax and normalize it; IP-literal hosts are address-checked here too."""
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeTarget("too_long", f"The URL must be at most {MAX_URL_LENGTH} characters.")
    if _FORBIDDEN_CHARS.search(url):
        raise UnsafeTarget(
            "url", "The URL must not contain whitespace, control characters or backslashes."
        )
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise UnsafeTarget("url", f"The URL is malformed ({exc}).") from exc
    scheme = parts.scheme.lower()
    if scheme not in _SCHEME_PORTS:
        raise UnsafeTarget("scheme", "The URL must start with http:// or https://.")
    if not url[len(scheme) + 1 :].startswith("//"):
        raise UnsafeTarget("host", "The URL has no host.")
    if "@" in parts.netloc:
        raise UnsafeTarget("userinfo", "The URL must not contain a user name or password.")
    raw_host, raw_port = _split_netloc(parts.netloc)
    host = _parse_host(raw_host)
    if raw_port:
        if not _PORT.match(raw_port) or not 0 < int(raw_port) < 65536:
            raise UnsafeTarget("port", f"The URL's port {raw_port!r} is not a valid port number.")
        port = int(raw_port)
    else:
        port = _SCHEME_PORTS[scheme]
    if not allow_private and port not in allowed_ports:
        allowed = ", ".join(str(p) for p in sorted(allowed_ports))
        raise UnsafeTarget(
            "port",
            f"The URL's port {port} is not allowed; use one of {allowed}.",
            private_allows=True,
        )
    address = _ip_or_none(host)
    if address is not None:
        _check(address, allow_private=allow_private, lead=f"The URL's host is {address}, ")
    path_and_query = quote(parts.path, safe=_PATH_SAFE) or "/"
    if parts.query:
        path_and_query += "?" + quote(parts.query, safe=_QUERY_SAFE)
    return Target(
        url=f"{scheme}://{_netloc(scheme, host, port)}{path_and_query}",
        scheme=scheme,
        host=host,
        port=port,
        path_and_query=path_and_query,
    )


# --- resolution -----------------------------------------------------------------------------


async def system_resolver(host: str, port: int) -> list[str]:
    """Both address families through the event loop's getaddrinfo."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


async def resolve_checked(
    target: Target, *, allow_private: bool, resolver: Resolver | None = None
) -> list[str]:
    """The target's addresses, in resolver order, once every one of them has passed the check."""
    literal = _ip_or_none(target.host)
    if literal is not None:
        _check(literal, allow_private=allow_private, lead=f"The URL's host is {literal}, ")
        return [str(literal)]
    try:
        answers = await (resolver or system_resolver)(target.host, target.port)
    except OSError as exc:
        raise UnsafeTarget(
            "unresolvable", f"The URL's host {target.host} could not be resolved ({exc})."
        ) from exc
    addresses: list[IPAddress] = []
    for answer in answers:
        address = _ip_or_none(answer)
        if address is None:
            raise UnsafeTarget(
                "unresolvable", f"The URL's host {target.host} resolved to {answer!r}."
            )
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise UnsafeTarget("unresolvable", f"The URL's host {target.host} has no addresses.")
    for address in addresses:
        lead = f"The URL's host {target.host} resolves to {address}, "
        _check(address, allow_private=allow_private, lead=lead)
    return [str(address) for address in addresses]


async def validate_url(
    url: str,
    *,
    allow_private: bool,
    resolver: Resolver | None = None,
    allowed_ports: frozenset[int] = DEFAULT_PORTS,
) -> Target:
    """Parse and resolve-check a URL, e.g. when a webhook endpoint is created or changed."""
    target = parse_target(url, allow_private=allow_private, allowed_ports=allowed_ports)
    await resolve_checked(target, allow_private=allow_private, resolver=resolver)
    return target
