"""Turn an Authorization header into a Principal, or refuse with one uniform 401.

No cache sits in front of the database lookup: a revoked key, a changed role or a changed plan
takes effect on the very next request in every process.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from finite.core.auth.header import bearer_token
from finite.core.auth.principal import MemberInfo, Principal, RoleInfo
from finite.core.keys import repository, tokens
from finite.core.plans.catalog import Product
from finite.core.plans.entitlement import entitlement_of
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers, hmac_sha256_hex
from finite.kit.errors import AppError, unauthorized

LAST_USED_GRANULARITY = timedelta(seconds=60)


async def authenticate(
    db: Database, peppers: Peppers, headers: Iterable[tuple[bytes, bytes]], product: Product
) -> Principal:
    token = bearer_token(headers)
    if tokens.product_of(token) != product:  # checksum and prefix: no database query
        raise unauthorized()
    hashes = {pepper.key_id: hmac_sha256_hex(pepper, token) for pepper in peppers.all()}
    async with db.read() as session:
        row = await repository.principal_row(session, list(hashes.values()))
    if row is None:
        raise unauthorized()
    key, org, subscription, member, role = row.key, row.org, row.subscription, row.member, row.role
    now = utcnow()
    if key.revoked_at is not None or (key.expires_at is not None and key.expires_at <= now):
        raise unauthorized()
    if key.product == "crm" and (member is None or role is None):
        raise unauthorized()

    stale_use = key.last_used_at is None or key.last_used_at < now - LAST_USED_GRANULARITY
    old_pepper = key.pepper_id != peppers.current.key_id
    if stale_use or old_pepper:
        async with db.transaction() as session:
            if old_pepper:
                current = peppers.current
                await repository.rehash(session, key.id, hashes[current.key_id], current.key_id)
            await repository.touch_last_used(session, key.id, now, LAST_USED_GRANULARITY)

    entitlement = entitlement_of(subscription, now)
    if entitlement.suspended:
        raise AppError(
            403,
            "SUBSCRIPTION_SUSPENDED",
            f"This organization's {product} subscription is suspended; contact your account owner.",
        )
    return Principal(
        product=product,
        org_id=org.id,
        org_name=org.name,
        key_id=key.id,
        key_name=key.name,
        scopes=frozenset(key.scopes),
        member=None if member is None else MemberInfo(member.id, member.name, member.email),
        role=None
        if role is None
        else RoleInfo(role.id, role.name, role.is_admin, role.permissions),
        entitlement=entitlement,
    )
