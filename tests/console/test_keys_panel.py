"""Admin → API Keys (CRM) and Settings → Security (handover keys) in the console: the list shows
no key, a new key is shown once and works on the API, a revoked key is refused on the very next
request, only Admins reach the panels, CSRF is required, every bad field says why, and each
change is audited with the member as the actor."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.models import ApiKey, AuditEntry
from tests.console.helpers import Client, SignedIn, make_console_member, post_form, sign_in
from tests.factories import OrgSetup, bearer

KEY = re.compile(r"\b(fsk_|fz_live_)[0-9A-Za-z]{49}\b")
PANELS = {
    "crm": ("/console/keys", "/api/records/leads"),
    "handover": ("/console/handover/keys", "/api/v1/me"),
}


async def _admin(client: Client, db: Database, org: OrgSetup) -> tuple[str, SignedIn]:
    member = await make_console_member(db, org.org_id)
    return member.member_id, await sign_in(client, member.email)


def _key_of(page: str) -> str:
    found = KEY.search(page)
    assert found is not None, page[:3000]
    return found.group(0)


async def _count_keys(db: Database, org_id: str, product: str) -> int:
    async with db.read() as session:
        query = select(func.count()).where(ApiKey.org_id == org_id, ApiKey.product == product)
        return int(await session.scalar(query) or 0)


async def _create(
    client: Client, signed: SignedIn, product: str, name: str, **extra: object
) -> tuple[str, str]:
    """(the full key, its id) as the created page shows them."""
    path = PANELS[product][0]
    form: dict[str, object] = {"name": name, **extra}
    if product == "handover" and "scopes" not in extra:
        form["scopes"] = ["read", "write"]
    created = await post_form(client, path, signed, form)
    assert created.status_code == 201, created.text
    assert created.headers["cache-control"] == "no-store"
    assert "It will not be shown again" in created.text
    assert 'src="/console/static/keys.js"' in created.text
    token = _key_of(created.text)
    listed = await client.get(path, headers=signed.cookie)
    key_id = re.findall(r'data-key-id="([^"]+)"', listed.text)[0]
    return token, key_id


@pytest.mark.parametrize("product", ["crm", "handover"])
async def test_a_key_is_shown_once_works_and_is_refused_right_after_revoking(
    client: Client, db: Database, org: OrgSetup, product: str
) -> None:
    _, signed = await _admin(client, db, org)
    path, api = PANELS[product]
    token, key_id = await _create(client, signed, product, "Nightly export")

    assert (await client.get(api, headers=bearer(token))).status_code == 200
    # No page after the one answering the POST ever holds the key.
    for page in (path, f"{path}/{key_id}/revoke", "/console/", PANELS["crm"][0]):
        answer = await client.get(page, headers=signed.cookie)
        assert answer.status_code == 200
        assert token not in answer.text
        assert KEY.search(answer.text) is None
    listed = (await client.get(path, headers=signed.cookie)).text
    assert "Nightly export" in listed
    assert f"…{token[-4:]}" in listed  # prefix and last four only

    confirm = await client.get(f"{path}/{key_id}/revoke", headers=signed.cookie)
    assert "Revoke the key" in confirm.text
    revoked = await post_form(client, f"{path}/{key_id}/revoke", signed)
    assert revoked.status_code == 303
    assert revoked.headers["location"] == f"{path}?done=revoked"
    assert (await client.get(api, headers=bearer(token))).status_code == 401
    after = await client.get(revoked.headers["location"], headers=signed.cookie)
    assert "The key is revoked" in after.text
    assert "revoked (" in after.text


async def test_the_list_shows_every_key_of_the_org_without_the_key(
    client: Client, db: Database, org: OrgSetup
) -> None:
    _, signed = await _admin(client, db, org)
    crm = await client.get("/console/keys", headers=signed.cookie)
    handover = await client.get("/console/handover/keys", headers=signed.cookie)
    assert f"fsk_…{org.crm_key[-4:]}" in crm.text
    assert f"fz_live_…{org.handover_key[-4:]}" in handover.text
    for page, secret in ((crm, org.crm_key), (handover, org.handover_key)):
        assert page.status_code == 200
        assert secret not in page.text
        assert KEY.search(page.text) is None
    assert "Admin" in crm.text  # the owner's role, which the key acts with
    assert "read, write, admin" in handover.text


async def test_a_crm_key_acts_as_the_member_chosen(
    client: Client, db: Database, org: OrgSetup
) -> None:
    _, signed = await _admin(client, db, org)
    reader = await make_console_member(db, org.org_id, role="Read-only", name="Rita Reader")
    token, _ = await _create(client, signed, "crm", "Reader's key", member=reader.member_id)
    assert (await client.get("/api/records/leads", headers=bearer(token))).status_code == 200
    refused = await client.post("/api/records/leads", json={"name": "x"}, headers=bearer(token))
    assert refused.status_code == 403  # the member's Read-only role, not the creator's Admin


async def test_a_handover_key_gets_the_scopes_chosen(
    client: Client, db: Database, org: OrgSetup
) -> None:
    _, signed = await _admin(client, db, org)
    token, _ = await _create(client, signed, "handover", "Zapier", scopes=["read"])
    assert (await client.get("/api/v1/me", headers=bearer(token))).status_code == 200
    assert (await client.get("/api/v1/keys", headers=bearer(token))).status_code == 403


@pytest.mark.parametrize("product", ["crm", "handover"])
async def test_a_non_admin_is_refused_and_cannot_create_by_posting(
    client: Client, db: Database, org: OrgSetup, product: str
) -> None:
    member = await make_console_member(db, org.org_id, role="Manager")
    signed = await sign_in(client, member.email)
    path = PANELS[product][0]
    before = await _count_keys(db, org.org_id, product)
    assert (await client.get(path, headers=signed.cookie)).status_code == 403
    posted = await post_form(client, path, signed, {"name": "sneaky", "scopes": "read"})
    assert posted.status_code == 403
    revoke_path = f"{path}/{org.crm_key_id if product == 'crm' else org.handover_key_id}/revoke"
    assert (await post_form(client, revoke_path, signed)).status_code == 403
    assert await _count_keys(db, org.org_id, product) == before
    key = org.crm_key if product == "crm" else org.handover_key
    assert (await client.get(PANELS[product][1], headers=bearer(key))).status_code == 200


@pytest.mark.parametrize("product", ["crm", "handover"])
async def test_without_the_csrf_token_nothing_is_created_or_revoked(
    client: Client, db: Database, org: OrgSetup, product: str
) -> None:
    _, signed = await _admin(client, db, org)
    path, api = PANELS[product]
    before = await _count_keys(db, org.org_id, product)
    for csrf in ("", "not-the-token"):
        answer = await post_form(client, path, signed, {"name": "x", "scopes": "read"}, csrf=csrf)
        assert answer.status_code == 403
        assert KEY.search(answer.text) is None
    assert await _count_keys(db, org.org_id, product) == before
    key_id = org.crm_key_id if product == "crm" else org.handover_key_id
    refused = await post_form(client, f"{path}/{key_id}/revoke", signed, csrf="")
    assert refused.status_code == 403
    key = org.crm_key if product == "crm" else org.handover_key
    assert (await client.get(api, headers=bearer(key))).status_code == 200


BAD_INPUT = [
    ("crm", {"name": ""}, {"name": "must not be empty"}),
    ("crm", {"name": "n" * 101}, {"name": "must be at most 100 characters"}),
    ("crm", {"name": "ok", "expires": "2001-01-01"}, {"expires": "must be in the future"}),
    ("crm", {"name": "ok", "expires": "next week"}, {"expires": "must be a date"}),
    ("crm", {"name": "ok", "member": "nobody@nowhere.example"}, {"member": "no such member"}),
    (
        "crm",
        {"name": "", "expires": "yesterday", "member": "ghost"},
        {"name": "must not be empty", "expires": "must be a date", "member": "no such member"},
    ),
    ("handover", {"name": "ok", "scopes": "owner"}, {"scopes": "unknown scope 'owner'"}),
    ("handover", {"name": "ok"}, {"scopes": "at least one"}),
    (
        "handover",
        {"name": " ", "expires": "2001-01-01", "scopes": ["read", "root"]},
        {"name": "must not be empty", "expires": "must be in the future", "scopes": "unknown"},
    ),
]


@pytest.mark.parametrize(("product", "form", "reasons"), BAD_INPUT)
async def test_bad_input_shows_the_form_again_with_each_fields_reason(
    client: Client,
    db: Database,
    org: OrgSetup,
    product: str,
    form: dict[str, object],
    reasons: dict[str, str],
) -> None:
    _, signed = await _admin(client, db, org)
    path = PANELS[product][0]
    before = await _count_keys(db, org.org_id, product)
    answer = await post_form(client, path, signed, form)
    assert answer.status_code == 400, answer.text
    assert "The key was not created" in answer.text
    errors = answer.text.split('id="form-errors"')[1].split("</div>")[0]
    for field_name, reason in reasons.items():
        assert f"{field_name}: {reason}" in errors.replace("&#39;", "'")
    assert '<form method="post"' in answer.text  # the form again, as typed
    if isinstance(form.get("name"), str) and form["name"]:
        assert f'value="{form["name"]}"' in answer.text
    assert await _count_keys(db, org.org_id, product) == before


async def test_an_unknown_or_other_products_key_is_not_found(
    client: Client, db: Database, org: OrgSetup
) -> None:
    _, signed = await _admin(client, db, org)
    for path in (
        "/console/keys/key_nope/revoke",
        f"/console/keys/{org.handover_key_id}/revoke",  # a handover key on the CRM panel
    ):
        assert (await client.get(path, headers=signed.cookie)).status_code == 404
        assert (await post_form(client, path, signed)).status_code == 404
    assert (await client.get("/api/v1/me", headers=bearer(org.handover_key))).status_code == 200


async def test_creating_and_revoking_are_audited_with_the_member_as_actor(
    client: Client, db: Database, org: OrgSetup
) -> None:
    member_id, signed = await _admin(client, db, org)
    expires = (utcnow() + timedelta(days=30)).date().isoformat()
    token, key_id = await _create(client, signed, "crm", "Audited", expires=expires)
    await post_form(client, f"/console/keys/{key_id}/revoke", signed)
    handover_token, handover_id = await _create(client, signed, "handover", "Audited too")
    async with db.read() as session:
        rows = (
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.org_id == org.org_id, AuditEntry.module == "api_keys")
                .order_by(AuditEntry.occurred_at, AuditEntry.id)
            )
        ).all()
    mine = [row for row in rows if row.member_id == member_id]
    assert [(row.action, row.product, row.key_id) for row in mine] == [
        ("key.create", "console", None),
        ("key.revoke", "console", None),
        ("key.create", "console", None),
    ]
    create, revoke, handover = (row.changes or {} for row in mine)
    assert create["keyId"] == key_id
    assert create["product"] == "crm"
    assert create["expiresAt"].startswith(expires)
    assert revoke["keyId"] == key_id
    assert revoke["revokedAt"]
    assert handover["keyId"] == handover_id
    assert handover["scopes"] == ["read", "write"]
    for row in mine:
        dumped = repr(row.changes) + repr(row.path)
        assert token not in dumped
        assert handover_token not in dumped
