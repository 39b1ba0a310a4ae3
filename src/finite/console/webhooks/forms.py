"""The webhook forms' fields, read into the API's own input shapes (crm/webhooks/schemas.py) so
the CRM's service checks them exactly as it checks an API call; what it refuses comes back as
each bad field's reason."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, TypeVar

import msgspec
from litestar.datastructures import FormMultiDict

from finite.kit.errors import AppError, invalid_field

FIELD_LIMIT = 4096  # a form field longer than any rule allows is cut here, then refused
EVERYTHING = "*"
_AT = re.compile(r" - at `\$\.(\w+)`")
S = TypeVar("S", bound=msgspec.Struct)
FieldErrors = dict[str, str]


def text_of(form: FormMultiDict, name: str) -> str:
    value = form.get(name)
    return value[:FIELD_LIMIT] if isinstance(value, str) else ""


def choices_of(form: FormMultiDict, name: str) -> list[str] | str:
    """Ticked boxes: `*` alone when "every one" is ticked, else the names ticked."""
    chosen = [value[:100] for value in form.getall(name, []) if isinstance(value, str)]
    return EVERYTHING if EVERYTHING in chosen else chosen


def endpoint_fields(form: FormMultiDict, *, modules: bool = True) -> dict[str, Any]:
    """The form's fields; `modules` only for a product whose events name one."""
    fields = {
        "url": text_of(form, "url").strip(),
        "events": choices_of(form, "events"),
        "description": text_of(form, "description"),
    }
    if modules:
        fields["modules"] = choices_of(form, "modules")
    return fields


def converted(fields: dict[str, Any], shape: type[S]) -> S:
    """The API's shape, its limits (lengths) checked: a refusal names its field."""
    try:
        return msgspec.convert(fields, shape)
    except msgspec.ValidationError as refused:
        message = str(refused)
        found = _AT.search(message)
        field = found.group(1) if found else "form"
        reason = _AT.sub("", message)
        reason = reason.replace("Expected `str` of length <=", "must be at most")
        reason = reason.replace("Expected `str` of length >=", "must be at least")
        reason = reason.replace("at least 1", "filled in")
        raise invalid_field(field, reason) from None


def field_errors(error: AppError) -> FieldErrors:
    """Each bad field's reason (the first one per field); "form" for one about no field."""
    found: FieldErrors = {}
    for detail in error.details:
        found.setdefault(detail.field or "form", detail.message)
    if not found:
        found["form"] = error.message
    return found


def since_of(value: str) -> datetime:
    """A `datetime-local` value (UTC, as the form says) or an ISO 8601 time with its offset."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise invalid_field("since", "must be a date and time, like 2026-01-31T09:30") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
