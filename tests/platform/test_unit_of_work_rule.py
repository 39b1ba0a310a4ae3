"""Route modules never open a write transaction or commit: platform/unit_of_work.py is the one
place an API write commits, with its audit row, and the client page's writes go through
handover/client_page/visits.py."""

from __future__ import annotations

import re
from pathlib import Path

import finite

SOURCE = Path(finite.__file__).parent
# A module that declares route handlers (`@get(…)`, `@post("/…")`, …), at its top level or
# inside a function that builds them per product.
ROUTES = re.compile(r"^\s*@(get|post|put|patch|delete)\(", re.M)


def test_no_route_module_opens_a_transaction_or_commits() -> None:
    modules = sorted(path for path in SOURCE.rglob("*.py") if ROUTES.search(path.read_text()))
    assert len(modules) > 10
    assert SOURCE / "handover" / "client_page" / "signing.py" in modules
    offending = [
        f"{path.relative_to(SOURCE)}: {needle}"
        for path in modules
        for needle in (".transaction(", ".commit(")
        if needle in path.read_text()
    ]
    assert offending == []
