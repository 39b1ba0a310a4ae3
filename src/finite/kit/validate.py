"""Small input checks shared by services; each raises a VALIDATION_ERROR naming the field."""

from __future__ import annotations

import re

from finite.kit.errors import invalid_field

# One rule for members, clients and records; no control characters (a line break in an address
# would add a header to the mail it is written into).
EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s.\x00-\x1f\x7f]+$")


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
