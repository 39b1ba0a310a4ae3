"""Admin → Members: invite (the mailed link sets the password and signs in), change a role (the
member's API key follows at once), deactivate (sessions and keys refused at once), the owner
protected, every change audited with the admin as actor; non-admins and forged forms refused."""

from __future__ import annotations

from litestar import Litestar
from sqlalchemy import func, select

from finite.console.sessions import session_hash
from finite.core.accounts.passwords import set_password
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.models import AuditEntry, ConsoleSession, Member
from tests.console.helpers import (
    BROWSER,
    SAME_ORIGIN,
    Client,
    SignedIn,
    make_console_member,
    post_form,
    sign_in,
)
from tests.console.mailbox import mails_to
from tests.factories import OrgSetup, bearer, make_member_key

NEW_PASSWORD = "a long enough new password"


async def _admin(client: Client, db: Database, org: OrgSetup) -> SignedIn:
    admin = await make_console_member(db, org.org_id, name="Ada Admin")
    signed = await sign_in(client, admin.email)
    client.cookies.clear()
    return signed


async def _member(db: Database, org_id: str, email: str) -> Member:
    async with db.read() as session:
        found = (
            await session.scalars(
                select(Member).where(Member.org_id == org_id, Member.email == email)
            )
        ).first()
    assert found is not None
    return found


async def _audited(db: Database, org_id: str, action: str) -> list[AuditEntry]:
    async with db.read() as session:
        rows = await session.scalars(
            select(AuditEntry).where(AuditEntry.org_id == org_id, AuditEntry.action == action)
        )
        return list(rows.all())


