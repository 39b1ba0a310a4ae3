"""Two-step sign-in: TOTP turned on with a confirmed code, asked for after the password, each
code taken once, guesses limited per account, recovery codes single-use, and neither the
secret nor a recovery code stored in the clear."""

from __future__ import annotations

import pyotp
from sqlalchemy import select, update

from finite.console.cookies import COOKIE
from finite.core.accounts.second_factor import SEALED_TOTP, recovery_hash
from finite.core.sealing import sealed_columns
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.models import AuditEntry, ConsolePendingSignIn, MemberRecoveryCode, MemberTotp
from finite.platform.state import Platform
from tests.console.helpers import PASSWORD, Client, make_console_member, post_form, sign_in
from tests.console.totp_steps import code_at, code_step, password_step, turn_on_totp
from tests.database_dump import dump_database
from tests.factories import OrgSetup

WRONG = "That code is not right, or was used already."


def _not_a_current_code(secret: str) -> str:
    taken = {code_at(secret, steps) for steps in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in taken)


async def test_turning_on_needs_a_current_code_from_the_app(
    client: Client, db: Database, org: OrgSetup
) -> None:
    member = await make_console_member(db, org.org_id)
    signed = await sign_in(client, member.email)
    page = await client.get("/console/account")
    assert "Set up two-step sign-in" in page.text
    setup = await post_form(client, "/console/account/totp/setup", signed)
    assert setup.status_code == 200
    assert "otpauth://totp/Finite:" in setup.text
    assert 'src="data:image/svg+xml' in setup.text  # the QR code
    secret = setup.text.split('id="totp-secret">')[1].split("<")[0].replace(" ", "")

    wrong = await post_form(
        client, "/console/account/totp/confirm", signed, {"code": _not_a_current_code(secret)}
    )
    assert wrong.status_code == 400
    assert WRONG in wrong.text
    async with db.read() as session:
        row = await session.get(MemberTotp, (org.org_id, member.member_id))
    assert row is not None
    assert row.confirmed_at is None  # not in effect yet: signing in asks for no code
    await sign_in(client, member.email)

    signed = await sign_in(client, member.email)
    confirmed = await post_form(
        client, "/console/account/totp/confirm", signed, {"code": pyotp.TOTP(secret).now()}
    )
    assert confirmed.status_code == 200
    assert "shown only this once" in confirmed.text
    page = await client.get("/console/account")
    assert "Turn two-step sign-in off" in page.text
    assert "10</strong> unused recovery codes" in page.text
    assert secret not in page.text  # never shown again
    again = await post_form(client, "/console/account/totp/setup", signed)
    assert again.status_code == 409  # on already: no new secret over it


async def test_signing_in_asks_for_the_code_after_the_password(
    client: Client, db: Database, org: OrgSetup
) -> None:
    member = await make_console_member(db, org.org_id)
    secret, _codes = await turn_on_totp(client, await sign_in(client, member.email))
    client.cookies.clear()

    pending = await password_step(client, member.email, PASSWORD)
    assert (await client.get("/console/", follow_redirects=False)).status_code == 303
    answer = await code_step(client, pending, code_at(secret), next="/console/account")
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/console/account"
    assert answer.cookies.get(COOKIE)
    assert (await client.get("/console/account")).status_code == 200
    # The pending sign-in opened its one session.
    assert (await code_step(client, pending, code_at(secret, 1))).headers["location"] == (
        "/console/login?done=expired"
    )


async def test_a_wrong_code_is_refused_and_guesses_are_limited(
    client: Client, db: Database, org: OrgSetup
) -> None:
    member = await make_console_member(db, org.org_id)
    secret, _codes = await turn_on_totp(client, await sign_in(client, member.email))
    client.cookies.clear()
    pending = await password_step(client, member.email, PASSWORD)
    wrong = _not_a_current_code(secret)
    for _ in range(4):  # the 5th code of the minute: the confirming one counted too
        answer = await code_step(client, pending, wrong)
        assert answer.status_code == 401
        assert WRONG in answer.text
        assert COOKIE not in answer.cookies
    limited = await code_step(client, pending, code_at(secret))
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0
    assert "Too many codes" in limited.text
    assert COOKIE not in limited.cookies
    # A fresh password step does not reset the account's window.
    again = await password_step(client, member.email, PASSWORD)
    assert (await code_step(client, again, code_at(secret))).status_code == 429


async def test_a_code_is_taken_once(client: Client, db: Database, org: OrgSetup) -> None:
    member = await make_console_member(db, org.org_id)
    secret, _codes = await turn_on_totp(client, await sign_in(client, member.email))
    client.cookies.clear()
    code = code_at(secret)
    first = await code_step(client, await password_step(client, member.email, PASSWORD), code)
    assert first.status_code == 303
    client.cookies.clear()
    pending = await password_step(client, member.email, PASSWORD)
    reused = await code_step(client, pending, code)
    assert reused.status_code == 401
    assert WRONG in reused.text
    older = await code_step(client, pending, code_at(secret, -1))  # before the one taken
    assert older.status_code == 401
    assert (await code_step(client, pending, code_at(secret, 1))).status_code == 303


