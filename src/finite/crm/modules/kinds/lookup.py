"""A reference to a record of another module (`target`): its id, under a foreign key."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from finite.crm.modules.kinds.base import EQUALITY, InvalidValue, SampleMaker
from finite.crm.modules.kinds.integer import MAX_INTEGER, Integer

if TYPE_CHECKING:
    from finite.crm.modules.fields import Field

_NOT_AN_ID = "must be a record id (a positive integer)"


class Lookup(Integer):
    name = "lookup"
    order = 150
    operators = EQUALITY
    refers = True

    def convert(self, spec: Field, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidValue(_NOT_AN_ID)
        if abs(value) > MAX_INTEGER or value < 1:
            raise InvalidValue(_NOT_AN_ID)
        return value

    def openapi(self, spec: Field) -> dict[str, Any]:
        return {"type": "integer", "description": f"A record id in {spec.target}."}

    def doc_type(self, spec: Field) -> str:
        return f"lookup → {spec.target}"

    def sample(self, spec: Field) -> SampleMaker | None:
        return None  # the records it would point to are not seeded with it
