"""Turn msgspec's decode errors into a field name and a reason a person can act on."""

from __future__ import annotations

import re

_AT_PATH = re.compile(r"^(?P<reason>.*) - at `\$(?P<path>[^`]*)`$")
_MISSING = re.compile(r"^Object missing required field `(?P<field>[^`]+)`$")
_UNKNOWN = re.compile(r"^Object contains unknown field `(?P<field>[^`]+)`$")


def field_and_reason(message: str) -> tuple[str | None, str]:
    """E.g. ``Expected `int` - at `$.items[0].qty``` → ``("items[0].qty", "Expected `int`")``."""
    path = ""
    match = _AT_PATH.match(message)
    if match:
        message, path = match["reason"], match["path"].lstrip(".")
    for pattern, reason in ((_MISSING, "is required"), (_UNKNOWN, "is not a known field")):
        found = pattern.match(message)
        if found:
            return _join(path, found["field"]), reason
    return (path or None), message


def _join(parent: str, child: str) -> str:
    return f"{parent}.{child}" if parent else child
