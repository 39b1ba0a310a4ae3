"""The audit log panel (Admin): /console/audit, a page of entries newest first with the API's
filters (and the action), keyset-paged like GET /api/audit; /console/audit.csv, the filtered
rows streamed as the API's export writes them (formula cells neutralised); and POST
/console/audit/verify, the chain check `finite audit verify` runs, with its verdict."""

from __future__ import annotations

from dataclasses import dataclass

from litestar import Response, get, post
from litestar.response import Stream
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from finite.console import pages
from finite.console.audit import audit_console_action
from finite.console.audit_filters import FIELDS, FilterForm, filter_form
from finite.console.guards import admin_only
from finite.console.principal import ConsoleUser, UserDep
from finite.core.accounts import repository as accounts
from finite.core.audit.chain import Verdict, verify_chain
from finite.core.audit.listing import audit_page, csv_chunks, iso, member_ids
from finite.core.keys.tokens import hint
from finite.core.plans.catalog import product_named
from finite.kit.clock import utcnow
from finite.models import ApiKey, Member
from finite.models.events import AuditChainHead, AuditEntry
from finite.platform.http import AnyRequest
from finite.platform.state import platform_of

MODULE = "audit"


@dataclass(frozen=True, slots=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True, slots=True)
class EntryView:
    row: AuditEntry
    when: str
    actor: str


async def _choices(session: AsyncSession, org_id: str) -> tuple[list[Choice], list[Choice]]:
    members = (
        await session.scalars(
            select(Member).where(Member.org_id == org_id).order_by(Member.name, Member.id)
        )
    ).all()
    keys = (
        await session.scalars(
            select(ApiKey)
            .where(ApiKey.org_id == org_id)
            .order_by(ApiKey.product, ApiKey.name, ApiKey.id)
        )
    ).all()
    member_choices = [Choice(member.id, f"{member.name} <{member.email}>") for member in members]
    key_choices = [
        Choice(
            key.id,
            f"{key.name} ({key.product}, {hint(product_named(key.product), key.last_four)}"
            f"{', revoked' if key.revoked_at else ''})",
        )
        for key in keys
    ]
    return member_choices, key_choices


def _actor(row: AuditEntry, names: dict[str, str]) -> str:
    member = names.get(row.member_id or "", row.member_id or "")
    if row.key_id:
        return f"key {row.key_name or row.key_id}" + (f" ({member})" if member else "")
    return f"member {member}" if member else "—"


async def _page(
    request: AnyRequest,
    user: ConsoleUser,
    form: FilterForm,
    *,
    verdict: Verdict | None = None,
) -> Response[str]:
    async with platform_of(request).db.read() as session:
        member_choices, key_choices = await _choices(session, user.org_id)
        head = await session.get(AuditChainHead, user.org_id)
        rows: list[AuditEntry] = []
        next_cursor = None
        if form.error is None:
            page = await audit_page(
                session, user.org_id, form.wanted, form.paging.limit, form.paging.cursor
            )
            rows, next_cursor = list(page.rows), page.next_cursor
        names = await accounts.members_by_id(session, user.org_id, member_ids(rows))
    member_names = {member_id: member.name for member_id, member in names.items()}
    errors = (
        [f"{detail.field}: {detail.message}" for detail in form.error.details]
        if form.error is not None
        else []
    )
    return pages.render(
        request,
        user,
        "audit.html",
        status_code=400 if form.error is not None else 200,
        form=form,
        fields=FIELDS,
        errors=errors,
        entries=[EntryView(row, iso(row.occurred_at), _actor(row, member_names)) for row in rows],
        next_query=form.query(cursor=next_cursor) if next_cursor else "",
        first_query=form.query(),
        paged=form.paging.cursor is not None,
        member_choices=member_choices,
        key_choices=key_choices,
        head_seq=head.last_seq if head is not None else 0,
        sealed_at=iso(head.sealed_at) if head is not None else "",
        verdict=verdict,
    )


@get("/audit", guards=[admin_only])
async def audit_log(request: AnyRequest, user: UserDep) -> Response[str]:
    return await _page(request, user, filter_form(request.query_params))


@get("/audit.csv", guards=[admin_only])
async def audit_csv(request: AnyRequest, user: UserDep) -> Stream:
    """The filtered rows (every page), as GET /api/audit.csv writes them."""
    form = filter_form(request.query_params, paged=False)
    if form.error is not None:
        raise form.error  # the console's page naming each bad field
    platform = platform_of(request)
    audit_console_action(platform, request.scope, user, "audit.export", module=MODULE)
    filename = f"audit-{user.org_id}-{utcnow().date().isoformat()}.csv"
    return Stream(
        csv_chunks(platform.db, user.org_id, form.wanted),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@post("/audit/verify", guards=[admin_only], status_code=200)
async def audit_verify(request: AnyRequest, user: UserDep) -> Response[str]:
    """`finite audit verify` for the member's organization; the page shows its verdict."""
    platform = platform_of(request)
    verdict = await verify_chain(platform.db, user.org_id)
    broken = verdict.broken
    audit_console_action(
        platform,
        request.scope,
        user,
        "audit.verify",
        module=MODULE,
        changes={
            "intact": verdict.intact,
            "rows": verdict.rows,
            **({"broken_seq": broken.seq, "reason": broken.reason} if broken else {}),
        },
    )
    return await _page(request, user, filter_form(request.query_params), verdict=verdict)


HANDLERS = [audit_log, audit_csv, audit_verify]
