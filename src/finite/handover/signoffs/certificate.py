"""A sign-off's completion certificate: the evidence as one record (HTML page, PDF with fpdf2)
and its check (/verify/{hash}): the stored row still hashes to the certificate, and whether the
pack still matches the snapshot the client signed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from finite.handover.branding.brand import Brand, brand_of, logo_of
from finite.handover.packs.assemble import pack_out
from finite.handover.pdf import document
from finite.handover.signoffs.canonical import certificate_hash, pack_snapshot, sha256_hex
from finite.kit.clock import iso_millis, utcnow
from finite.models import HandoverPack, HandoverProject, Signoff

CERTIFICATE_HASH_LENGTH = 64


@dataclass(frozen=True, slots=True)
class Certificate:
    hash: str
    project: str
    agency: str
    signer_name: str
    signer_email: str
    signed_at: str  # ISO 8601 UTC
    ip_address: str | None
    user_agent: str | None
    consent_version: str | None
    consent_sha256: str
    pack_sha256: str
    verify_url: str
    brand: Brand  # the agency as its clients see it now (not part of the evidence)
    logo: bytes | None = None  # the brand's logo, read for the PDF only


def verify_url(base_url: str, certificate_sha256: str) -> str:
    return f"{base_url.rstrip('/')}/verify/{certificate_sha256}"


async def certificate_of(
    session: AsyncSession,
    row: Signoff,
    base_url: str,
    *,
    with_logo: bool = False,
    brand: Brand | None = None,
) -> Certificate:
    """`with_logo` reads the logo's bytes too (for the PDF); `brand`, the organization's when
    the caller has read it already."""
    project = await session.get(HandoverProject, (row.org_id, row.project_id))
    brand = brand or await brand_of(session, row.org_id, utcnow())
    digest = row.certificate_sha256 or certificate_hash(row)
    return Certificate(
        hash=digest,
        project=project.name if project else "",
        agency=brand.name,
        signer_name=row.signer_name,
        signer_email=row.signer_email,
        signed_at=iso_millis(row.signed_at),
        ip_address=row.ip_address,
        user_agent=row.user_agent,
        consent_version=row.consent_version,
        consent_sha256=row.consent_sha256,
        pack_sha256=row.pack_sha256,
        verify_url=verify_url(base_url, digest),
        brand=brand,
        logo=await logo_of(session, brand) if with_logo else None,
    )


@dataclass(frozen=True, slots=True)
class Verified:
    certificate: Certificate
    record_intact: bool  # the stored evidence still hashes to the certificate's hash
    pack_matches: bool  # the pack's content today hashes to what the client signed


def _is_hash(text: str) -> bool:
    return len(text) == CERTIFICATE_HASH_LENGTH and all(c in "0123456789abcdef" for c in text)


async def verify(session: AsyncSession, digest: str, base_url: str) -> Verified | None:
    """The certificate with this hash (any organization's: the hash is the way in), or None."""
    if not _is_hash(digest):
        return None
    row = await session.scalar(select(Signoff).where(Signoff.certificate_sha256 == digest))
    if row is None:
        return None
    project = await session.get(HandoverProject, (row.org_id, row.project_id))
    pack = await session.get(HandoverPack, (row.org_id, row.pack_id))
    matches = False
    if project is not None and pack is not None:
        current = pack_snapshot(await pack_out(session, project, pack, with_sends=False))
        matches = sha256_hex(current) == row.pack_sha256
    return Verified(
        certificate=await certificate_of(session, row, base_url),
        record_intact=certificate_hash(row) == digest,
        pack_matches=matches,
    )


def certificate_pdf(certificate: Certificate) -> bytes:
    brand = certificate.brand
    # Dated by the sign-off: the same certificate is the same bytes (its /ID hashes them).
    pdf = document.new_document(
        f"Completion certificate - {certificate.project}",
        datetime.fromisoformat(certificate.signed_at),
    )
    document.brand_header(pdf, brand, certificate.logo)
    document.title(pdf, "Completion certificate")
    document.paragraph(pdf, f"{certificate.agency} - {certificate.project}", size=11)
    pdf.ln(4)
    for label, value in evidence_lines(certificate):
        document.field(pdf, label, value, mono="SHA-256" in label)
    pdf.ln(3)
    document.paragraph(
        pdf,
        "Anyone can check this certificate at the verification address above: it confirms the "
        "record and whether the pack still matches what was signed.",
        size=9,
        muted=True,
    )
    return document.rendered(pdf)


def evidence_lines(certificate: Certificate) -> list[tuple[str, str | None]]:
    """The certificate's evidence, in order (the HTML page and the PDF list the same)."""
    return [
        ("Project", certificate.project),
        ("Agency", certificate.agency),
        ("Signed by", certificate.signer_name),
        ("Signer's email", certificate.signer_email),
        ("Signed at (UTC)", certificate.signed_at),
        ("IP address", certificate.ip_address),
        ("User agent", certificate.user_agent),
        ("Consent version", certificate.consent_version),
        ("Consent text SHA-256", certificate.consent_sha256),
        ("Pack snapshot SHA-256", certificate.pack_sha256),
        ("Certificate SHA-256", certificate.hash),
        ("Verify at", certificate.verify_url),
    ]
