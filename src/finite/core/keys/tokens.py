"""The key format: product prefix, 32 random bytes in base62, then a 6-character CRC32 checksum.

The checksum lets a mistyped or made-up key be refused without touching the database, and lets
secret scanners recognise a real key (the scheme GitHub and Polar use).
"""

from __future__ import annotations

import re
import secrets
import zlib

from finite.core.plans.catalog import Product

PREFIXES: dict[Product, str] = {"crm": "fsk_", "handover": "fz_live_"}

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_BODY_LENGTH = 43  # 62**43 > 2**256
_CHECKSUM_LENGTH = 6  # 62**6 > 2**32
_SHAPE = re.compile(
    rf"^(fsk_|fz_live_)[0-9A-Za-z]{{{_BODY_LENGTH}}}[0-9A-Za-z]{{{_CHECKSUM_LENGTH}}}$"
)
MAX_KEY_LENGTH = len(PREFIXES["handover"]) + _BODY_LENGTH + _CHECKSUM_LENGTH


def _base62(value: int, width: int) -> str:
    chars = []
    while value:
        value, digit = divmod(value, 62)
        chars.append(_ALPHABET[digit])
    return "".join(reversed(chars)).rjust(width, "0")


def _checksum(prefix_and_body: str) -> str:
    return _base62(zlib.crc32(prefix_and_body.encode()), _CHECKSUM_LENGTH)


def generate(product: Product) -> str:
    body = _base62(int.from_bytes(secrets.token_bytes(32), "big"), _BODY_LENGTH)
    prefix_and_body = PREFIXES[product] + body
    return prefix_and_body + _checksum(prefix_and_body)


def product_of(token: str) -> Product | None:
    """The product a well-formed key with a valid checksum belongs to; None for anything else."""
    if len(token) > MAX_KEY_LENGTH or not _SHAPE.match(token):
        return None
    split = len(token) - _CHECKSUM_LENGTH
    if not secrets.compare_digest(_checksum(token[:split]), token[split:]):
        return None
    return "crm" if token.startswith(PREFIXES["crm"]) else "handover"


def hint(product: Product, last_four: str) -> str:
    """What lists show instead of the key: its prefix and last four characters."""
    return f"{PREFIXES[product]}…{last_four}"
