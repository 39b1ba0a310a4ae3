"""Exact decimals on both engines: NUMERIC on PostgreSQL, scaled integers on SQLite.

SQLite has no decimal type (SQLAlchemy would store floats), so amounts are kept there as integers
of the smallest unit — exact, and still sortable and comparable in SQL. Each engine's storage is
its class's (kit/engines/), asked once per dialect where values go through a processor.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Numeric
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from finite.kit.engines import engine_for
from finite.kit.result_processors import Processor


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
        return dialect.type_descriptor(
            engine_for(dialect).decimal_storage(self.precision, self.scale)
        )

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        amount = Decimal(value).quantize(self._quantum)
        return engine_for(dialect).decimal_to_stored(amount, self._factor)

    def result_processor(self, dialect: Dialect, coltype: object) -> Processor:
        engine = engine_for(dialect)
        if engine.decimals_arrive_exact(dialect, coltype):
            return None
        read = engine.decimal_reader(self._factor, self._quantum)
        stored = self.impl_instance.result_processor(dialect, coltype)
        if stored is None:
            return lambda value: None if value is None else read(value)
        return lambda value: None if (value := stored(value)) is None else read(value)

    def __repr__(self) -> str:
        return f"ScaledDecimal({self.precision}, {self.scale})"
