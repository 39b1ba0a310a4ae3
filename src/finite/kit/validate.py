"""Small input checks shared by services; each raises a VALIDATION_ERROR naming the field."""

from __future__ import annotations

import re

from finite.kit.errors import invalid_field

# One rule for members, clients and records; no blank or control character anywhere.
EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s.\x00-\x1f\x7f]+$")

# The same rules as JSON Schema patterns, for the OpenAPI documents. Blank (`_WS`) is what
# str.strip() and Python's `\s` take, spelled out: JSON Schema's `\s` (ECMA-262's) differs.
_WS = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_CONTROL = r"\x00-\x1f\x7f"
_TEXT = "[^\\x00-\\x1f]"  # no C0 control character
_SOLID = f"[^\\x00-\\x1f{_WS}]"  # neither blank nor control
# `clean_text`: after trimming, not empty and no control character.
CLEAN_TEXT_PATTERN = f"^[{_WS}]*{_TEXT}*{_SOLID}{_TEXT}*[{_WS}]*$"
OPTIONAL_TEXT_PATTERN = f"^[{_WS}]*({_TEXT}*{_SOLID}{_TEXT}*[{_WS}]*)?$"  # or blank
# Free text: trimmed, may be empty, line breaks and tabs allowed inside.
TEXT_PATTERN = f"^[{_WS}]*[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f]*[{_WS}]*$"
# An http(s) link with a host and no blank or control character, or blank (handover/inputs.py).
# (An IPv6 literal host, `[…]`, is taken too but not described.)
_URL_CHAR = f"[^{_WS}{_CONTROL}"
URL_PATTERN = (
    f"^[{_WS}]*([Hh][Tt][Tt][Pp][Ss]?://{_URL_CHAR}/?#\\[\\]]+([/?#]{_URL_CHAR}]*)?)?[{_WS}]*$"
)
_EMAIL_CHAR = f"[^@{_WS}{_CONTROL}"
EMAIL_PATTERN = f"^[{_WS}]*{_EMAIL_CHAR}]+@{_EMAIL_CHAR}]+\\.{_EMAIL_CHAR}.]+[{_WS}]*$"


def clean_text(field_name: str, value: str, *, max_length: int) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise invalid_field(field_name, "must not be empty")
    if len(cleaned) > max_length:
        raise invalid_field(field_name, f"must be at most {max_length} characters")
    if any(ord(char) < 32 for char in cleaned):
        raise invalid_field(field_name, "must not contain control characters")
    return cleaned


def normalize_email(field_name: str, value: str) -> str:
    """Trimmed and lower-cased; aliases (plus addressing, dots) are kept as they are."""
    email = value.strip().lower()
    if len(email) > 320 or not EMAIL.match(email):
        raise invalid_field(field_name, "must be a valid email address")
    return email
