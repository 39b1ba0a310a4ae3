"""An amount of money, to the cent."""

from __future__ import annotations

from finite.crm.modules.kinds.numeric import NumericKind


class Money(NumericKind):
    name = "money"
    order = 80
    precision = 18
    scale = 2
