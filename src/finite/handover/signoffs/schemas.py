"""JSON shapes of sign-offs (read side; the client page records them)."""

from __future__ import annotations

from datetime import datetime

from finite.handover.schemas import Camel
from finite.handover.signoffs.certificate import verify_url
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
    consent_version: str | None
    # SHA-256 of the canonical evidence record: what /verify/{hash} takes. Null (with the two
    # links) only on sign-offs recorded before certificates existed.
    certificate_sha256: str | None
    certificate_url: str | None  # the certificate's PDF, read with an API key
    verify_url: str | None  # public: confirms the certificate, shows no contact data


def signoff_out(row: Signoff, base_url: str) -> SignoffOut:
    base = base_url.rstrip("/")
    digest = row.certificate_sha256
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
        consent_version=row.consent_version,
        certificate_sha256=digest,
        certificate_url=(
            f"{base}/api/v1/projects/{row.project_id}/signoff/certificate.pdf" if digest else None
        ),
        verify_url=verify_url(base, digest) if digest else None,
    )
