"""Credential passwords: sealed with AES-GCM bound to their row, masked in every answer."""

from __future__ import annotations

from finite.core.sealing import register_sealed
from finite.handover import inputs
from finite.handover.packs.schemas import MASK, CredentialOut
from finite.kit.secretbox import SecretBox, row_binding
from finite.models import PackCredential

TABLE = PackCredential.__tablename__
COLUMN = "password"
register_sealed(PackCredential, "password_sealed", COLUMN)  # for `finite secrets rotate`


def seal_password(box: SecretBox, row: PackCredential, password: str | None) -> None:
    row.password_sealed = (
        None
        if password is None
        else box.seal(password, row_binding(TABLE, row.org_id, row.id, COLUMN))
    )


def open_password(box: SecretBox, row: PackCredential) -> str | None:
    """For the client page's reveal (never the public API)."""
    if row.password_sealed is None:
        return None
    return box.open(row.password_sealed, row_binding(TABLE, row.org_id, row.id, COLUMN))


def credential_out(row: PackCredential) -> CredentialOut:
    has_password = row.password_sealed is not None
    return CredentialOut(
        id=row.id,
        platform=row.platform,
        url=row.url,
        username=row.username,
        password=MASK if has_password else None,
        has_password=has_password,
        notes=row.notes,
        updated_at=row.updated_at,
    )


def clean_username(field: str, value: str | None) -> str | None:
    return inputs.optional_title(field, value, 320)
