"""Admin → API Keys (the CRM's keys, /console/keys) and Settings → Security (the handover
product's keys, /console/handover/keys): list, create, revoke. Admin-role members only.

- The list never shows a key: its prefix and last four characters.
- Creating answers the POST itself with the full key, once: the page is `no-store`, its script
  (static/keys.js) replaces the history entry with the list, so going back or reloading shows
  the list, and the key is kept nowhere but in that answer.
- Revoking asks for confirmation (a page with a POST button); the key is refused from the very
  next API request (the principal cache hears the change: core/auth/principal_cache.py).
- Every create and revoke writes its audit row, the member as actor, in the change's own
  transaction.

Both panels call the key service the APIs and `finite keys` call (core/keys/service.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

from litestar import Response, get, post
from litestar.params import FromPath, FromQuery
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from finite.console import pages
from finite.console.guards import admin_only
from finite.console.headers import ASSET_HEADERS
from finite.console.keys_forms import KeyForm, expiry_of, key_row, read_form, with_errors
from finite.console.principal import ConsoleUser, UserDep
from finite.console.unit_of_work import console_change
from finite.core.accounts import repository as accounts
from finite.core.accounts.service import resolve_member
from finite.core.keys import repository as key_repository
from finite.core.keys import service as keys
from finite.core.plans.catalog import Product
from finite.kit.clock import utcnow
from finite.kit.errors import AppError, Problems, not_found
from finite.models import Member, Role
from finite.platform.http import AnyRequest
from finite.platform.state import platform_of

MODULE = "api_keys"  # the audit rows' module


@dataclass(frozen=True, slots=True)
class KeyPanel:
    product: Product
    path: str  # the list's address
    title: str
    intro: str


CRM = KeyPanel(
    "crm",
    "/console/keys",
    "API keys",
    "Keys for the CRM's API. A key acts as the member it belongs to, with that member's role.",
)
HANDOVER = KeyPanel(
    "handover",
    "/console/handover/keys",
    "Security: handover API keys",
    "Keys for the handover product's API (Zapier, your own scripts). Each has the scopes "
    "chosen here: read, write, admin.",
)
_DONE = {"revoked": "The key is revoked: the next request with it is refused."}


async def _members_and_roles(
    request: AnyRequest, org_id: str
) -> tuple[list[Member], dict[str, Role]]:
    async with platform_of(request).db.read() as session:
        members = list(
            (
                await session.scalars(
                    select(Member).where(Member.org_id == org_id).order_by(Member.name)
                )
            ).all()
        )
        roles = {role.id: role for role in await accounts.roles_of(session, org_id)}
    return members, roles


async def _list_page(
    request: AnyRequest,
    user: ConsoleUser,
    panel: KeyPanel,
    form: KeyForm,
    *,
    status: int = 200,
    notice: str = "",
) -> Response[str]:
    async with platform_of(request).db.read() as session:
        found = await keys.list_keys(session, user.org_id, panel.product)
    members, roles = await _members_and_roles(request, user.org_id)
    by_id = {member.id: member for member in members}
    now = utcnow()
    rows = []
    for key in found:
        member = by_id.get(key.member_id or "")
        role = roles.get(member.role_id) if member else None
        rows.append(key_row(key, panel.product, now, member, role))
    choices = [
        (member.id, f"{member.name} <{member.email}> — {roles[member.role_id].name}")
        for member in members
        if member.deactivated_at is None and member.role_id in roles
    ]
    return pages.render(
        request,
        user,
        "keys.html",
        status_code=status,
        panel=panel,
        rows=rows,
        form=form,
        member_choices=choices,
        scope_choices=keys.HANDOVER_SCOPES,
        notice=notice,
    )


async def _form_of(request: AnyRequest, panel: KeyPanel) -> KeyForm:
    data = await request.form()
    scopes = [value for value in data.getall("scopes", []) if isinstance(value, str)]
    return read_form(dict(data.items()), scopes if panel.product == "handover" else ())


async def _create(request: AnyRequest, user: ConsoleUser, panel: KeyPanel) -> Response[str]:
    form = await _form_of(request, panel)
    platform = platform_of(request)

    async def work(session: AsyncSession) -> tuple[keys.CreatedKey, dict[str, Any]]:
        problems = Problems()
        expires_at = expiry_of(form.expires, problems)
        member_id: str | None = None
        scopes: list[str] = []
        if panel.product == "crm":
            member_id = await _member_for(session, user, form.member, problems)
        else:
            with problems.check():
                scopes = keys.normalize_scopes(form.scopes)
        created = await keys.create_key(
            session,
            platform.peppers,
            org_id=user.org_id,
            product=panel.product,
            name=form.name,
            member_id=member_id,
            scopes=scopes,
            expires_at=expires_at,
            problems=problems,
            expires_field="expires",
        )
        record = created.record
        return created, {
            "product": panel.product,
            "keyId": record.id,
            "name": record.name,
            "memberId": record.member_id,
            "scopes": list(record.scopes),
            "expiresAt": record.expires_at.isoformat() if record.expires_at else None,
        }

    try:
        created = await console_change(request, user, "key.create", work, module=MODULE, status=201)
    except AppError as error:
        if error.code != "VALIDATION_ERROR":
            raise
        return await _list_page(request, user, panel, with_errors(form, error), status=400)
    return pages.render(
        request,
        user,
        "key_created.html",
        status_code=201,
        panel=panel,
        token=created.token,
        row=key_row(created.record, panel.product, utcnow(), None, None),
    )


async def _member_for(
    session: AsyncSession, user: ConsoleUser, typed: str, problems: Problems
) -> str:
    """The member the CRM key acts as: the creator by default; an Admin may choose any member
    of the organization (as POST /api/keys lets them)."""
    if not typed:
        return user.member_id
    try:
        member = await resolve_member(session, user.org_id, typed)
    except AppError:
        problems.add("member", "no such member in this organization")
        return user.member_id
    if member.deactivated_at is not None:
        problems.add("member", "this member is deactivated")
    return member.id


async def _confirm_page(
    request: AnyRequest, user: ConsoleUser, panel: KeyPanel, key_id: str
) -> Response[str]:
    async with platform_of(request).db.read() as session:
        key = await key_repository.key_in_org(session, user.org_id, key_id)
    if key is None or key.product != panel.product:
        raise not_found("No such API key.")
    row = key_row(key, panel.product, utcnow(), None, None)
    return pages.render(request, user, "key_revoke.html", panel=panel, row=row)


async def _revoke(
    request: AnyRequest, user: ConsoleUser, panel: KeyPanel, key_id: str
) -> Response[str]:
    async def work(session: AsyncSession) -> tuple[None, dict[str, Any]]:
        key = await keys.revoke_key(session, user.org_id, key_id, panel.product)
        return None, {
            "product": panel.product,
            "keyId": key.id,
            "name": key.name,
            "revokedAt": key.revoked_at.isoformat() if key.revoked_at else None,
        }

    await console_change(request, user, "key.revoke", work, module=MODULE, status=303)
    return pages.redirect(f"{panel.path}?done=revoked")


def _handlers_for(panel: KeyPanel) -> list[Any]:
    """The list, create and revoke pages of one product's keys, at `panel.path`."""
    route = panel.path.removeprefix("/console")

    @get(route, guards=[admin_only])
    async def list_keys(
        request: AnyRequest, user: UserDep, done: FromQuery[str | None] = None
    ) -> Response[str]:
        return await _list_page(request, user, panel, KeyForm(), notice=_DONE.get(done or "", ""))

    @post(route, guards=[admin_only], status_code=201)
    async def create_key(request: AnyRequest, user: UserDep) -> Response[str]:
        return await _create(request, user, panel)

    @get(route + "/{key_id:str}/revoke", guards=[admin_only])
    async def confirm_revoke(
        request: AnyRequest, user: UserDep, key_id: FromPath[str]
    ) -> Response[str]:
        return await _confirm_page(request, user, panel, key_id)

    @post(route + "/{key_id:str}/revoke", guards=[admin_only], status_code=303)
    async def revoke_key(
        request: AnyRequest, user: UserDep, key_id: FromPath[str]
    ) -> Response[str]:
        return await _revoke(request, user, panel, key_id)

    return [list_keys, create_key, confirm_revoke, revoke_key]


@get("/static/keys.js", sync_to_thread=False)
def keys_script() -> Response[bytes]:
    script = resources.files("finite.console").joinpath("static", "keys.js").read_bytes()
    return Response(script, media_type="text/javascript", headers=ASSET_HEADERS)


KEY_HANDLERS = [*_handlers_for(CRM), *_handlers_for(HANDOVER), keys_script]
