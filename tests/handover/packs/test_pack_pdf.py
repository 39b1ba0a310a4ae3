"""GET /api/v1/projects/{id}/pack.pdf: the pack as a PDF — project, client (names in any
Latin, Greek or Cyrillic script), scope, credentials with the password never in it, training,
documents, support — under the organization's branding; read scope, the Agency plan, another
organization's project not found; the same pack is the same bytes."""

from __future__ import annotations

import io
from typing import Any

from pypdf import PdfReader

from finite.core.accounts.service import PlanChoice
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from tests.factories import OrgSetup, bearer, make_handover_key, make_org
from tests.handover.client_page.helpers import Client, api
from tests.handover.factories import pdf_text

PASSWORD = "Pdf-s3cret-never-printed"
CLIENT = "Zoë Łukasiewicz 東京"


async def pack_with_everything(client: Client, key: str) -> str:
    project = await api(
        client,
        key,
        "POST",
        "/projects",
        {
            "name": "Αθήνα storefront",
            "clientName": CLIENT,
            "clientEmail": "zoe@example.com",
            "projectType": "Web Design",
            "launchDate": "2026-06-01",
        },
    )
    pack = f"/projects/{project['id']}/pack"
    current = await api(client, key, "GET", pack)
    await api(
        client,
        key,
        "PUT",
        pack,
        {
            "scopeSummary": "Shopify store, 40 products, Дмитрий's copy.",
            "sections": [
                {
                    "kind": "training",
                    "title": "Training",
                    "items": [
                        {
                            "kind": "training",
                            "title": "Editing products (video)",
                            "url": "https://videos.example/products",
                        }
                    ],
                },
                {
                    "kind": "documentation",
                    "title": "Documents",
                    "items": [
                        {
                            "kind": "document",
                            "title": "Brand guide",
                            "url": "https://docs.example/brand.pdf",
                        }
                    ],
                },
            ],
            "credentials": [
                {
                    "platform": "Shopify admin",
                    "url": "https://store.example/admin",
                    "username": "zoe.admin",
                    "password": PASSWORD,
                    "notes": "Two-factor on the owner's phone.",
                }
            ],
            "supportBoundary": {
                "durationDays": 30,
                "included": ["Bug fixes"],
                "excluded": ["New features"],
            },
        },
    )
    assert current["projectId"] == project["id"]
    return str(project["id"])


async def export(client: Client, key: str, project_id: str) -> Any:
    return await client.get(f"/api/v1/projects/{project_id}/pack.pdf", headers=bearer(key))


async def test_the_pack_exports_with_every_section_and_no_password(
    client: Client, org: OrgSetup
) -> None:
    project_id = await pack_with_everything(client, org.handover_key)
    answer = await export(client, org.handover_key, project_id)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert "attachment" in answer.headers["content-disposition"]
    text = pdf_text(answer.content)
    for shown in (
        "Αθήνα storefront",
        "Zoë Łukasiewicz",  # the CJK part has no glyph in DejaVu Sans: not asserted
        "zoe@example.com",
        "Web Design",
        "2026-06-01",
        "Дмитрий's copy",
        "Shopify admin",
        "https://store.example/admin",
        "zoe.admin",
        "Two-factor on the owner's phone.",
        "••••••••",
        "Editing products (video)",
        "https://videos.example/products",
        "Brand guide",
        "30 days",
        "Bug fixes",
        "New features",
    ):
        assert shown in text, shown
    assert PASSWORD not in text
    assert PASSWORD.encode() not in answer.content
    assert PASSWORD.encode("utf-16-be") not in answer.content


async def test_the_same_pack_is_the_same_pdf(client: Client, org: OrgSetup) -> None:
    project_id = await pack_with_everything(client, org.handover_key)
    first = await export(client, org.handover_key, project_id)
    second = await export(client, org.handover_key, project_id)
    assert first.content == second.content


async def test_the_export_carries_the_branding(client: Client, org: OrgSetup) -> None:
    project_id = await pack_with_everything(client, org.handover_key)
    plain = await export(client, org.handover_key, project_id)
    assert b"/Subtype /Image" not in plain.content
    answer = await client.put(
        "/api/v1/branding",
        json={"displayName": "Северный Studio", "accentColor": "#7c3aed"},
        headers=bearer(org.handover_key),
    )
    assert answer.status_code == 200, answer.text
    branded = await export(client, org.handover_key, project_id)
    assert "Северный Studio" in pdf_text(branded.content)
    drawn = PdfReader(io.BytesIO(branded.content)).pages[0].get_contents()
    assert drawn is not None
    assert b"0.4863 0.2275 0.9294 rg" in drawn.get_data()  # the accent (#7c3aed) fills the rule


async def test_a_read_key_exports_and_another_orgs_project_is_not_found(
    client: Client, org: OrgSetup, db: Database, peppers: Peppers
) -> None:
    project_id = await pack_with_everything(client, org.handover_key)
    read_key = await make_handover_key(db, peppers, org.org_id, ("read",))
    assert (await export(client, read_key, project_id)).status_code == 200
    other = await make_org(db, peppers)
    theirs = await export(client, other.handover_key, project_id)
    unknown = await export(client, other.handover_key, "proj_00000000000000000000000000")
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.json()["error"] == unknown.json()["error"]
    assert theirs.json()["data"] is None


async def test_the_pro_plan_has_no_pack_pdf_in_the_api(
    client: Client, db: Database, peppers: Peppers
) -> None:
    pro = await make_org(db, peppers, handover=PlanChoice("pro"))
    answer = await export(client, pro.handover_key, "proj_00000000000000000000000000")
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "PLAN_LIMIT"
