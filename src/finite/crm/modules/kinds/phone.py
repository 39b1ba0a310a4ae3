"""A phone number as people write it: digits, spaces, + ( ) - . / and an extension."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from finite.crm.modules.kinds.base import InvalidValue, SampleMaker
from finite.crm.modules.kinds.textual import TextualKind, clean_text

if TYPE_CHECKING:
    from finite.crm.modules.fields import Field

_PHONE = re.compile(r"^\+?[0-9 ().\-/]+((x|ext\.?)\s?[0-9]+)?$", re.IGNORECASE)


class Phone(TextualKind):
    name = "phone"
    order = 40
    max_length = 40

    def convert(self, spec: Field, value: Any) -> Any:
        phone = clean_text(spec, value)
        if not _PHONE.match(phone) or sum(char.isdigit() for char in phone) < 3:
            raise InvalidValue("must be a phone number (digits, spaces, + ( ) - . /)")
        return phone

    def sample(self, spec: Field) -> SampleMaker | None:
        return lambda i, rng, who: f"+1 555 {i % 10_000:04d}"
