"""Decimals as exact JSON numbers: msgspec writes them as strings unless told otherwise."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec


def exact_numbers(value: Any) -> Any:
    """Wrap every Decimal (recursively) so it is written as the number it is, digit for digit."""
    if isinstance(value, Decimal):
        return msgspec.Raw(format(value, "f").encode())
    if isinstance(value, dict):
        return {key: exact_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [exact_numbers(item) for item in value]
    return value
