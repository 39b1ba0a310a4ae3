"""Endpoints never open a write transaction or commit: platform/unit_of_work.py is the one place
a write commits, with its audit row."""

from __future__ import annotations

from pathlib import Path

import finite

SOURCE = Path(finite.__file__).parent


def test_no_endpoint_module_opens_a_transaction_or_commits() -> None:
    modules = sorted(SOURCE.rglob("endpoints.py"))
    assert len(modules) > 10
    offending = [
        f"{path.relative_to(SOURCE)}: {needle}"
        for path in modules
        for needle in (".transaction(", ".commit(")
        if needle in path.read_text()
    ]
    assert offending == []