async def test_a_recovery_code_signs_in_once(client: Client, db: Database, org: OrgSetup) -> None:
    member = await make_console_member(db, org.org_id)
    _secret, codes = await turn_on_totp(client, await sign_in(client, member.email))
    client.cookies.clear()
    pending = await password_step(client, member.email, PASSWORD)
    used = await code_step(client, pending, codes[0].lower().replace("-", " "))
    assert used.status_code == 303, used.text
    client.cookies.clear()
    pending = await password_step(client, member.email, PASSWORD)
    assert (await code_step(client, pending, codes[0])).status_code == 401
    assert (await code_step(client, pending, codes[1])).status_code == 303
    page = await client.get("/console/account")
    assert "8</strong> unused recovery codes" in page.text

    platform = client.app.state.platform
    assert isinstance(platform, Platform)
    assert client.blocking_portal.call(platform.audit.flush)
    async with db.read() as session:
        actions = (
            await session.scalars(
                select(AuditEntry.action).where(
                    AuditEntry.org_id == org.org_id, AuditEntry.member_id == member.member_id
                )
            )
        ).all()
    assert actions.count("recovery_code.use") == 2
    assert "totp.enable" in actions
    assert "sign_in_code_failed" in actions


async def test_an_expired_pending_sign_in_starts_over(
    client: Client, db: Database, org: OrgSetup
) -> None:
    member = await make_console_member(db, org.org_id)
    secret, _codes = await turn_on_totp(client, await sign_in(client, member.email))
    client.cookies.clear()
    pending = await password_step(client, member.email, PASSWORD)
    async with db.transaction() as session:
        await session.execute(update(ConsolePendingSignIn).values(expires_at=utcnow()))
    answer = await code_step(client, pending, code_at(secret))
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/login?done=expired"
    assert COOKIE not in answer.cookies
    assert (await code_step(client, "made-up", code_at(secret))).status_code == 303


async def test_the_secret_and_recovery_codes_are_stored_sealed_and_hashed(
    client: Client, db: Database, org: OrgSetup, database_url: str
) -> None:
    member = await make_console_member(db, org.org_id)
    secret, codes = await turn_on_totp(client, await sign_in(client, member.email))
    dump = await dump_database(db, database_url)
    assert secret.encode() not in dump
    for code in codes:
        assert code.encode() not in dump
        assert code.replace("-", "").encode() not in dump
        assert recovery_hash(code).encode() in dump
    platform = client.app.state.platform
    assert isinstance(platform, Platform)
    async with db.read() as session:
        row = await session.get(MemberTotp, (org.org_id, member.member_id))
        hashes = (
            await session.scalars(
                select(MemberRecoveryCode.code_hash).where(
                    MemberRecoveryCode.member_id == member.member_id
                )
            )
        ).all()
    assert row is not None
    assert len(hashes) == 10
    # Sealed with the secret box, bound to this row: it opens here and nowhere else.
    binding = SEALED_TOTP.binding_of(org.org_id, member.member_id)
    assert platform.secrets.open(row.secret_sealed, binding) == secret
    assert SEALED_TOTP in sealed_columns()  # `finite secrets rotate` re-seals it


async def test_turning_off_needs_the_password_and_a_code(
    client: Client, db: Database, org: OrgSetup
) -> None:
    member = await make_console_member(db, org.org_id)
    signed = await sign_in(client, member.email)
    secret, _codes = await turn_on_totp(client, signed)
    no_password = await post_form(
        client,
        "/console/account/totp/disable",
        signed,
        {"password": "not the password", "code": code_at(secret)},
    )
    assert no_password.status_code == 401
    no_code = await post_form(
        client,
        "/console/account/totp/disable",
        signed,
        {"password": PASSWORD, "code": _not_a_current_code(secret)},
    )
    assert no_code.status_code == 401
    off = await post_form(
        client,
        "/console/account/totp/disable",
        signed,
        {"password": PASSWORD, "code": code_at(secret)},
    )
    assert off.status_code == 303
    assert off.headers["location"] == "/console/account?done=totp-off"
    async with db.read() as session:
        assert await session.get(MemberTotp, (org.org_id, member.member_id)) is None
        left = await session.scalar(
            select(MemberRecoveryCode.code_hash).where(
                MemberRecoveryCode.member_id == member.member_id
            )
        )
    assert left is None
    client.cookies.clear()
    await sign_in(client, member.email)  # the password alone again
