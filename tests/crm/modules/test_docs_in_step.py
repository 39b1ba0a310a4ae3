"""Generated documentation stays true to the code."""

from __future__ import annotations

from pathlib import Path

from finite.crm.modules.markdown import render

DOCS = Path(__file__).resolve().parents[3] / "docs"


def test_crm_modules_doc_matches_the_registry() -> None:
    assert (DOCS / "crm-modules.md").read_text() == render(), (
        "docs/crm-modules.md is stale: python -m finite.crm.modules.markdown > docs/crm-modules.md"
    )
