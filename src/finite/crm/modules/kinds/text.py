"""Short free text."""

from __future__ import annotations

from typing import TYPE_CHECKING

from finite.crm.modules.kinds.textual import TextualKind

if TYPE_CHECKING:
    from finite.crm.modules.fields import Field


class Text(TextualKind):
    name = "text"
    order = 10
    max_length = 255

    def doc_notes(self, spec: Field) -> list[str]:
        limit = spec.length_limit
        return [f"≤ {limit} chars"] if limit else []
