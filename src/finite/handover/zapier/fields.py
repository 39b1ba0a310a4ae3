"""The Zapier actions reuse the REST API's services, whose errors name camelCase fields; a
Zapier user filled in snake_case ones, so every error is told in their names."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from finite.kit.errors import AppError, ErrorDetail

# The REST field → the Zapier field it came from.
SNAKE = {
    "name": "project_name",
    "projectType": "project_type",
    "launchDate": "launch_date",
    "clientId": "client_id",
    "clientName": "client_name",
    "clientEmail": "client_email",
    "personalMessage": "personal_message",
}
# In messages, only the camelCase names: "name" is also an ordinary word there.
_IN_TEXT = re.compile(r"\b(" + "|".join(k for k in SNAKE if k != "name") + r")\b")


def snake_text(text: str) -> str:
    return _IN_TEXT.sub(lambda match: SNAKE[match.group(1)], text)


def snake_error(error: AppError) -> AppError:
    details = [
        ErrorDetail(SNAKE.get(d.field, d.field) if d.field else None, snake_text(d.message))
        for d in error.details
    ]
    first = error.details[0] if error.details else None
    if len(details) == 1 and first and error.message == f"{first.field}: {first.message}":
        message = f"{details[0].field}: {details[0].message}"  # the one-problem summary
    else:
        message = snake_text(error.message)
    return replace(error, message=message, details=details)


@contextmanager
def snake_case_errors() -> Iterator[None]:
    try:
        yield
    except AppError as error:
        raise snake_error(error) from None
