"""AES-GCM for secrets at rest (webhook secrets, pack credentials), bound to their row.

A sealed value is ``version byte | key id (12 ascii) | nonce (12) | ciphertext+tag``. The key is
derived from the server secret; values sealed under another configured secret
(``FINITE_OLD_SECRET_KEYS``, ``FINITE_NEXT_SECRET_KEYS``) still open, so the secret can be
rotated without downtime. The associated data names the row and
column, so a ciphertext copied into another row or column does not open.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from finite.kit.derived_keys import DerivedKey, derive_key

_VERSION = b"\x01"
_KEY_ID_LENGTH = 12
_NONCE_LENGTH = 12
_PURPOSE = "finite secret box aes-gcm"


class SecretBoxError(Exception):
    """The value cannot be opened: wrong row, unknown key, or tampered bytes."""


def row_binding(table: str, org_id: str, row_id: str, column: str) -> bytes:
    return f"{table}|{org_id}|{row_id}|{column}".encode()


@dataclass(frozen=True, slots=True)
class SecretBox:
    current: DerivedKey
    previous: tuple[DerivedKey, ...] = ()

    @classmethod
    def from_secrets(
        cls, secret: str, old_secrets: tuple[str, ...] = (), next_secrets: tuple[str, ...] = ()
    ) -> SecretBox:
        """`old_secrets` and `next_secrets` (a rotation's new secret, before it is current)
        open values; only `secret` seals."""
        others = (*old_secrets, *next_secrets)
        return cls(derive_key(secret, _PURPOSE), tuple(derive_key(s, _PURPOSE) for s in others))

    def seal(self, plaintext: str, binding: bytes) -> bytes:
        nonce = os.urandom(_NONCE_LENGTH)
        sealed = AESGCM(self.current.key).encrypt(nonce, plaintext.encode(), binding)
        return _VERSION + self.current.key_id.encode() + nonce + sealed

    @property
    def key_ids(self) -> tuple[str, ...]:
        """The current key's id, then the previous ones'."""
        return (self.current.key_id, *(key.key_id for key in self.previous))

    @staticmethod
    def key_id_of(blob: bytes) -> str | None:
        """The id of the key `blob` was sealed under (None: not a sealed value)."""
        if len(blob) < 1 + _KEY_ID_LENGTH or blob[:1] != _VERSION:
            return None
        return blob[1 : 1 + _KEY_ID_LENGTH].decode("ascii", errors="replace")

    def reseal(self, blob: bytes, binding: bytes) -> bytes | None:
        """`blob` sealed again under the current key; None when it already is."""
        if self.key_id_of(blob) == self.current.key_id:
            return None
        return self.seal(self.open(blob, binding), binding)

    def open(self, blob: bytes, binding: bytes) -> str:
        header = 1 + _KEY_ID_LENGTH
        if len(blob) < header + _NONCE_LENGTH + 16 or blob[:1] != _VERSION:
            raise SecretBoxError("not a sealed value")
        key_id = blob[1:header].decode("ascii", errors="replace")
        key = next((k for k in (self.current, *self.previous) if k.key_id == key_id), None)
        if key is None:
            raise SecretBoxError(f"sealed under an unknown key {key_id}")
        nonce = blob[header : header + _NONCE_LENGTH]
        try:
            return AESGCM(key.key).decrypt(nonce, blob[header + _NONCE_LENGTH :], binding).decode()
        except InvalidTag:
            raise SecretBoxError("the value does not open for this row") from None
