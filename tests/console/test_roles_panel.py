"""Admin → Roles: the grid of checkboxes saves through the roles API's service, so a member's
API key follows it on the next request; the Admin role cannot be changed; bad cells and names
are shown with their reason and change nothing; admins only, with the CSRF token."""

from __future__ import annotations

import re

from sqlalchemy import select

from finite.core.accounts.members import change_role
from finite.core.accounts.roles import ACTIONS, governed_modules
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.models import AuditEntry, Role
from tests.console.helpers import Client, SignedIn, make_console_member, post_form, sign_in
from tests.factories import OrgSetup, bearer, make_member_key


async def _admin(client: Client, db: Database, org: OrgSetup) -> SignedIn:
    admin = await make_console_member(db, org.org_id)
    signed = await sign_in(client, admin.email)
    client.cookies.clear()
    return signed


async def _role(db: Database, org_id: str, name: str) -> Role:
    async with db.read() as session:
        found = (
            await session.scalars(select(Role).where(Role.org_id == org_id, Role.name == name))
        ).first()
    assert found is not None
    return found


def _everything_but(*missing: str) -> dict[str, list[str]]:
    cells = [
        f"{module}:{action}"
        for module in governed_modules()
        for action in ACTIONS
        if f"{module}:{action}" not in missing
    ]
    return {"perm": cells}


async def test_a_new_role_edited_in_the_grid_decides_what_a_key_may_do(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    admin = await _admin(client, db, org)
    created = await post_form(
        client, "/console/roles", admin, {"name": "Lead Watcher", "copy_of": "Manager"}
    )
    assert created.status_code == 303, created.text
    role = await _role(db, org.org_id, "Lead Watcher")
    assert role.permissions["leads"] == list(ACTIONS)
    assert not role.is_builtin

    member_id, key = await make_member_key(db, peppers, org.org_id, "Standard")
    async with db.transaction() as session:
        await change_role(session, org.org_id, member_id, "Lead Watcher")
    lead = {"name": "Grid Lead"}
    assert (
        await client.post("/api/records/leads", json=lead, headers=bearer(key))
    ).status_code == 201

    saved = await post_form(
        client, f"/console/roles/{role.id}", admin, _everything_but("leads:create")
    )
    assert saved.status_code == 303, saved.text
    page = await client.get(saved.headers["location"], headers=admin.cookie)
    assert "Role saved" in page.text
    assert f'id="perm-{role.id}-leads-create"' in page.text
    box = re.search(rf'<input[^>]*id="perm-{role.id}-leads-create"[^>]*>', page.text)
    assert box is not None
    assert "checked" not in box.group(0)
    refused = await client.post("/api/records/leads", json=lead, headers=bearer(key))
    assert refused.status_code == 403, refused.text
    assert (await client.get("/api/records/leads", headers=bearer(key))).status_code == 200

    saved = await post_form(client, f"/console/roles/{role.id}", admin, _everything_but())
    assert saved.status_code == 303
    assert (
        await client.post("/api/records/leads", json=lead, headers=bearer(key))
    ).status_code == 201
    async with db.read() as session:
        actions = (
            await session.scalars(
                select(AuditEntry.action).where(
                    AuditEntry.org_id == org.org_id, AuditEntry.module == "roles"
                )
            )
        ).all()
    assert sorted(a or "" for a in actions) == ["role.create", "role.update", "role.update"]


async def test_the_admin_role_and_bad_cells_change_nothing(
    client: Client, db: Database, org: OrgSetup
) -> None:
    admin = await _admin(client, db, org)
    page = await client.get("/console/roles", headers=admin.cookie)
    assert page.status_code == 200
    assert "cannot be changed" in page.text
    admin_role = await _role(db, org.org_id, "Admin")
    answer = await post_form(client, f"/console/roles/{admin_role.id}", admin, {"perm": []})
    assert answer.status_code == 409
    assert "always has every permission" in answer.text
    assert (await _role(db, org.org_id, "Admin")).permissions == admin_role.permissions

    standard = await _role(db, org.org_id, "Standard")
    for cells, reason in (
        (["leads:fly"], "must be a list of"),
        (["spaceships:view"], "is not a module"),
        (["nonsense"], "is not module:action"),
    ):
        answer = await post_form(client, f"/console/roles/{standard.id}", admin, {"perm": cells})
        assert answer.status_code in (400, 422), (cells, answer.status_code)
        assert reason in answer.text, cells
    assert (await _role(db, org.org_id, "Standard")).permissions == standard.permissions
    missing = await post_form(client, "/console/roles/role_nope", admin, {"perm": []})
    assert missing.status_code == 404

    for name, reason in (("", "must not be empty"), ("standard", "already exists")):
        answer = await post_form(client, "/console/roles", admin, {"name": name})
        assert answer.status_code == 400, name
        assert reason in answer.text, name


async def test_roles_is_for_admins_with_the_csrf_token(
    client: Client, db: Database, org: OrgSetup
) -> None:
    admin = await _admin(client, db, org)
    standard = await make_console_member(db, org.org_id, role="Standard")
    theirs = await sign_in(client, standard.email)
    client.cookies.clear()
    role = await _role(db, org.org_id, "Standard")
    assert (await client.get("/console/roles", headers=theirs.cookie)).status_code == 403
    answer = await post_form(client, f"/console/roles/{role.id}", theirs, _everything_but())
    assert answer.status_code == 403
    forged = await post_form(client, f"/console/roles/{role.id}", admin, {"perm": []}, csrf="")
    assert forged.status_code == 403
    assert (await _role(db, org.org_id, "Standard")).permissions == role.permissions
