"""Prefixed ids: 26 Crockford base32 characters holding the creation millisecond, then 80 random
bits, so that ids sort by creation time."""

from __future__ import annotations

import secrets
import time

import pytest

from finite.kit.ids import new_id

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def decoded(identifier: str) -> int:
    value = 0
    for char in identifier.split("_", 1)[1]:
        value = value << 5 | ALPHABET.index(char)
    return value


def test_an_id_holds_its_millisecond_and_80_random_bits() -> None:
    before = time.time_ns() // 1_000_000
    made = new_id("aud")
    after = time.time_ns() // 1_000_000
    prefix, body = made.split("_")
    assert prefix == "aud"
    assert len(body) == 26
    assert set(body) <= set(ALPHABET)
    value = decoded(made)
    assert value < 2**128
    assert before <= value >> 80 <= after
    assert len({new_id("aud") for _ in range(1000)}) == 1000


@pytest.mark.parametrize("random_bits", [0, 1, 2**80 - 1, 0x5A5A5A5A5A5A5A5A5A5A])
def test_every_bit_lands_in_its_character(
    monkeypatch: pytest.MonkeyPatch, random_bits: int
) -> None:
    """Against the plain encoding, one character (5 bits) at a time from the right."""
    moment = 2**48 - 1 if random_bits % 2 else 1_765_000_000_123
    monkeypatch.setattr(time, "time_ns", lambda: moment * 1_000_000)
    monkeypatch.setattr(secrets, "randbits", lambda _bits: random_bits)
    value, expected = moment << 80 | random_bits, []
    for _ in range(26):
        expected.append(ALPHABET[value & 31])
        value >>= 5
    assert new_id("evt") == "evt_" + "".join(reversed(expected))


def test_later_ids_sort_after_earlier_ones() -> None:
    first = new_id("evt")
    time.sleep(0.002)
    assert new_id("evt") > first
