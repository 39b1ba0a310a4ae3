"""The shape of a column's result processor, as SQLAlchemy's types hand them out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias

Processor: TypeAlias = Callable[[Any], Any] | None
