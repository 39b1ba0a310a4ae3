"""Exact decimals on both engines: NUMERIC on PostgreSQL, scaled integers on SQLite.

SQLite has no decimal type (SQLAlchemy would store floats), so amounts are kept there as integers
of the smallest unit — exact, and still sortable and comparable in SQL.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Numeric
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from finite.kit.result_processors import Processor

_PG_NUMERIC_OID = 1700


class ScaledDecimal(TypeDecorator[Decimal]):
    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int, scale: int) -> None:
        super().__init__()
        self.precision = precision
        self.scale = scale
        self._factor = Decimal(10) ** scale
        self._quantum = Decimal(1).scaleb(-scale)

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        amount = Decimal(value).quantize(self._quantum)
        return int(amount * self._factor) if dialect.name == "sqlite" else amount

    def result_processor(self, dialect: Dialect, coltype: object) -> Processor:
        if dialect.driver == "asyncpg" and coltype == _PG_NUMERIC_OID:
            # A NUMERIC(precision, scale) column arrives as a Decimal of that scale already.
            return None
        return super().result_processor(dialect, coltype)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return (Decimal(int(value)) / self._factor).quantize(self._quantum)
        return Decimal(value).quantize(self._quantum)

    def __repr__(self) -> str:
        return f"ScaledDecimal({self.precision}, {self.scale})"
