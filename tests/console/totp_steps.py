"""What the two-step sign-in tests share: turning TOTP on through the account page, and codes
of a chosen time step (a code is taken once per step, so each use picks a fresh one)."""

from __future__ import annotations

import html
import re
import time

import httpx
import pyotp

from tests.console.helpers import BROWSER, SAME_ORIGIN, Client, SignedIn, login_form, post_form

_SECRET = re.compile(r'id="totp-secret">([^<]+)</code>')
_CODES = re.compile(r"<li><code>([A-Z2-7-]{19})</code></li>")
_PENDING = re.compile(r'name="pending" value="([^"]+)"')


def code_at(secret: str, steps_from_now: int = 0) -> str:
    """The code of the step `steps_from_now` away (-1, 0, 1 are taken: clock drift)."""
    return pyotp.TOTP(secret).at(time.time() + 30 * steps_from_now)


async def turn_on_totp(client: Client, signed: SignedIn) -> tuple[str, list[str]]:
    """Set up and confirm (with the previous step's code); the secret and recovery codes."""
    setup = await post_form(client, "/console/account/totp/setup", signed)
    assert setup.status_code == 200, setup.text
    found = _SECRET.search(setup.text)
    assert found is not None, setup.text
    secret = html.unescape(found.group(1)).replace(" ", "")
    confirmed = await post_form(
        client, "/console/account/totp/confirm", signed, {"code": code_at(secret, -1)}
    )
    assert confirmed.status_code == 200, confirmed.text
    codes = _CODES.findall(confirmed.text)
    assert len(codes) == 10, confirmed.text
    return secret, codes


async def password_step(client: Client, email: str, password: str) -> str:
    """The right password with TOTP on: the code form, and its pending token."""
    answer = await client.post(
        "/console/login",
        data=login_form(email, password),
        headers={**SAME_ORIGIN, **BROWSER},
        follow_redirects=False,
    )
    assert answer.status_code == 200, answer.text
    assert "finite_console=" not in answer.headers.get("set-cookie", "")
    found = _PENDING.search(answer.text)
    assert found is not None, answer.text
    return found.group(1)


async def code_step(client: Client, pending: str, code: str, **form: str) -> httpx.Response:
    return await client.post(
        "/console/login/code",
        data={"pending": pending, "code": code, **form},
        headers={**SAME_ORIGIN, **BROWSER},
        follow_redirects=False,
    )
