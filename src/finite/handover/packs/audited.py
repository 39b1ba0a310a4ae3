"""Packs as the audit log sees them: plain JSON, and never a password, not even masked."""

from __future__ import annotations

from typing import Any

import msgspec

from finite.handover.packs.schemas import CredentialOut, PackOut

_LEFT_OUT = ("password", "hasPassword", "updatedAt")


def fields_of(out: msgspec.Struct) -> dict[str, Any]:
    fields = msgspec.to_builtins(out)
    assert isinstance(fields, dict)
    return fields


def credential_fields(out: CredentialOut) -> dict[str, Any]:
    """A credential as audited: no password, not even masked (it is reported on its own)."""
    return _without_password(fields_of(out))


def pack_fields(out: PackOut) -> dict[str, Any]:
    fields = fields_of(out)
    fields["credentials"] = [_without_password(c) for c in fields["credentials"]]
    for name in ("status", "sendHistory", "createdAt", "updatedAt"):
        fields.pop(name, None)
    return fields


def _without_password(credential: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in credential.items() if k not in _LEFT_OUT}
