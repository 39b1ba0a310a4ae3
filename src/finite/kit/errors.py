"""One error hierarchy for the whole service; each surface renders it in its own shape."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Concatenate, ParamSpec, TypeVar

T = TypeVar("T")
P = ParamSpec("P")


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


class Problems:
    """The bad fields of one input, collected so the answer lists every one, not the first:

    problems = Problems()
    with problems.check():
        name = clean_text("name", data.name, max_length=200)
    with problems.check():
        email = normalize_email("email", data.email)
    problems.raise_any()  # one VALIDATION_ERROR naming both, if both are bad
    """

    def __init__(self) -> None:
        self.details: list[ErrorDetail] = []

    @contextmanager
    def check(self) -> Iterator[None]:
        """Runs checks that raise a VALIDATION_ERROR: its fields are kept instead of raised."""
        try:
            yield
        except AppError as error:
            if error.code != "VALIDATION_ERROR" or not error.details:
                raise
            self.details.extend(error.details)

    def clean(
        self,
        check: Callable[Concatenate[str, T, P], T],
        field_name: str,
        value: T,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """`check(field_name, value, …)`'s cleaned value; when it refuses, the problem is kept
        and `value` comes back unchanged (`raise_any` comes before anything uses it)."""
        with self.check():
            return check(field_name, value, *args, **kwargs)
        return value

    def add(self, field_name: str, reason: str) -> None:
        self.details.append(ErrorDetail(field_name, reason))

    def raise_any(self) -> None:
        if len(self.details) == 1:
            only = self.details[0]
            message = f"{only.field}: {only.message}" if only.field else only.message
            raise validation_error(self.details, message)
        if self.details:
            raise validation_error(self.details)
