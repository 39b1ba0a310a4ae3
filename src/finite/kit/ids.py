"""Prefixed, time-ordered string ids such as ``org_01jd3k…``: lower-case ULIDs."""

from __future__ import annotations

import secrets
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case
# Two characters (10 bits) a step: 13 steps for the 26 characters (130 bits, the top two 0).
# A batch write takes 200 ids; a character a step cost ~4 µs more each.
_PAIRS = tuple(high + low for high in _ALPHABET for low in _ALPHABET)
_SHIFTS = tuple(range(120, -1, -10))


def new_id(prefix: str) -> str:
    """48 bits of milliseconds then 80 random bits, so ids sort by creation time."""
    value = (time.time_ns() // 1_000_000) << 80 | secrets.randbits(80)
    return f"{prefix}_{''.join([_PAIRS[value >> shift & 1023] for shift in _SHIFTS])}"
