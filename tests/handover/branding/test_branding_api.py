"""/api/v1/branding: read (read scope) and replace (admin scope, Agency plan) the name, accent
colour and logo clients see; every bad field named (the logo's type read from its bytes, never
from `contentType`), nothing written on a refusal; the logo served by its hash, cacheable."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from finite.core.accounts.service import PlanChoice
from finite.handover.branding.logo import MAX_BYTES
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.models import AuditEntry, HandoverBranding
from tests.factories import OrgSetup, bearer, make_handover_key, make_org
from tests.handover.branding.images import SVG, image, logo

Client = AsyncTestClient[Litestar]
PATH = "/api/v1/branding"


async def put(client: Client, key: str, body: dict[str, Any]) -> Any:
    return await client.put(PATH, json=body, headers=bearer(key))


async def stored(db: Database, org_id: str) -> HandoverBranding | None:
    async with db.read() as session:
        return await session.get(HandoverBranding, org_id)


def problems(answer: Any) -> dict[str, str]:
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["data"] is None
    assert body["error"]["code"] == "VALIDATION_ERROR"
    assert body["meta"]["request_id"]
    return {item["field"]: item["message"] for item in body["error"]["details"]}


async def test_without_branding_clients_see_the_organizations_name(
    client: Client, org: OrgSetup
) -> None:
    answer = await client.get(PATH, headers=bearer(org.handover_key))
    assert answer.status_code == 200, answer.text
    data = answer.json()["data"]
    assert data["displayName"] is None
    assert data["accentColor"] is None
    assert data["logo"] is None
    assert data["updatedAt"] is None
    assert data["shown"]["name"].startswith("Test Org ")
    assert data["shown"]["accentColor"] == "#2563eb"
    assert data["shown"]["logoUrl"] is None


async def test_put_sets_the_name_colour_and_logo_and_serves_the_logo(
    client: Client, org: OrgSetup, db: Database
) -> None:
    png = image("PNG", (300, 100))
    answer = await put(
        client,
        org.handover_key,
        {"displayName": "  Zoë Łukasiewicz Studio ", "accentColor": "#FF5500", "logo": logo(png)},
    )
    assert answer.status_code == 200, answer.text
    data = answer.json()["data"]
    digest = hashlib.sha256(png).hexdigest()
    assert data["displayName"] == "Zoë Łukasiewicz Studio"
    assert data["accentColor"] == "#ff5500"
    assert data["logo"]["contentType"] == "image/png"
    assert (data["logo"]["width"], data["logo"]["height"]) == (300, 100)
    assert data["logo"]["size"] == len(png)
    assert data["logo"]["sha256"] == digest
    assert data["logo"]["url"].endswith(f"/branding/logos/{digest}")
    assert data["shown"] == {
        "name": "Zoë Łukasiewicz Studio",
        "accentColor": "#ff5500",
        "logoUrl": data["logo"]["url"],
    }
    assert (await client.get(PATH, headers=bearer(org.handover_key))).json()["data"] == data

    served = await client.get(f"/branding/logos/{digest}")
    assert served.status_code == 200
    assert served.content == png
    assert served.headers["content-type"] == "image/png"
    assert "immutable" in served.headers["cache-control"]
    assert served.headers["x-content-type-options"] == "nosniff"
    unknown = await client.get(f"/branding/logos/{'0' * 64}")
    assert unknown.status_code == 404
    assert (await client.get("/branding/logos/..%2F..%2Fetc")).status_code == 404


async def test_a_logo_left_out_is_kept_and_null_removes_it(
    client: Client, org: OrgSetup, db: Database
) -> None:
    png = image()
    assert (await put(client, org.handover_key, {"logo": logo(png)})).status_code == 200
    kept = await put(client, org.handover_key, {"displayName": "Renamed"})
    assert kept.status_code == 200, kept.text
    assert kept.json()["data"]["logo"]["sha256"] == hashlib.sha256(png).hexdigest()
    assert kept.json()["data"]["accentColor"] is None  # PUT: the rest is replaced whole
    removed = await put(client, org.handover_key, {"displayName": "Renamed", "logo": None})
    assert removed.json()["data"]["logo"] is None
    row = await stored(db, org.org_id)
    assert row is not None
    assert (row.logo, row.logo_sha256, row.logo_content_type) == (None, None, None)
    served = await client.get(f"/branding/logos/{hashlib.sha256(png).hexdigest()}")
    assert served.status_code == 404


async def test_a_jpeg_logo_is_taken(client: Client, org: OrgSetup) -> None:
    jpeg = image("JPEG", (64, 64))
    answer = await put(client, org.handover_key, {"logo": logo(jpeg, "image/jpeg")})
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"]["logo"]["contentType"] == "image/jpeg"


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        ({"accentColor": "blue"}, "accentColor", "#rrggbb"),
        ({"accentColor": ""}, "accentColor", "#rrggbb"),
        ({"accentColor": " #123456"}, "accentColor", "#rrggbb"),
        ({"accentColor": "#123456\n"}, "accentColor", "#rrggbb"),
        ({"accentColor": "#12345"}, "accentColor", "#rrggbb"),
        ({"accentColor": "#1234567"}, "accentColor", "#rrggbb"),
        ({"accentColor": "#12345g"}, "accentColor", "#rrggbb"),
        ({"accentColor": "red;}body{x:y"}, "accentColor", "#rrggbb"),
        ({"displayName": "Two\nlines"}, "displayName", "control characters"),
        ({"logo": logo(SVG, "image/svg+xml")}, "logo.contentType", "SVG"),
        # The bytes decide, whatever the claimed type: an SVG, a GIF, a JPEG sent as PNG.
        ({"logo": logo(SVG, "image/png")}, "logo.data", "not a PNG or JPEG"),
        ({"logo": logo(image("GIF"), "image/png")}, "logo.data", "not a PNG or JPEG"),
        ({"logo": logo(image("JPEG"), "image/png")}, "logo.contentType", "JPEG image"),
        ({"logo": logo(image("PNG"), "image/jpeg")}, "logo.contentType", "PNG image"),
        ({"logo": logo(image(), "image/gif")}, "logo.contentType", "image/png or image/jpeg"),
        # A PNG signature over nothing of a PNG: Pillow cannot decode it.
        ({"logo": logo(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)}, "logo.data", "not a readable PNG"),
        ({"logo": logo(image("PNG")[:60])}, "logo.data", "not a readable PNG"),
        ({"logo": {"contentType": "image/png", "data": "not base64!"}}, "logo.data", "base64"),
        ({"logo": logo(image("PNG", (2001, 10)))}, "logo.data", "2000 pixels"),
        (
            {"logo": logo(b"\x89PNG\r\n\x1a\n" + b"\0" * MAX_BYTES)},
            "logo.data",
            f"at most {MAX_BYTES} bytes",
        ),
    ],
)
async def test_a_bad_field_is_named_and_nothing_is_written(
    client: Client, org: OrgSetup, db: Database, body: dict[str, Any], field: str, reason: str
) -> None:
    found = problems(await put(client, org.handover_key, body))
    assert field in found, found
    assert reason in found[field], found
    assert await stored(db, org.org_id) is None


async def test_every_bad_field_is_named_at_once(client: Client, org: OrgSetup) -> None:
    found = problems(
        await put(
            client,
            org.handover_key,
            {
                "displayName": "Two\nlines",
                "accentColor": "#zzzzzz",
                "logo": logo(image("JPEG"), "image/svg+xml"),
            },
        )
    )
    assert {"displayName", "accentColor", "logo.contentType"} <= set(found)


async def test_wrapped_base64_is_taken(client: Client, org: OrgSetup) -> None:
    png = image()
    encoded = base64.encodebytes(png).decode()  # 76 characters a line, as `base64` writes
    assert "\n" in encoded
    answer = await put(
        client, org.handover_key, {"logo": {"contentType": "image/png", "data": encoded}}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"]["logo"]["sha256"] == hashlib.sha256(png).hexdigest()


async def test_only_an_admin_key_may_change_it(
    client: Client, org: OrgSetup, db: Database, peppers: Peppers
) -> None:
    for scopes in (("read",), ("read", "write")):
        key = await make_handover_key(db, peppers, org.org_id, scopes)
        answer = await put(client, key, {"displayName": "Not allowed"})
        assert answer.status_code == 403, answer.text
        assert answer.json()["error"]["code"] == "FORBIDDEN"
        assert "'admin'" in answer.json()["error"]["message"]
        assert (await client.get(PATH, headers=bearer(key))).status_code == 200
    assert await stored(db, org.org_id) is None


@pytest.mark.parametrize("plan", ["free", "pro"])
async def test_free_and_pro_cannot_use_the_branding_api(
    client: Client, db: Database, peppers: Peppers, plan: str
) -> None:
    """Pro has branding, but no REST API beyond Zapier (the seed): the console sets it."""
    org = await make_org(db, peppers, handover=PlanChoice(plan))
    for method in ("GET", "PUT"):
        answer = await client.request(
            method, PATH, json={"displayName": "Mine"}, headers=bearer(org.handover_key)
        )
        assert answer.status_code == 403, answer.text
        assert answer.json()["error"]["code"] == "PLAN_LIMIT"
    assert await stored(db, org.org_id) is None


async def test_the_change_is_audited_with_the_logos_hash_not_its_bytes(
    client: Client, org: OrgSetup, db: Database
) -> None:
    png = image()
    sent_logo = logo(png)
    body = {"displayName": "Audited", "accentColor": "#123456", "logo": sent_logo}
    assert (await put(client, org.handover_key, body)).status_code == 200
    client.blocking_portal.call(client.app.state.platform.audit.flush)
    async with db.read() as session:
        rows = list(
            await session.scalars(
                select(AuditEntry).where(
                    AuditEntry.org_id == org.org_id, AuditEntry.module == "branding"
                )
            )
        )
    (entry,) = [row for row in rows if row.method == "PUT"]
    assert entry.status == 200
    assert entry.changes == {
        "displayName": {"before": None, "after": "Audited"},
        "accentColor": {"before": None, "after": "#123456"},
        "logo": {"before": None, "after": hashlib.sha256(png).hexdigest()},
    }
    assert sent_logo["data"][:40] not in json.dumps(entry.changes)


async def test_the_theme_stylesheet_takes_only_a_colour(client: Client) -> None:
    answer = await client.get("/branding/theme/ff5500")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/css")
    assert "--accent: #ff5500;" in answer.text
    assert "--on-accent: #1f2328;" in answer.text  # dark text reads better on this orange
    assert "--on-accent: #ffffff;" in (await client.get("/branding/theme/1d4ed8")).text
    for bad in ("FF5500", "ff55", "ff5500;x", "red", "ff5500%7Dbody%7B", "ff5500%0A"):
        assert (await client.get(f"/branding/theme/{bad}")).status_code == 404, bad
