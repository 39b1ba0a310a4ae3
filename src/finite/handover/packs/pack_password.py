"""The optional pack password: stored as argon2id, and once entered, a signed cookie scoped to the
one link's path lets its holder in for a while.

The cookie's MAC covers the link's id and the password's hash, so it opens no other link, and
changing or removing the password shuts every browser out that had entered the old one.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import cache

from anyio import to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from finite.kit.derived_keys import DerivedKey, derive_key

COOKIE = "finite_pack"
COOKIE_SECONDS = 12 * 3600
_PURPOSE = "finite client-page cookie"


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()  # argon2id, RFC 9106's low-memory profile


async def hash_password(password: str) -> str:
    """Off the event loop: a hash takes tens of milliseconds of CPU by design."""
    return await to_thread.run_sync(_hasher().hash, password)


async def password_matches(stored_hash: str, password: str) -> bool:
    def check() -> bool:
        try:
            return _hasher().verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    return await to_thread.run_sync(check)


@cache
def _key(secret: str) -> DerivedKey:
    return derive_key(secret, _PURPOSE)


def _mac(secret: str, link_id: str, stored_hash: str, expires: int) -> str:
    password_id = hashlib.sha256(stored_hash.encode()).hexdigest()
    message = f"{link_id}|{password_id}|{expires}".encode()
    return hmac.new(_key(secret).key, message, hashlib.sha256).hexdigest()


def cookie_value(secret: str, link_id: str, stored_hash: str, now: int) -> str:
    expires = now + COOKIE_SECONDS
    return f"{expires}.{_mac(secret, link_id, stored_hash, expires)}"


def cookie_admits(secret: str, link_id: str, stored_hash: str, value: str | None, now: int) -> bool:
    if not value:
        return False
    expires_text, _, mac = value.partition(".")
    if not expires_text.isdigit() or int(expires_text) <= now:
        return False
    expected = _mac(secret, link_id, stored_hash, int(expires_text))
    return hmac.compare_digest(expected, mac)
