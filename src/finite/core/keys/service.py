"""Creating, listing and revoking API keys. Never commits: callers own the transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.keys import repository, tokens
from finite.core.plans.catalog import Product
from finite.kit.clock import utcnow
from finite.kit.derived_keys import Peppers, hmac_sha256_hex
from finite.kit.errors import Problems, invalid_field, not_found
from finite.kit.ids import new_id
from finite.kit.validate import clean_text
from finite.models import ApiKey

HANDOVER_SCOPES: tuple[str, ...] = ("read", "write", "admin")


@dataclass(frozen=True, slots=True)
class CreatedKey:
    record: ApiKey
    token: str  # the full key: returned once, never stored


async def create_key(
    session: AsyncSession,
    peppers: Peppers,
    *,
    org_id: str,
    product: Product,
    name: str,
    member_id: str | None,
    scopes: Iterable[str] = (),
    expires_at: datetime | None = None,
    problems: Problems | None = None,
    expires_field: str = "expires_at",  # its name in the caller's body
) -> CreatedKey:
    """One VALIDATION_ERROR names every bad field, with those the caller found (`problems`)."""
    now = utcnow()
    problems = problems or Problems()
    clean_name = problems.clean(clean_text, "name", name, max_length=100)
    if expires_at is not None and expires_at <= now:
        problems.add(expires_field, "must be in the future")
    if product == "crm" and member_id is None:
        problems.add("member", "a CRM key belongs to a member")
    problems.raise_any()
    token = tokens.generate(product)
    record = ApiKey(
        id=new_id("key"),
        org_id=org_id,
        product=product,
        name=clean_name,
        member_id=member_id,
        scopes=normalize_scopes(scopes) if product == "handover" else [],
        secret_hash=hmac_sha256_hex(peppers.current, token),
        pepper_id=peppers.current.key_id,
        last_four=token[-4:],
        created_at=now,
        expires_at=expires_at,
    )
    session.add(record)
    await session.flush()
    return CreatedKey(record=record, token=token)


def normalize_scopes(scopes: Iterable[str]) -> list[str]:
    """Known scopes, de-duplicated, in canonical order; at least one."""
    wanted = {scope.strip().lower() for scope in scopes if scope.strip()}
    unknown = sorted(wanted.difference(HANDOVER_SCOPES))
    if unknown:
        raise invalid_field("scopes", f"unknown scope {unknown[0]!r}; use read, write or admin")
    if not wanted:
        raise invalid_field("scopes", "at least one of read, write, admin is required")
    return [scope for scope in HANDOVER_SCOPES if scope in wanted]


async def list_keys(
    session: AsyncSession, org_id: str, product: Product, member_id: str | None = None
) -> Sequence[ApiKey]:
    return await repository.keys_of(session, org_id, product, member_id)


async def revoke_key(session: AsyncSession, org_id: str, key_id: str, product: Product) -> ApiKey:
    """Revoke once; revoking again keeps the first time. Another org's key is simply not found."""
    key = await repository.key_in_org(session, org_id, key_id)
    if key is None or key.product != product:
        raise not_found("No such API key.")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        await session.flush()
    return key


def key_status(key: ApiKey, now: datetime) -> str:
    if key.revoked_at is not None:
        return "revoked"
    if key.expires_at is not None and key.expires_at <= now:
        return "expired"
    return "active"
