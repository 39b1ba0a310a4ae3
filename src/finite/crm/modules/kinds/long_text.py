"""Free text of any length up to 32,000 characters (a TEXT column, never indexed)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Text
from sqlalchemy.types import TypeEngine

from finite.crm.modules.kinds import text

if TYPE_CHECKING:
    from finite.crm.modules.fields import Field


class LongText(text.Text):
    name = "long_text"
    order = 20
    max_length = 32_000
    indexable = False

    def column_type(self, spec: Field) -> TypeEngine[Any] | None:
        return Text()
