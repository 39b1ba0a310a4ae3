"""A percentage from 0 to 100, with four decimal places."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from finite.crm.modules.kinds.base import InvalidValue, SampleMaker
from finite.crm.modules.kinds.numeric import NumericKind

if TYPE_CHECKING:
    from finite.crm.modules.fields import Field


class Percent(NumericKind):
    name = "percent"
    order = 90
    precision = 9
    scale = 4

    def check_range(self, number: Decimal) -> None:
        if not 0 <= number <= 100:
            raise InvalidValue("must be between 0 and 100")

    def sample(self, spec: Field) -> SampleMaker | None:
        return lambda i, rng, who: Decimal(i % 101)