async def test_an_invited_member_sets_a_password_by_the_mailed_link_and_signs_in(
    client: Client, app: Litestar, db: Database, org: OrgSetup
) -> None:
    admin = await _admin(client, db, org)
    email = f"invited-{org.org_id[-8:]}@example.com".lower()
    answer = await post_form(
        client,
        "/console/members/invite",
        admin,
        {"email": email, "name": "Ivy Invited", "role": "Standard"},
    )
    assert answer.status_code == 303, answer.text
    page = await client.get(answer.headers["location"], headers=admin.cookie)
    assert "Invitation sent" in page.text
    assert email in page.text
    assert "no password yet" in page.text
    member = await _member(db, org.org_id, email)
    (row,) = await _audited(db, org.org_id, "member.invite")
    assert row.product == "console"
    assert row.key_id is None
    assert row.member_id != member.id  # the admin acted

    again = await post_form(client, f"/console/members/{member.id}/invite-again", admin)
    assert again.status_code == 303, again.text
    first, mail = await mails_to(db, app, email)
    assert first.path != mail.path
    assert mail.purpose == "console.invite"
    assert "Ivy Invited" in mail.text
    form = await client.get(mail.path)
    assert form.status_code == 200
    assert email in form.text
    done = await client.post(
        mail.path,
        data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        headers={**SAME_ORIGIN, **BROWSER},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/console/"
    home = await client.get("/console/")
    assert home.status_code == 200
    assert "Welcome, Ivy Invited" in home.text
    client.cookies.clear()
    await sign_in(client, email, NEW_PASSWORD)  # and the password signs in from now on
    assert (await client.get(first.path)).status_code == 410  # using one spends the others
    (set_row,) = await _audited(db, org.org_id, "password.set")
    assert set_row.member_id == member.id


async def test_a_bad_invitation_shows_each_reason_and_changes_nothing(
    client: Client, app: Litestar, db: Database, org: OrgSetup
) -> None:
    admin = await _admin(client, db, org)
    answer = await post_form(
        client,
        "/console/members/invite",
        admin,
        {"email": "not-an-email", "name": "Nobody", "role": "Standard"},
    )
    assert answer.status_code == 400
    assert "Email: must be a valid email address" in answer.text
    assert 'value="Nobody"' in answer.text  # the form again, as typed
    answer = await post_form(
        client,
        "/console/members/invite",
        admin,
        {"email": "nobody@example.com", "name": "Nobody", "role": "Wizard"},
    )
    assert answer.status_code == 400
    assert "Role: unknown role" in answer.text
    answer = await post_form(
        client,
        "/console/members/invite",
        admin,
        {"email": org.owner_email, "name": "Again", "role": "Standard"},
    )
    assert answer.status_code == 409
    assert "already exists" in answer.text
    assert await mails_to(db, app, "nobody@example.com") == []
    assert await _audited(db, org.org_id, "member.invite") == []


async def test_a_role_change_changes_what_the_members_key_may_do(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    admin = await _admin(client, db, org)
    member_id, key = await make_member_key(db, peppers, org.org_id, "Standard")
    lead = {"name": "Role Lead"}
    created = await client.post("/api/records/leads", json=lead, headers=bearer(key))
    assert created.status_code == 201, created.text
    answer = await post_form(
        client, f"/console/members/{member_id}/role", admin, {"role": "Read-only"}
    )
    assert answer.status_code == 303, answer.text
    refused = await client.post("/api/records/leads", json=lead, headers=bearer(key))
    assert refused.status_code == 403, refused.text
    listed = await client.get("/api/records/leads", headers=bearer(key))
    assert listed.status_code == 200  # Read-only still views
    (row,) = await _audited(db, org.org_id, "member.role")
    assert row.module == "members"

    bad = await post_form(client, f"/console/members/{member_id}/role", admin, {"role": "Nope"})
    assert bad.status_code == 400
    assert "unknown role" in bad.text


async def test_deactivation_refuses_the_members_session_and_keys_at_once(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    admin = await _admin(client, db, org)
    email = f"leaving-{org.org_id[-8:]}@example.com".lower()
    member_id, key = await make_member_key(db, peppers, org.org_id, "Standard", email)
    async with db.transaction() as session:
        await set_password(session, org.org_id, member_id, NEW_PASSWORD, utcnow())
    theirs = await sign_in(client, email, NEW_PASSWORD)
    client.cookies.clear()
    assert (await client.get("/api/me", headers=bearer(key))).status_code == 200

    answer = await post_form(client, f"/console/members/{member_id}/deactivate", admin)
    assert answer.status_code == 303, answer.text
    assert (await client.get("/api/me", headers=bearer(key))).status_code == 401
    home = await client.get("/console/", headers=theirs.cookie, follow_redirects=False)
    assert home.status_code == 303
    assert home.headers["location"].startswith("/console/login")
    client.cookies.clear()
    refused = await client.post(
        "/console/login",
        data={"email": email, "password": NEW_PASSWORD},
        headers={**SAME_ORIGIN, **BROWSER},
        follow_redirects=False,
    )
    assert refused.status_code == 401
    page = await client.get("/console/members", headers=admin.cookie)
    assert "Deactivated" in page.text

    answer = await post_form(client, f"/console/members/{member_id}/reactivate", admin)
    assert answer.status_code == 303
    assert (await client.get("/api/me", headers=bearer(key))).status_code == 200
    assert len(await _audited(db, org.org_id, "member.deactivate")) == 1
    assert len(await _audited(db, org.org_id, "member.reactivate")) == 1


async def test_the_owner_cannot_be_deactivated_or_demoted(
    client: Client, db: Database, org: OrgSetup
) -> None:
    admin = await _admin(client, db, org)
    answer = await post_form(client, f"/console/members/{org.owner_id}/deactivate", admin)
    assert answer.status_code == 409
    assert "owner cannot be deactivated" in answer.text
    answer = await post_form(
        client, f"/console/members/{org.owner_id}/role", admin, {"role": "Standard"}
    )
    assert answer.status_code == 400
    assert "owner keeps the Admin role" in answer.text
    owner = await _member(db, org.org_id, org.owner_email)
    assert owner.deactivated_at is None
    assert await _audited(db, org.org_id, "member.deactivate") == []
    unknown = await post_form(client, "/console/members/mem_nobody/deactivate", admin)
    assert unknown.status_code == 404
    async with db.read() as session:
        own = await session.get(ConsoleSession, (org.org_id, session_hash(admin.session_id)))
    assert own is not None
    itself = await post_form(client, f"/console/members/{own.member_id}/deactivate", admin)
    assert itself.status_code == 409
    assert "deactivate yourself" in itself.text


async def test_members_is_for_admins_and_forms_need_the_csrf_token(
    client: Client, db: Database, org: OrgSetup
) -> None:
    admin = await _admin(client, db, org)
    standard = await make_console_member(db, org.org_id, role="Standard")
    theirs = await sign_in(client, standard.email)
    client.cookies.clear()
    assert (await client.get("/console/members", headers=theirs.cookie)).status_code == 403
    answer = await post_form(
        client,
        "/console/members/invite",
        theirs,
        {"email": "sneaky@example.com", "name": "Sneaky", "role": "Admin"},
    )
    assert answer.status_code == 403
    answer = await post_form(
        client, f"/console/members/{standard.member_id}/role", theirs, {"role": "Admin"}
    )
    assert answer.status_code == 403
    forged = await post_form(
        client, f"/console/members/{standard.member_id}/deactivate", admin, csrf=""
    )
    assert forged.status_code == 403
    async with db.read() as session:
        count = await session.scalar(
            select(func.count()).select_from(Member).where(Member.email == "sneaky@example.com")
        )
    assert count == 0
    assert (await _member(db, org.org_id, standard.email)).deactivated_at is None
