"""The Handover API's test data that several test files share."""

from __future__ import annotations

import io
from typing import Any

from pypdf import PdfReader

from tests.factories import bearer

# The seed's example (support article "API and Integrations").
SEED_EXAMPLE = {
    "name": "Website closeout",
    "clientName": "Jane Smith",
    "clientEmail": "jane@example.com",
    "projectType": "Web Design",
    "launchDate": "2026-06-01",
}


async def create_project(client: Any, key: str, **fields: Any) -> dict[str, Any]:
    """POST /api/v1/projects (the seed's example, with `fields` over it); the project's data."""
    answer = await client.post(
        "/api/v1/projects", json={**SEED_EXAMPLE, **fields}, headers=bearer(key)
    )
    assert answer.status_code == 201, answer.text
    project: dict[str, Any] = answer.json()["data"]
    return project


async def send_pack(client: Any, key: str, project_id: str, **body: Any) -> dict[str, Any]:
    """POST /api/v1/projects/:id/pack/send; the answer's data."""
    answer = await client.post(
        f"/api/v1/projects/{project_id}/pack/send", json=body, headers=bearer(key)
    )
    assert answer.status_code == 200, answer.text
    sent: dict[str, Any] = answer.json()["data"]
    return sent


def pdf_text(document: bytes) -> str:
    """The text a PDF reader extracts from every page (the PDFs use an embedded TrueType font:
    their text is glyph ids, not bytes to search)."""
    assert document.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(document)).pages)
