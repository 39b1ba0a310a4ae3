"""Line items of quotes, orders and invoices, and the totals the server computes from them.

Per line: amount = quantity * list price; net = amount - discount; tax = net * tax rate / 100;
total = net + tax — each rounded half-up to cents. The record: sub_total = sum of amount,
discount_total = sum of discount, tax_total = sum of tax, grand_total = sub_total - discount_total +
tax_total + adjustment.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from finite.crm.modules.kinds import InvalidValue
from finite.crm.modules.line_fields import LINE_FIELDS, LIST_PRICE, QUANTITY
from finite.kit.errors import ErrorDetail

MAX_LINES = 200
MONEY_LIMIT = Decimal(10) ** 16  # NUMERIC(18, 2): amounts must stay below this
CENT = Decimal("0.01")
ZERO = Decimal("0")


@dataclass(frozen=True, slots=True)
class Line:
    product_id: int | None
    description: str | None
    quantity: Decimal
    list_price: Decimal
    discount: Decimal
    tax_rate: Decimal

    @property
    def amount(self) -> Decimal:
        return _cents(self.quantity * self.list_price)

    @property
    def tax(self) -> Decimal:
        return _cents((self.amount - self.discount) * self.tax_rate / 100)

    @property
    def total(self) -> Decimal:
        return self.amount - self.discount + self.tax


@dataclass(frozen=True, slots=True)
class Totals:
    sub_total: Decimal
    discount_total: Decimal
    tax_total: Decimal
    grand_total: Decimal

    def as_values(self) -> dict[str, Decimal]:
        return {
            "sub_total": self.sub_total,
            "discount_total": self.discount_total,
            "tax_total": self.tax_total,
            "grand_total": self.grand_total,
        }


def parse_lines(value: Any, errors: list[ErrorDetail]) -> list[Line] | None:
    """Validated lines, or None after adding every problem to `errors` as items[i].field."""
    if not isinstance(value, list):
        errors.append(ErrorDetail("items", "must be a list of line items"))
        return None
    if len(value) > MAX_LINES:
        errors.append(ErrorDetail("items", f"must have at most {MAX_LINES} lines"))
        return None
    lines: list[Line] = []
    before = len(errors)
    for index, raw in enumerate(value):
        line = _parse_line(index, raw, errors)
        if line is not None:
            lines.append(line)
    return None if len(errors) > before else lines


def _parse_line(index: int, raw: Any, errors: list[ErrorDetail]) -> Line | None:
    where = f"items[{index}]"
    if not isinstance(raw, dict):
        errors.append(ErrorDetail(where, "must be an object"))
        return None
    known = {field.key for field in LINE_FIELDS}
    problems = [
        ErrorDetail(f"{where}.{k}", "is not a line-item field") for k in raw if k not in known
    ]
    values: dict[str, Any] = {}
    for field in LINE_FIELDS:
        value = raw.get(field.key)
        if value is None:
            if field in (QUANTITY, LIST_PRICE):
                problems.append(ErrorDetail(f"{where}.{field.key}", "is required"))
            continue
        try:
            values[field.key] = field.kind.convert(field, value)
        except InvalidValue as invalid:
            problems.append(ErrorDetail(f"{where}.{field.key}", str(invalid)))
    if not problems and values["quantity"] <= 0:
        problems.append(ErrorDetail(f"{where}.quantity", "must be greater than 0"))
    if not problems and values.get("list_price", ZERO) < 0:
        problems.append(ErrorDetail(f"{where}.list_price", "must not be negative"))
    line = None
    if not problems:
        line = Line(
            product_id=values.get("product_id"),
            description=values.get("description"),
            quantity=values["quantity"],
            list_price=values["list_price"],
            discount=values.get("discount", ZERO),
            tax_rate=values.get("tax_rate", ZERO),
        )
        if line.amount >= MONEY_LIMIT or line.total >= MONEY_LIMIT:
            problems.append(
                ErrorDetail(where, f"the line amount must be less than {MONEY_LIMIT:,}")
            )
        elif line.discount < 0 or line.discount > line.amount:
            problems.append(
                ErrorDetail(f"{where}.discount", "must be between 0 and the line amount")
            )
    errors.extend(problems)
    return None if problems else line


def referenced_products(value: Any) -> list[tuple[str, int]]:
    """(field, product id) of every line naming a product, whether or not the line is valid."""
    if not isinstance(value, list):
        return []
    return [
        (f"items[{index}].product_id", raw["product_id"])
        for index, raw in enumerate(value)
        if isinstance(raw, dict)
        and isinstance(raw.get("product_id"), int)
        and not isinstance(raw.get("product_id"), bool)
        and raw["product_id"] > 0
    ]


def out_of_range(found: Totals) -> list[ErrorDetail]:
    """Totals a NUMERIC(18, 2) column cannot hold, named by field."""
    return [
        ErrorDetail(key, f"would be {value:,}; it must stay below {MONEY_LIMIT:,} in size")
        for key, value in found.as_values().items()
        if abs(value) >= MONEY_LIMIT
    ]


def totals(lines: list[Line], adjustment: Decimal) -> Totals:
    sub_total = sum((line.amount for line in lines), ZERO)
    discount_total = sum((line.discount for line in lines), ZERO)
    tax_total = sum((line.tax for line in lines), ZERO)
    grand_total = sub_total - discount_total + tax_total + adjustment
    return Totals(sub_total, discount_total, tax_total, grand_total)


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)
