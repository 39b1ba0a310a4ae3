"""A member's optional second factor: a TOTP secret (RFC 6238 through pyotp; 30-second steps,
6 digits) and ten single-use recovery codes.

- The secret is generated here, sealed with the secret box and bound to its row
  (`member_totp.secret_sealed`, re-sealed by `finite secrets rotate`); it takes effect only once
  a code from the member's app confirms it, and is never shown after that.
- A code is taken for the current step or the one either side (clock drift), and only for a
  step later than the last one taken: the same code cannot be used twice, nor an older one. The
  step is written with a conditional UPDATE, so two requests racing with one code get one yes.
- Recovery codes are 80 random bits (16 base32 characters, shown in groups of four); only
  their SHA-256 is stored (at that strength a slow hash adds nothing), and each is marked used.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from typing import Literal

import pyotp
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.sealing import register_sealed
from finite.kit.errors import conflict, invalid_field
from finite.kit.secretbox import SecretBox, row_binding
from finite.models import MemberRecoveryCode, MemberTotp

ISSUER = "Finite"
RECOVERY_CODES = 10
DRIFT_STEPS = 1  # a code of the step before or after the current one is taken too
_BINDING = "totp_secret"
SEALED_TOTP = register_sealed(MemberTotp, "secret_sealed", _BINDING)
_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

CodeKind = Literal["totp", "recovery"]


def _binding(org_id: str, member_id: str) -> bytes:
    return row_binding(MemberTotp.__tablename__, org_id, member_id, _BINDING)


def provisioning_uri(secret: str, email: str) -> str:
    """The otpauth:// address an authenticator app reads (from a QR code or as typed)."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def _normalized(code: str) -> str:
    return "".join(char for char in code.upper() if char.isalnum())


def recovery_hash(code: str) -> str:
    return hashlib.sha256(_normalized(code).encode()).hexdigest()


def new_recovery_code() -> str:
    raw = "".join(secrets.choice(_BASE32) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


async def _row(session: AsyncSession, org_id: str, member_id: str) -> MemberTotp | None:
    return await session.get(MemberTotp, (org_id, member_id), populate_existing=True)


async def totp_enabled(session: AsyncSession, org_id: str, member_id: str) -> bool:
    query = select(MemberTotp.confirmed_at).where(
        MemberTotp.org_id == org_id, MemberTotp.id == member_id
    )
    return (await session.scalar(query)) is not None


async def start_setup(
    session: AsyncSession, box: SecretBox, org_id: str, member_id: str, now: datetime
) -> str:
    """A new secret, not yet in effect (replacing any unconfirmed one); returns it to show."""
    row = await _row(session, org_id, member_id)
    if row is not None and row.confirmed_at is not None:
        raise conflict("Two-step sign-in is on already; turn it off first to set up a new one.")
    secret = pyotp.random_base32()
    sealed = box.seal(secret, _binding(org_id, member_id))
    if row is None:
        session.add(MemberTotp(org_id=org_id, id=member_id, secret_sealed=sealed, created_at=now))
    else:
        row.secret_sealed, row.created_at, row.last_step = sealed, now, None
    await session.flush()
    return secret


async def setup_secret(
    session: AsyncSession, box: SecretBox, org_id: str, member_id: str
) -> str | None:
    """The secret being set up (not yet confirmed), to show again after a wrong code."""
    row = await _row(session, org_id, member_id)
    if row is None or row.confirmed_at is not None:
        return None
    return box.open(row.secret_sealed, _binding(org_id, member_id))


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(int(now.timestamp()))
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


async def _take_step(session: AsyncSession, row: MemberTotp, step: int) -> bool:
    """Record `step` as used unless it (or a later one) was already: True when this call did."""
    taken = await session.execute(
        update(MemberTotp)
        .where(
            MemberTotp.org_id == row.org_id,
            MemberTotp.id == row.id,
            (MemberTotp.last_step.is_(None)) | (MemberTotp.last_step < step),
        )
        .values(last_step=step)
        .execution_options(synchronize_session=False)
    )
    return int(taken.rowcount) == 1  # type: ignore[attr-defined]


async def confirm_setup(
    session: AsyncSession, box: SecretBox, org_id: str, member_id: str, code: str, now: datetime
) -> tuple[str, ...]:
    """A code from the app turns the secret on; returns the recovery codes (shown once)."""
    row = await _row(session, org_id, member_id)
    if row is None or row.confirmed_at is not None:
        raise conflict("There is no two-step sign-in being set up; start again.")
    secret = box.open(row.secret_sealed, _binding(org_id, member_id))
    step = _matching_step(secret, _normalized(code), now)
    if step is None or not await _take_step(session, row, step):
        raise invalid_field("code", "is not the current code of your authenticator app")
    await session.execute(
        update(MemberTotp)
        .where(MemberTotp.org_id == org_id, MemberTotp.id == member_id)
        .values(confirmed_at=now)
        .execution_options(synchronize_session=False)
    )
    return await _new_recovery_codes(session, org_id, member_id)


async def _new_recovery_codes(
    session: AsyncSession, org_id: str, member_id: str
) -> tuple[str, ...]:
    await session.execute(
        delete(MemberRecoveryCode).where(
            MemberRecoveryCode.org_id == org_id, MemberRecoveryCode.member_id == member_id
        )
    )
    codes = tuple(new_recovery_code() for _ in range(RECOVERY_CODES))
    session.add_all(
        MemberRecoveryCode(org_id=org_id, member_id=member_id, code_hash=recovery_hash(code))
        for code in codes
    )
    await session.flush()
    return codes


async def check_code(
    session: AsyncSession, box: SecretBox, org_id: str, member_id: str, code: str, now: datetime
) -> CodeKind | None:
    """Within the caller's transaction: a current TOTP code not used before, or an unused
    recovery code (marked used here). None: neither (or the second factor is off)."""
    row = await _row(session, org_id, member_id)
    if row is None or row.confirmed_at is None:
        return None
    given = _normalized(code)[:64]
    secret = box.open(row.secret_sealed, _binding(org_id, member_id))
    step = _matching_step(secret, given, now)
    if step is not None:
        return "totp" if await _take_step(session, row, step) else None
    if len(given) != 16:
        return None
    used = await session.execute(
        update(MemberRecoveryCode)
        .where(
            MemberRecoveryCode.org_id == org_id,
            MemberRecoveryCode.member_id == member_id,
            MemberRecoveryCode.code_hash == recovery_hash(given),
            MemberRecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return "recovery" if int(used.rowcount) == 1 else None  # type: ignore[attr-defined]


async def recovery_codes_left(session: AsyncSession, org_id: str, member_id: str) -> int:
    query = select(func.count()).where(
        MemberRecoveryCode.org_id == org_id,
        MemberRecoveryCode.member_id == member_id,
        MemberRecoveryCode.used_at.is_(None),
    )
    return int(await session.scalar(query) or 0)


async def turn_off(session: AsyncSession, org_id: str, member_id: str) -> None:
    await session.execute(
        delete(MemberRecoveryCode).where(
            MemberRecoveryCode.org_id == org_id, MemberRecoveryCode.member_id == member_id
        )
    )
    await session.execute(
        delete(MemberTotp).where(MemberTotp.org_id == org_id, MemberTotp.id == member_id)
    )
