"""One of the field's options (matched regardless of case, stored as the option is written)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from finite.crm.modules.kinds.base import InvalidValue, SampleMaker
from finite.crm.modules.kinds.textual import TextualKind

if TYPE_CHECKING:
    from finite.crm.modules.fields import Field


def choice(spec: Field, value: Any) -> str:
    """The option `value` names."""
    if not isinstance(value, str):
        raise InvalidValue("must be a string")
    for option in spec.options:
        if option == value or option.casefold() == value.strip().casefold():
            return option
    raise InvalidValue(f"must be one of: {', '.join(spec.options)}")


class Picklist(TextualKind):
    name = "picklist"
    order = 130
    max_length = 100
    has_options = True

    def convert(self, spec: Field, value: Any) -> Any:
        return choice(spec, value)

    def from_query(self, spec: Field, text: str) -> Any:
        return choice(spec, text)

    def openapi(self, spec: Field) -> dict[str, Any]:
        return {"type": "string", "enum": list(spec.options)}

    def sample(self, spec: Field) -> SampleMaker | None:
        options = spec.options
        return lambda i, rng, who: options[i % len(options)]
