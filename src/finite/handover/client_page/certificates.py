"""The completion certificate: on the client page (/p/{token}/certificate, HTML and .pdf) for the
link's holder, and its public check /verify/{hash}, which needs only the certificate's hash and
shows no contact data (the signer's email, IP address and user agent stay on the certificate)."""

from __future__ import annotations

import asyncio

from litestar import Response, Router, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath

from finite.config import public_base_url
from finite.handover.client_page import pages
from finite.handover.client_page.gate import opened_or_refused
from finite.handover.client_page.headers import PAGE_HEADERS
from finite.handover.client_page.replies import html, message
from finite.handover.signoffs import repository as signoffs
from finite.handover.signoffs.certificate import (
    Certificate,
    certificate_of,
    certificate_pdf,
    evidence_lines,
    verify,
)
from finite.platform.http import AnyRequest
from finite.platform.state import platform_of

_NOT_SIGNED = ("Not signed off yet", "The certificate exists once the handover is signed off.")


async def _certificate(
    request: AnyRequest, token: str, *, with_logo: bool = False
) -> Certificate | Response[str]:
    platform = platform_of(request)
    async with platform.db.read() as session:
        entered = await opened_or_refused(request, session, token)
        if isinstance(entered, Response):
            return entered
        if not entered.admitted:
            return message(
                401, "Enter the pack password", "Open the pack first and enter its password."
            )
        opened = entered.opened
        row = await signoffs.of_project(session, opened.link.org_id, opened.project.id)
        if row is None:
            return message(404, *_NOT_SIGNED)
        return await certificate_of(
            session,
            row,
            public_base_url(platform.settings),
            with_logo=with_logo,
            brand=entered.brand,
        )


@get("/p/{token:str}/certificate")
async def certificate_page(request: AnyRequest, token: FromPath[str]) -> Response[str]:
    """The completion certificate with all its evidence."""
    found = await _certificate(request, token)
    if isinstance(found, Response):
        return found
    page = pages.render(
        "certificate.html",
        certificate=found,
        brand=found.brand,
        lines=evidence_lines(found),
        pdf_url=f"/p/{token}/certificate.pdf",
    )
    return html(page)


@get(
    "/p/{token:str}/certificate.pdf",
    responses={200: ResponseSpec(None, description="The certificate as a PDF.")},
)
async def certificate_document(request: AnyRequest, token: FromPath[str]) -> Response[bytes]:
    """The completion certificate as a PDF."""
    found = await _certificate(request, token, with_logo=True)
    if isinstance(found, Response):
        return Response(
            found.content.encode() if isinstance(found.content, str) else b"",
            status_code=found.status_code,
            media_type="text/html; charset=utf-8",
            headers=PAGE_HEADERS,
        )
    return Response(
        await asyncio.to_thread(certificate_pdf, found),
        media_type="application/pdf",
        headers={
            **PAGE_HEADERS,
            "Content-Disposition": 'inline; filename="completion-certificate.pdf"',
        },
    )


@get("/verify/{digest:str}")
async def verify_certificate(request: AnyRequest, digest: FromPath[str]) -> Response[str]:
    """Whether a certificate is genuine and its pack still matches what was signed."""
    platform = platform_of(request)
    async with platform.db.read() as session:
        verified = await verify(session, digest.lower(), public_base_url(platform.settings))
    if verified is None:
        return message(
            404, "Unknown certificate", "No certificate has this hash: check that it is complete."
        )
    page = pages.render(
        "verify.html",
        verified=verified,
        certificate=verified.certificate,
        brand=verified.certificate.brand,
    )
    return html(page)


router = Router("/", route_handlers=[certificate_page, certificate_document, verify_certificate])
