"""The sign-off form: its CSRF token and the check of what the client typed.

The form token is an HMAC of the link's id under a key derived for this purpose: only a page
this server rendered for this link carries it, so a form posted from elsewhere (or one copied
from another link's page) is refused. With the same-origin check, that makes the POST CSRF-safe
without a session.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field
from functools import cache

from finite.handover.client_page.consent import CONSENT_VERSION
from finite.kit.derived_keys import DerivedKey, derive_key
from finite.kit.validate import EMAIL_PATTERN

_PURPOSE = "finite client-page sign-off form"
MAX_NAME = 200
MAX_EMAIL = 320
_EMAIL = re.compile(EMAIL_PATTERN)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@cache
def _key(secret: str) -> DerivedKey:
    return derive_key(secret, _PURPOSE)


def form_token(secret: str, link_id: str) -> str:
    return hmac.new(_key(secret).key, link_id.encode(), hashlib.sha256).hexdigest()


def token_matches(secret: str, link_id: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(form_token(secret, link_id), given or "")


@dataclass(slots=True)
class Filled:
    """What the form sent, trimmed, and each field's problem (empty when it can be signed)."""

    name: str
    email: str
    consent: bool
    errors: dict[str, str] = field(default_factory=dict)


def check(form: dict[str, list[str]]) -> Filled:
    def one(name: str) -> str:
        return (form.get(name) or [""])[0].strip()

    filled = Filled(name=one("name"), email=one("email"), consent=one("consent") == "yes")
    if not filled.name:
        filled.errors["name"] = "Enter your full name."
    elif len(filled.name) > MAX_NAME or _CONTROL.search(filled.name):
        filled.errors["name"] = f"Enter your name in at most {MAX_NAME} ordinary characters."
    if not filled.email:
        filled.errors["email"] = "Enter your email address."
    elif len(filled.email) > MAX_EMAIL or not _EMAIL.match(filled.email):
        filled.errors["email"] = "Enter an email address like name@example.com."
    if not filled.consent:
        filled.errors["consent"] = "Tick the box to confirm the statement above."
    elif one("consent_version") != CONSENT_VERSION:
        filled.errors["consent"] = (
            "The statement changed since this page was opened: read it again and confirm."
        )
    return filled
