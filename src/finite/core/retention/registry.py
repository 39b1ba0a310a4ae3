"""The kinds of rows deleted once they are old enough, and how long each is kept.

A kind names a table, the column its age counts from, a default number of days, and which of
its rows may go at all (a delivery still pending or retrying never does). Later tables join
with one call to `register()` (see kinds.py); `FINITE_RETENTION_<NAME>_DAYS` then sets theirs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Table


class RetentionConfigError(Exception):
    """A FINITE_RETENTION_<NAME>_DAYS setting names no registered kind."""


@dataclass(frozen=True, slots=True)
class RetentionKind:
    name: str
    table: Table
    age: ColumnElement[datetime]  # a row is as old as this column says
    default_days: int
    about: str
    removable: ColumnElement[bool] | None = None  # only rows matching this are ever deleted

    @property
    def setting(self) -> str:
        return f"FINITE_RETENTION_{self.name.upper()}_DAYS"


@dataclass(frozen=True, slots=True)
class Retained:
    """A kind with the days it is kept for under the settings (None: for good)."""

    kind: RetentionKind
    days: int | None

    def cutoff(self, now: datetime) -> datetime | None:
        return None if self.days is None else now - timedelta(days=self.days)


_KINDS: dict[str, RetentionKind] = {}


def register(
    name: str,
    table: Any,
    age: ColumnElement[datetime] | Any,
    *,
    default_days: int,
    about: str,
    removable: ColumnElement[bool] | None = None,
) -> RetentionKind:
    """Add a kind; `table` is a Table or a mapped class, `age` one of its datetime columns."""
    existing = _KINDS.get(name)
    kind = RetentionKind(
        name=name,
        table=getattr(table, "__table__", table),
        age=age,
        default_days=default_days,
        about=about,
        removable=removable,
    )
    if existing is not None and existing != kind:
        raise ValueError(f"a retention kind named {name!r} is registered already")
    _KINDS[name] = kind
    return kind


def registered() -> tuple[RetentionKind, ...]:
    return tuple(_KINDS.values())


def retention_plan(days_by_name: Mapping[str, int]) -> tuple[Retained, ...]:
    """Every kind with its days: the setting's, else the kind's default; 0 keeps for good."""
    unknown = sorted(set(days_by_name) - set(_KINDS))
    if unknown:
        names = ", ".join(f"FINITE_RETENTION_{name.upper()}_DAYS" for name in unknown)
        known = ", ".join(kind.setting for kind in _KINDS.values())
        raise RetentionConfigError(f"{names}: no such kind of row; known: {known}")
    plan = []
    for kind in _KINDS.values():
        days = days_by_name.get(kind.name, kind.default_days)
        plan.append(Retained(kind, days or None))
    return tuple(plan)
