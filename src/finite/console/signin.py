"""Signing in: an email and a password (and, only when they open accounts in several
organizations, which one), limited per account and per address.

- Every attempt counts against the typed email's window and the address's (the platform's rate
  limiter: Redis when configured, else memory), before any password is checked, so parallel
  guesses are limited too. The account's key is the email's hash, whether or not it exists.
- A failure says only that the email or password is not right: an unknown email, a wrong
  password, a member without a password or a deactivated one. With no account to check, the
  password is checked against a dummy hash, so each takes about the same time.
- With a second factor on, the right password starts a pending sign-in (pending.py) instead
  of a session: the session starts at the second step (second_step.py), after a code.
- Members are unique per organization and email, so one email may open several accounts: the
  password is checked against each (at most MAX_ACCOUNTS); when it opens more than one, the
  form asks which organization — shown only to whoever knew the password.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlalchemy import or_, select

from finite.console.pending import start_pending
from finite.console.sessions import end_expired_sessions, start_session
from finite.core.accounts.passwords import MAX_LENGTH, password_matches
from finite.core.accounts.second_factor import totp_enabled
from finite.core.ratelimit.limiter import RateDecision
from finite.models import Member, MemberCredential, Organization
from finite.platform.state import Platform

ACCOUNT_TRIES_PER_MINUTE = 5
ADDRESS_TRIES_PER_MINUTE = 20
MAX_ACCOUNTS = 10
_LIMITER_SCOPE = "console-sign-in"  # the limiter's hash tag for these windows

Outcome = Literal["signed_in", "failed", "limited", "choose_org", "needs_code"]


@dataclass(frozen=True, slots=True)
class Account:
    member: Member
    org_name: str
    password_hash: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class Attempt:
    email: str
    password: str
    organization: str  # an organization's id or exact name; "" when not chosen
    client_ip: str
    user_agent: str | None


@dataclass(frozen=True, slots=True)
class SignIn:
    outcome: Outcome
    member: Member | None = None
    session_id: str | None = None  # for the cookie, when signed in
    message: str = ""
    retry_after: int = 0
    choices: tuple[tuple[str, str], ...] = ()  # (org id, org name) when choose_org
    tried: tuple[Account, ...] = field(default=())  # the accounts the email named (audit)
    pending_token: str | None = field(default=None, repr=False)  # when needs_code


def _account_key(email: str) -> str:
    return hashlib.sha256(email.encode("utf-8", "replace")).hexdigest()[:32]


async def _limited(platform: Platform, attempt: Attempt) -> SignIn | None:
    limiter = platform.limiter
    by_address = await limiter.hit(
        _LIMITER_SCOPE, f"address:{attempt.client_ip}", ADDRESS_TRIES_PER_MINUTE
    )
    if not by_address.allowed:
        return _limit("from this address", by_address)
    by_account = await limiter.hit(
        _LIMITER_SCOPE, f"account:{_account_key(attempt.email)}", ACCOUNT_TRIES_PER_MINUTE
    )
    if not by_account.allowed:
        return _limit("for this account", by_account)
    return None


def _limit(whose: str, decision: RateDecision) -> SignIn:
    wait = decision.reset_after
    return SignIn(
        "limited",
        message=f"Too many sign-in attempts {whose}. Wait {wait} seconds, then try again.",
        retry_after=wait,
    )


async def _accounts(platform: Platform, email: str, organization: str) -> tuple[Account, ...]:
    query = (
        select(Member, MemberCredential.password_hash, Organization.name)
        .join(
            MemberCredential,
            (MemberCredential.org_id == Member.org_id) & (MemberCredential.member_id == Member.id),
        )
        .join(Organization, Organization.id == Member.org_id)
        .where(Member.email == email, Member.deactivated_at.is_(None))
        .order_by(Organization.name, Member.org_id)
        .limit(MAX_ACCOUNTS)
    )
    if organization:
        query = query.where(or_(Organization.id == organization, Organization.name == organization))
    async with platform.db.read() as session:
        rows = (await session.execute(query)).all()
    return tuple(Account(member, org_name, hashed) for member, hashed, org_name in rows)


async def sign_in(platform: Platform, attempt: Attempt, now: datetime) -> SignIn:
    email = attempt.email.strip().lower()
    organization = attempt.organization.strip()
    attempt = Attempt(email, attempt.password, organization, attempt.client_ip, attempt.user_agent)
    limited = await _limited(platform, attempt)
    if limited is not None:
        return limited
    too_long = len(email) > 320 or len(attempt.password) > MAX_LENGTH
    accounts = () if too_long else await _accounts(platform, email, organization)
    opened: list[Account] = []
    if not accounts:
        await password_matches(None, attempt.password[:MAX_LENGTH])  # the time a real check takes
    for account in accounts:
        if await password_matches(account.password_hash, attempt.password):
            opened.append(account)
    tried = accounts
    if not opened:
        return SignIn("failed", message="The email or password is not right.", tried=tried)
    if len(opened) > 1:
        choices = tuple((a.member.org_id, a.org_name) for a in opened)
        return SignIn(
            "choose_org",
            message="This email and password open accounts in several organizations: "
            "choose one, and enter the password again.",
            choices=choices,
            tried=tried,
        )
    member = opened[0].member
    async with platform.db.transaction() as session:
        if await totp_enabled(session, member.org_id, member.id):
            token = await start_pending(session, member, now)
            return SignIn("needs_code", member=member, pending_token=token, tried=tried)
        await end_expired_sessions(session, member.org_id, member.id, now)
        session_id = await start_session(
            session, member, now, client_ip=attempt.client_ip, user_agent=attempt.user_agent
        )
    return SignIn("signed_in", member=member, session_id=session_id, tried=tried)
