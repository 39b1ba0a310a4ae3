"""An email address, stored in lower case."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from finite.crm.modules.kinds.base import InvalidValue, SampleMaker
from finite.crm.modules.kinds.textual import TextualKind, clean_text
from finite.kit.validate import EMAIL

if TYPE_CHECKING:
    from finite.crm.modules.fields import Field


class Email(TextualKind):
    name = "email"
    order = 30
    max_length = 320
    openapi_format = "email"

    def convert(self, spec: Field, value: Any) -> Any:
        email = clean_text(spec, value).lower()
        if not EMAIL.match(email):
            raise InvalidValue("must be a valid email address")
        return email

    def from_query(self, spec: Field, text: str) -> Any:
        return self.convert(spec, text)

    def sample(self, spec: Field) -> SampleMaker | None:
        return lambda i, rng, who: (
            f"{who[0]}.{who[1]}{i}@{who[2].split()[0]}{i % 97}.example".lower()
        )
