"""What the panels' forms share: the posted fields as strings, and a service's refusal as each
field's reason (the form is shown again with them; nothing changed)."""

from __future__ import annotations

from finite.kit.errors import AppError
from finite.platform.http import AnyRequest

MAX_FIELD = 4096


async def form_fields(request: AnyRequest) -> dict[str, str]:
    """Each field's first value, cut to MAX_FIELD (a longer one is refused by its rule)."""
    return {
        key: value[:MAX_FIELD]
        for key, value in (await request.form()).items()
        if isinstance(value, str)
    }


async def form_lists(request: AnyRequest) -> dict[str, list[str]]:
    """Every value of each field (a grid of checkboxes sends one name many times)."""
    form = await request.form()
    lists: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            lists.setdefault(key, []).append(value[:MAX_FIELD])
    return lists


def field_errors(exc: AppError, default_field: str = "") -> dict[str, str]:
    """Each field's reason; a reason naming no field goes under `default_field`."""
    errors: dict[str, str] = {}
    for detail in exc.details:
        errors.setdefault(detail.field or default_field, detail.message)
    if not errors:
        errors[default_field] = exc.message
    return errors
