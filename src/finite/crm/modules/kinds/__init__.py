"""The field kinds: every module of this package is imported, and every FieldKind subclass
that names itself is a kind. Adding a field type is adding one file here (see base.py)."""

from __future__ import annotations

import importlib
import pkgutil

from finite.crm.modules.kinds.base import FieldKind, InvalidValue


def _discover() -> dict[str, FieldKind]:
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    found: dict[str, FieldKind] = {}
    pending = [FieldKind]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if "name" in vars(cls):
            if cls.name in found:
                raise TypeError(f"two field kinds are named {cls.name!r}")
            found[cls.name] = cls()
    return dict(sorted(found.items(), key=lambda item: (item[1].order, item[0])))


# Name → kind, in the order the types are listed.
KINDS = _discover()
# What custom fields may be.
CUSTOM_TYPES = tuple(name for name, kind in KINDS.items() if kind.custom)

__all__ = ["CUSTOM_TYPES", "KINDS", "FieldKind", "InvalidValue"]
