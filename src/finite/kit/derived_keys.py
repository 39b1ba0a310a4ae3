"""Keys derived from the server secret, one per purpose, each with a stable short id."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


@dataclass(frozen=True, slots=True)
class DerivedKey:
    key_id: str
    key: bytes = field(repr=False)


def derive_key(secret: str, purpose: str) -> DerivedKey:
    """HKDF-SHA256 of the server secret. The id is a fingerprint: a new secret is a new version."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(
        secret.encode()
    )
    key_id = hashlib.sha256(b"finite key id:" + key).hexdigest()[:12]
    return DerivedKey(key_id=key_id, key=key)


@dataclass(frozen=True, slots=True)
class Peppers:
    """The current pepper for new hashes; the previous ones, still accepted for lookups (a key
    found under one is re-hashed under the current pepper); the upcoming ones, accepted and
    left alone: during a rotation, a process not yet switched to the new secret must not move
    keys back from it (docs/operations.md, "Rotating the secret key")."""

    current: DerivedKey
    previous: tuple[DerivedKey, ...] = ()
    upcoming: tuple[DerivedKey, ...] = ()

    @classmethod
    def from_secrets(
        cls, secret: str, old_secrets: tuple[str, ...] = (), next_secrets: tuple[str, ...] = ()
    ) -> Peppers:
        purpose = "finite api-key pepper"
        return cls(
            derive_key(secret, purpose),
            tuple(derive_key(s, purpose) for s in old_secrets),
            tuple(derive_key(s, purpose) for s in next_secrets),
        )

    def all(self) -> tuple[DerivedKey, ...]:
        return (self.current, *self.previous, *self.upcoming)

    def is_previous(self, pepper_id: str) -> bool:
        """Whether a hash under this pepper is to move to the current one."""
        return any(pepper.key_id == pepper_id for pepper in self.previous)


def hmac_sha256_hex(pepper: DerivedKey, value: str) -> str:
    return hmac.new(pepper.key, value.encode(), hashlib.sha256).hexdigest()
