"""The client page's options of a pack: the optional pack password (stored as argon2id, never
shown back) and whether credentials wait for the client's sign-off."""

from __future__ import annotations

from typing import Any

from msgspec import UNSET
from sqlalchemy.ext.asyncio import AsyncSession

from finite.handover.packs import lookup
from finite.handover.packs.pack_password import hash_password
from finite.handover.packs.schemas import PackAccessOut, PackAccessPatch
from finite.kit.clock import utcnow
from finite.platform.unit_of_work import Changed


async def update_access(
    session: AsyncSession, org_id: str, project_id: str, data: PackAccessPatch
) -> Changed[PackAccessOut]:
    project = await lookup.project_or_404(session, org_id, project_id)
    pack = await lookup.pack_of(session, project)
    diff: dict[str, Any] = {}
    had_password = pack.password_hash is not None
    if data.password is not UNSET:
        pack.password_hash = None if data.password is None else await hash_password(data.password)
        # The audit names whether a password is set, never the password or its hash.
        diff["packPassword"] = {
            "before": "set" if had_password else None,
            "after": "set" if data.password is not None else None,
        }
    if data.credentials_after_sign_off is not UNSET:
        before = pack.credentials_after_signoff
        pack.credentials_after_signoff = data.credentials_after_sign_off
        if before != data.credentials_after_sign_off:
            diff["credentialsAfterSignOff"] = {
                "before": before,
                "after": data.credentials_after_sign_off,
            }
    if diff:
        pack.updated_at = utcnow()
    out = PackAccessOut(
        has_password=pack.password_hash is not None,
        credentials_after_sign_off=pack.credentials_after_signoff,
    )
    return Changed(out, diff)
