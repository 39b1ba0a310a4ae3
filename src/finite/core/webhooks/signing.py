"""Signing secrets and the signature headers of one attempt.

``X-Finite-Signature`` is the seed's format (GitHub's): ``sha256=<hex HMAC-SHA256 of the raw
body>`` keyed with the secret string as given to the user. Beside it go the Standard Webhooks
headers, keyed with the base64-decoded part of the ``whsec_`` secret, over ``id.timestamp.body``.
During a rotation's overlap both secrets sign: the values are listed, newest first.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret


def new_signing_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def finite_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def standard_signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def signature_headers(
    secrets_in_force: Sequence[str], message_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    return {
        "X-Finite-Signature": ",".join(finite_signature(s, body) for s in secrets_in_force),
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(
            standard_signature(s, message_id, timestamp, body) for s in secrets_in_force
        ),
    }
