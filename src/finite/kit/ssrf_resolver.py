"""An aiohttp resolver that only ever hands out checked addresses.

aiohttp connects to the addresses its resolver returns and keeps the URL's hostname for the
Host header and for TLS (SNI and the certificate check), so checking here pins every new
connection to an address that passed the SSRF rules, whatever DNS answers later.
"""

from __future__ import annotations

import socket

from aiohttp.abc import AbstractResolver, ResolveResult

from finite.kit.ssrf import Resolver, Target, resolve_checked


class CheckingResolver(AbstractResolver):
    def __init__(self, *, allow_private: bool, resolver: Resolver | None = None) -> None:
        self.allow_private = allow_private
        self.resolver = resolver

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        target = Target(url="", scheme="https", host=host.lower(), port=port, path_and_query="")
        addresses = await resolve_checked(
            target, allow_private=self.allow_private, resolver=self.resolver
        )
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for address in addresses
        ]

    async def close(self) -> None:
        return None
