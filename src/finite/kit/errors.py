"""One error hierarchy for the whole service; each surface renders it in its own shape."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class ErrorDetail:
    field: str | None
    message: str


@dataclass
class AppError(Exception):
    status: int
    code: str
    message: str
    details: list[ErrorDetail] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # more members of the error body

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


UNAUTHORIZED_MESSAGE = "Missing or invalid API key."


def unauthorized() -> AppError:
    """The one answer for every authentication failure, so callers learn nothing about why."""
    return AppError(
        401, "UNAUTHORIZED", UNAUTHORIZED_MESSAGE, headers={"WWW-Authenticate": "Bearer"}
    )


def forbidden(message: str) -> AppError:
    return AppError(403, "FORBIDDEN", message)


def not_found(message: str = "Not found.") -> AppError:
    return AppError(404, "NOT_FOUND", message)


def conflict(message: str) -> AppError:
    return AppError(409, "CONFLICT", message)


def plan_limit(message: str) -> AppError:
    return AppError(403, "PLAN_LIMIT", message)


def validation_error(
    details: list[ErrorDetail], message: str = "The request is not valid."
) -> AppError:
    return AppError(400, "VALIDATION_ERROR", message, details)


def invalid_field(field_name: str, reason: str) -> AppError:
    return validation_error([ErrorDetail(field_name, reason)], f"{field_name}: {reason}")
