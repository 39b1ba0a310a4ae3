"""The tokens of client links: 256 random bits, shown once (in the mail), stored as SHA-256.

A plain hash is enough: a token is a random 43-character string, not a password anyone could
guess, so a stolen hash leads nowhere.
"""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "pk_"  # noqa: S105 - a prefix, not a secret


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
