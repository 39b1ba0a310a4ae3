"""The shared base of exact decimal kinds: what validation accepts is what storage keeps
exactly, NUMERIC(precision, scale) (kit/scaled_decimal.ScaledDecimal)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import Text, case, cast, func, literal, null
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeEngine

from finite.crm.modules.kinds.base import ORDERING, FieldKind, InvalidValue, SampleMaker
from finite.kit.scaled_decimal import ScaledDecimal

if TYPE_CHECKING:
    from finite.crm.modules.fields import Field


def sqlite_scaled(column: ColumnElement[Any], scale: int) -> ColumnElement[Any]:
    """An integer of the smallest unit as the decimal it stands for: -5 at scale 2 → '-0.05'."""
    factor = 10**scale
    magnitude = func.abs(column)
    whole = cast(magnitude.op("/")(literal(factor)), Text)  # SQLite: integer division
    sign = case((column < 0, "-"), else_="")
    if scale == 0:
        return sign.op("||")(whole)
    # The fraction's digits with their leading zeros: 5 → 105 → '05' (printf cost twice as much).
    fraction = func.substr(cast(magnitude % factor + factor, Text), 2)
    return case(
        (column.is_(None), null()),
        else_=sign.op("||")(whole).op("||")(literal(".")).op("||")(fraction),
    )


class NumericKind(FieldKind):
    precision: ClassVar[int]
    scale: ClassVar[int]
    operators = ORDERING

    def column_type(self, spec: Field) -> TypeEngine[Any] | None:
        return ScaledDecimal(self.precision, self.scale)

    def custom_column(self, value: Any) -> ColumnElement[Any]:
        extracted: ColumnElement[Any] = value.as_numeric(self.precision, self.scale)
        return extracted

    def convert(self, spec: Field, value: Any) -> Any:
        precision, scale = self.precision, self.scale
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise InvalidValue("must be a number")
        try:
            number = Decimal(repr(value) if isinstance(value, float) else str(value).strip())
        except InvalidOperation:
            raise InvalidValue("must be a number") from None
        if not number.is_finite():
            raise InvalidValue("must be a finite number")
        exponent = number.normalize().as_tuple().exponent
        if isinstance(exponent, int) and -exponent > scale:
            raise InvalidValue(f"must have at most {scale} decimal places")
        if abs(number) >= Decimal(10) ** (precision - scale):
            raise InvalidValue(f"must be less than {10 ** (precision - scale):,} in size")
        self.check_range(number)
        return number.quantize(Decimal(1).scaleb(-scale))

    def check_range(self, number: Decimal) -> None:
        """Raises InvalidValue for a number the type does not allow beyond its digits."""

    def json_reader(self, spec: Field) -> Callable[[Any], Any]:
        return lenient_reader(self, spec)

    def sqlite_cell(self, column: ColumnElement[Any]) -> ColumnElement[Any] | None:
        return sqlite_scaled(column, self.scale)

    def openapi(self, spec: Field) -> dict[str, Any]:
        return {"type": "number"}

    def sample(self, spec: Field) -> SampleMaker | None:
        return lambda i, rng, who: Decimal(rng.randrange(500_000_000)).scaleb(-2)


def lenient_reader(kind: FieldKind, spec: Field) -> Callable[[Any], Any]:
    """Converts a stored custom value back to its Python type, or keeps it as stored when it
    no longer fits the field."""
    convert = kind.convert

    def read(value: Any) -> Any:
        if value is None:
            return None
        try:
            return convert(spec, value)
        except InvalidValue:
            return value

    return read
