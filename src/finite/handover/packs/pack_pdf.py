"""The pack as a PDF (GET /projects/{id}/pack.pdf) under the organization's brand: project,
client, scope, credentials with their passwords masked (the export never opens one: it is
built from the masked pack the API reads), training, documents, links and the support terms.
Dated by the pack's last change, so an unchanged pack is the same bytes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fpdf import FPDF
from sqlalchemy.ext.asyncio import AsyncSession

from finite.handover.branding.brand import Brand, brand_of, logo_of
from finite.handover.packs import lookup
from finite.handover.packs.assemble import pack_out
from finite.handover.packs.schemas import CredentialOut, PackOut, SectionOut
from finite.handover.packs.support_terms import support_duration
from finite.handover.pdf import document
from finite.kit.clock import iso_millis
from finite.models import HandoverClient

PASSWORD_SHOWN = "•••••••• (not exported: the client reveals it on the pack's page)"  # noqa: S105
STATUSES = {
    "draft": "Draft",
    "pack_sent": "Sent to the client",
    "viewed": "Viewed by the client",
    "signed_off": "Signed off",
}


@dataclass(frozen=True, slots=True)
class PackExport:
    brand: Brand
    logo: bytes | None
    project: str
    project_type: str
    launch_date: str | None
    client: str
    client_email: str
    client_company: str | None
    pack: PackOut
    as_of: datetime


async def pack_export(
    session: AsyncSession, org_id: str, project_id: str, now: datetime
) -> PackExport:
    """What the PDF shows; 404 for a project not of this organization."""
    project = await lookup.project_or_404(session, org_id, project_id)
    pack = await pack_out(
        session, project, await lookup.pack_of(session, project), with_sends=False
    )
    client = await session.get(HandoverClient, (org_id, project.client_id))
    assert client is not None  # foreign key
    brand = await brand_of(session, org_id, now)
    changes = [project.updated_at, pack.updated_at, *(c.updated_at for c in pack.credentials)]
    return PackExport(
        brand=brand,
        logo=await logo_of(session, brand),
        project=project.name,
        project_type=project.project_type,
        launch_date=project.launch_date.isoformat() if project.launch_date else None,
        client=client.name,
        client_email=client.email,
        client_company=client.company,
        pack=pack,
        as_of=max(changes),
    )


def pack_pdf(export: PackExport) -> bytes:
    brand, pack = export.brand, export.pack
    pdf = document.new_document(f"Handover pack - {export.project}", export.as_of)
    document.brand_header(pdf, brand, export.logo)
    document.title(pdf, export.project)
    document.paragraph(pdf, "Handover pack", size=11, muted=True)
    pdf.ln(3)
    client = (
        export.client
        if not export.client_company
        else (f"{export.client} ({export.client_company})")
    )
    document.field(pdf, "Client", f"{client} <{export.client_email}>")
    document.field(pdf, "Project type", export.project_type)
    if export.launch_date:
        document.field(pdf, "Launch date", export.launch_date)
    document.field(pdf, "Status", STATUSES.get(pack.status, pack.status))
    if pack.scope_summary:
        document.section(pdf, "Scope", brand)
        document.paragraph(pdf, pack.scope_summary)
    document.section(pdf, "Credentials", brand)
    if not pack.credentials:
        document.paragraph(pdf, "No credentials in this pack.", muted=True)
    for credential in pack.credentials:
        _credential(pdf, credential)
    for section in pack.sections:
        _section(pdf, section, brand)
    _support(pdf, pack, brand)
    pdf.ln(4)
    document.paragraph(
        pdf,
        f"The pack as of {iso_millis(export.as_of)} (UTC). Passwords are never exported: "
        "the client reveals each one on the pack's page.",
        size=8,
        muted=True,
    )
    return document.rendered(pdf)


def _credential(pdf: FPDF, credential: CredentialOut) -> None:
    document.paragraph(pdf, credential.platform, size=11)
    if credential.url:
        document.field(pdf, "URL", credential.url)
    if credential.username:
        document.field(pdf, "Username", credential.username)
    # Only whether one is set: `credential.password` is the API's mask, never the password.
    document.field(pdf, "Password", PASSWORD_SHOWN if credential.has_password else None)
    if credential.notes:
        document.field(pdf, "Notes", credential.notes)
    pdf.ln(1)


def _section(pdf: FPDF, section: SectionOut, brand: Brand) -> None:
    document.section(pdf, section.title, brand)
    if section.description:
        document.paragraph(pdf, section.description)
    entries = []
    for item in section.items:
        entry = f"{item.title} ({item.kind})"
        if item.url:
            entry += f": {item.url}"
        if item.description:
            entry += f"\n{item.description}"
        entries.append(entry)
    if entries:
        document.bullets(pdf, entries)
    elif not section.description:
        document.paragraph(pdf, "Nothing here yet.", muted=True)


def _support(pdf: FPDF, pack: PackOut, brand: Brand) -> None:
    boundary = pack.support_boundary
    document.section(pdf, "Support", brand)
    duration = support_duration(boundary.duration_days)
    if duration:
        document.paragraph(pdf, f"Support lasts {duration}.")
    if boundary.included:
        document.label(pdf, "Included")
        document.bullets(pdf, boundary.included)
    if boundary.excluded:
        document.label(pdf, "Not included")
        document.bullets(pdf, boundary.excluded)
