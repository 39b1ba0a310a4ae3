"""How a pack states its support period, on the client page and in the PDF alike."""

from __future__ import annotations


def support_duration(days: int | None) -> str | None:
    """In days, as the pack states it: 30 days is not "a month"."""
    if days is None:
        return None
    return "1 day" if days == 1 else f"{days} days"
