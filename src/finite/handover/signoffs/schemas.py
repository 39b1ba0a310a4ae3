"""JSON shapes of sign-offs (read side; the client page records them)."""

from __future__ import annotations

from datetime import datetime

from finite.handover.schemas import Camel
from finite.models import Signoff


class SignoffOut(Camel):
    id: str
    project_id: str
    pack_id: str
    name: str
    email: str
    signed_at: datetime  # UTC
    ip_address: str | None
    user_agent: str | None
    consent_text: str  # exactly as the client confirmed it
    consent_sha256: str
    pack_sha256: str  # of the pack snapshot the client saw


def signoff_out(row: Signoff) -> SignoffOut:
    return SignoffOut(
        id=row.id,
        project_id=row.project_id,
        pack_id=row.pack_id,
        name=row.signer_name,
        email=row.signer_email,
        signed_at=row.signed_at,
        ip_address=row.ip_address,
        user_agent=row.user_agent,
        consent_text=row.consent_text,
        consent_sha256=row.consent_sha256,
        pack_sha256=row.pack_sha256,
    )
