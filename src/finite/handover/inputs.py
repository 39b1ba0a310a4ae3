"""Input checks shared by the handover services; each error names the field (camelCase path)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from finite.kit.errors import invalid_field
from finite.kit.validate import clean_text

MAX_TITLE = 200
MAX_TEXT = 10_000
MAX_URL = 2048

_LINE_BREAKS = str.maketrans("", "", "\n\r\t")
_BLANK_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]")


def title(field: str, value: str, max_length: int = MAX_TITLE) -> str:
    return clean_text(field, value, max_length=max_length)


def optional_title(field: str, value: str | None, max_length: int = MAX_TITLE) -> str | None:
    if value is None or not value.strip():
        return None
    return clean_text(field, value, max_length=max_length)


def text(field: str, value: str, max_length: int = MAX_TEXT) -> str:
    """Free text (descriptions, notes): trimmed, may be empty, line breaks allowed."""
    cleaned = value.strip()
    if len(cleaned) > max_length:
        raise invalid_field(field, f"must be at most {max_length} characters")
    if any(ord(char) < 32 for char in cleaned.translate(_LINE_BREAKS)):
        raise invalid_field(field, "must not contain control characters")
    return cleaned


def url(field: str, value: str | None) -> str | None:
    """An http(s) link or nothing: the client page renders these, so no other schemes."""
    if value is None or not value.strip():
        return None
    cleaned = value.strip()
    if len(cleaned) > MAX_URL:
        raise invalid_field(field, f"must be at most {MAX_URL} characters")
    try:
        parts = urlsplit(cleaned)
    except ValueError:  # e.g. "Invalid IPv6 URL" for an unbalanced "["
        parts = None
    if (
        parts is None
        or parts.scheme.lower() not in ("http", "https")
        or not parts.netloc
        or _BLANK_OR_CONTROL.search(cleaned)
    ):
        raise invalid_field(field, "must be an http:// or https:// URL")
    return cleaned


def lines(field: str, values: list[str], max_length: int = 500) -> list[str]:
    """A list of short entries (support included/excluded): blanks dropped, each one line."""
    cleaned = []
    for index, value in enumerate(values):
        if value.strip():
            cleaned.append(clean_text(f"{field}[{index}]", value, max_length=max_length))
    return cleaned
