"""Field diffs for audit rows: ``{field: {"before": …, "after": …}}``, JSON-safe, secret-free."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

HIDDEN = "[hidden]"


def json_safe(value: Any) -> Any:
    return msgspec.to_builtins(value)


def created(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {name: {"before": None, "after": json_safe(value)} for name, value in fields.items()}


def deleted(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {name: {"before": json_safe(value), "after": None} for name, value in fields.items()}


def changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """Only the fields whose value differs."""
    diff = {}
    for name, value in after.items():
        old = json_safe(before.get(name))
        new = json_safe(value)
        if old != new:
            diff[name] = {"before": old, "after": new}
    return diff


def secret(had: bool, has: bool) -> dict[str, Any]:
    """A secret's change, told without its value."""
    return {"before": HIDDEN if had else None, "after": HIDDEN if has else None}
