"""Retention: rows past their time deleted in small batches (registry.py, kinds.py, purge.py,
job.py). Importing the package registers the core's kinds."""

from finite.core.retention import kinds as _core_kinds
from finite.core.retention.registry import (
    Retained,
    RetentionConfigError,
    RetentionKind,
    register,
    registered,
    retention_plan,
)

__all__ = [
    "Retained",
    "RetentionConfigError",
    "RetentionKind",
    "_core_kinds",
    "register",
    "registered",
    "retention_plan",
]
