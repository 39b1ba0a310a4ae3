"""Turn an Authorization header into a Principal, or refuse with one uniform 401.

The key's row may come from the process's PrincipalCache, which keeps nothing past a change to
what it was read from: a revoked key, a changed role or a changed plan takes effect on the next
request in this process and, in every other process, as soon as PostgreSQL's notification of
the change arrives (milliseconds).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta

from finite.core.auth.header import bearer_token
from finite.core.auth.principal import MemberInfo, Principal, RoleInfo
from finite.core.auth.principal_cache import PrincipalCache, current_epoch
from finite.core.keys import repository, tokens
from finite.core.plans.catalog import Product
from finite.core.plans.entitlement import entitlement_for
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers, hmac_sha256_hex
from finite.kit.errors import AppError, unauthorized

LAST_USED_GRANULARITY = timedelta(seconds=60)


async def authenticate(
    db: Database,
    peppers: Peppers,
    headers: Iterable[tuple[bytes, bytes]],
    product: Product,
    cache: PrincipalCache | None = None,
) -> Principal:
    token = bearer_token(headers)
    if tokens.product_of(token) != product:  # checksum and prefix: no database query
        raise unauthorized()
    hashes = {pepper.key_id: hmac_sha256_hex(pepper, token) for pepper in peppers.all()}
    current_hash = hashes[peppers.current.key_id]
    epoch = current_epoch()
    row = cache.get(current_hash) if cache is not None else None
    if row is None:
        async with db.raw_read() as connection:
            row = await repository.principal_row(connection, list(hashes.values()))
        if row is None:
            raise unauthorized()
        if cache is not None:
            cache.put(current_hash, row, epoch)
    now = utcnow()
    if row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
        raise unauthorized()
    if row.product == "crm" and (row.member_id is None or row.role_id is None):
        raise unauthorized()
    if row.member_deactivated_at is not None:  # the member's keys stop with them
        raise unauthorized()

    stale_use = row.last_used_at is None or row.last_used_at < now - LAST_USED_GRANULARITY
    old_pepper = peppers.is_previous(row.pepper_id)
    if stale_use or old_pepper:
        async with db.transaction() as session:
            if old_pepper:
                current = peppers.current
                await repository.rehash(session, row.key_id, hashes[current.key_id], current.key_id)
            await repository.touch_last_used(session, row.key_id, now, LAST_USED_GRANULARITY)
        if cache is not None and not old_pepper:  # a new hash retires the entry anyway
            cache.put(current_hash, replace(row, last_used_at=now), epoch)
    return _principal(row, product, now)


async def principal_of_key(db: Database, key_id: str, product: Product) -> Principal:
    """The principal of a key known by its id, checked as a request's would be (revoked,
    expired, memberless, suspended: refused): for work the key asked for that runs later."""
    async with db.raw_read() as connection:
        row = await repository.principal_row_of_key(connection, key_id)
    now = utcnow()
    if row is None or row.product != product:
        raise unauthorized()
    if row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
        raise unauthorized()
    if row.product == "crm" and (row.member_id is None or row.role_id is None):
        raise unauthorized()
    if row.member_deactivated_at is not None:  # the member's keys stop with them
        raise unauthorized()
    return _principal(row, product, now)


def _principal(row: repository.PrincipalRow, product: Product, now: datetime) -> Principal:
    entitlement = entitlement_for(
        product,
        row.plan,
        row.status,
        row.trial_ends_at,
        row.rpm_override,
        row.webhooks_override,
        now,
    )
    if entitlement.suspended:
        raise AppError(
            403,
            "SUBSCRIPTION_SUSPENDED",
            f"This organization's {product} subscription is suspended; contact your account owner.",
        )
    return Principal(
        product=product,
        org_id=row.org_id,
        org_name=row.org_name,
        key_id=row.key_id,
        key_name=row.key_name,
        scopes=frozenset(row.scopes),
        member=None
        if row.member_id is None
        else MemberInfo(row.member_id, row.member_name or "", row.member_email or ""),
        role=None
        if row.role_id is None
        else RoleInfo(
            row.role_id, row.role_name or "", bool(row.role_is_admin), row.role_permissions or {}
        ),
        entitlement=entitlement,
        custom_fields_version=row.custom_fields_version,
    )
