"""Client rules: emails normalized and unique per organization; never commits."""

from __future__ import annotations

from dataclasses import dataclass

from msgspec import UNSET
from sqlalchemy.ext.asyncio import AsyncSession

from finite.handover import diffs, inputs
from finite.handover.clients import repository
from finite.handover.clients.schemas import ClientIn, ClientOut, ClientPatch, client_out
from finite.handover.paging import window
from finite.handover.unique import change_unique, insert_unique
from finite.kit.clock import utcnow
from finite.kit.errors import AppError, ErrorDetail, Problems, not_found
from finite.kit.ids import new_id
from finite.kit.paging import Window
from finite.kit.validate import normalize_email
from finite.models import HandoverClient
from finite.platform.unit_of_work import Changed


@dataclass(frozen=True, slots=True)
class Found:
    client: HandoverClient
    created: bool


def taken(email: str) -> AppError:
    return AppError(
        409,
        "CONFLICT",
        f"A client with the email {email} already exists.",
        [ErrorDetail("email", "is already used by another client")],
    )


async def get_client(session: AsyncSession, org_id: str, client_id: str) -> HandoverClient:
    client = await repository.get(session, org_id, client_id)
    if client is None:
        raise not_found("No client with this id.")
    return client


async def list_clients(
    session: AsyncSession, org_id: str, search: str | None, before: str | None, limit: int
) -> Window[HandoverClient]:
    term = search.strip() if search else None
    rows = await repository.newest_first(session, org_id, term or None, before, limit + 1)
    return window(rows, limit, lambda row: row.id)


async def create_client(session: AsyncSession, org_id: str, data: ClientIn) -> Changed[ClientOut]:
    found = await find_or_create(
        session, org_id, data.name, data.email, data.company, name_field="name", email_field="email"
    )
    if not found.created:
        raise taken(found.client.email)
    out = client_out(found.client)
    return Changed(out, diffs.created({"id": out.id, "name": out.name, "email": out.email}))


async def find_or_create(
    session: AsyncSession,
    org_id: str,
    name: str,
    email: str,
    company: str | None = None,
    *,
    name_field: str,
    email_field: str,
    company_field: str = "company",
) -> Found:
    """The organization's client with this normalized email, or a new one. A concurrent insert
    of the same email is caught by the unique index and its row reused: never a duplicate."""
    problems = Problems()
    check_details(
        problems,
        name,
        email,
        company,
        name_field=name_field,
        email_field=email_field,
        company_field=company_field,
    )
    problems.raise_any()
    normalized = normalize_email(email_field, email)
    clean_name = inputs.title(name_field, name)
    existing = await repository.by_email(session, org_id, normalized)
    if existing is not None:
        return Found(existing, created=False)
    now = utcnow()
    client = HandoverClient(
        org_id=org_id,
        id=new_id("client"),
        name=clean_name,
        email=normalized,
        company=inputs.optional_title(company_field, company),
        created_at=now,
        updated_at=now,
    )
    if await insert_unique(session, client):
        return Found(client, created=True)
    winner = await repository.by_email(session, org_id, normalized)
    if winner is None:  # the violation was not the email's: let it surface
        raise RuntimeError("client insert failed without an existing email")
    return Found(winner, created=False)


def check_details(
    problems: Problems,
    name: str,
    email: str,
    company: str | None,
    *,
    name_field: str,
    email_field: str,
    company_field: str = "company",
) -> None:
    """A client's name, email and company, each bad one noted in `problems`."""
    problems.clean(inputs.title, name_field, name)
    problems.clean(normalize_email, email_field, email)
    problems.clean(inputs.optional_title, company_field, company)


async def update_client(
    session: AsyncSession, org_id: str, client_id: str, patch: ClientPatch
) -> Changed[ClientOut]:
    client = await get_client(session, org_id, client_id)
    problems = Problems()
    name = client.name if patch.name is UNSET else problems.clean(inputs.title, "name", patch.name)
    email = (
        client.email
        if patch.email is UNSET
        else problems.clean(normalize_email, "email", patch.email)
    )
    company = (
        client.company
        if patch.company is UNSET
        else problems.clean(inputs.optional_title, "company", patch.company)
    )
    problems.raise_any()
    diff = diffs.changed(
        {"name": client.name, "email": client.email, "company": client.company},
        {"name": name, "email": email, "company": company},
    )
    if diff:

        def apply() -> None:
            client.name, client.email, client.company = name, email, company
            client.updated_at = utcnow()

        if not await change_unique(session, apply):
            raise taken(email)
    return Changed(client_out(client), diff)
