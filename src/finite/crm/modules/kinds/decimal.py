"""A decimal number with four decimal places."""

from __future__ import annotations

from finite.crm.modules.kinds.numeric import NumericKind


class DecimalNumber(NumericKind):
    name = "decimal"
    order = 70
    precision = 18
    scale = 4
