"""Query parameters of the audit and history endpoints, checked strictly: a mistyped filter on an
audit query must fail loudly (400 naming it), never silently widen the answer."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from finite.core.audit.listing import AuditFilter, Cursor, StatusFilter
from finite.kit.errors import AppError, ErrorDetail, validation_error
from finite.platform.http import AnyRequest

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
PAGING = ("limit", "cursor")
FILTERS = ("from", "to", "key_id", "member_id", "module", "record_id", "status")
CONSOLE_FILTERS = (*FILTERS, "action")  # the console filters on the action too

_STATUS_CLASS = re.compile(r"^([1-5])xx$", re.IGNORECASE)
# A "+" in a query string arrives as a space unless encoded: "…T10:00:00 02:00" meant "+02:00".
_SPACED_OFFSET = re.compile(r" (\d{2}(?::?\d{2})?)$")
_BIGINT = 2**63


@dataclass(frozen=True, slots=True)
class Paging:
    limit: int
    cursor: Cursor | None


def _digits(raw: str, max_digits: int) -> bool:
    """ASCII digits only (str.isdigit also takes "²", which int() refuses)."""
    return 1 <= len(raw) <= max_digits and all("0" <= char <= "9" for char in raw)


class _Problems:
    def __init__(self) -> None:
        self.details: list[ErrorDetail] = []

    def add(self, name: str, reason: str) -> None:
        self.details.append(ErrorDetail(name, reason))

    def error(self) -> AppError | None:
        if not self.details:
            return None
        if len(self.details) == 1:
            only = self.details[0]
            return validation_error(self.details, f"{only.field}: {only.message}")
        return validation_error(self.details)


def _single(request: AnyRequest, problems: _Problems, allowed: tuple[str, ...]) -> dict[str, str]:
    params = request.query_params
    values: dict[str, str] = {}
    for name in sorted(set(params.keys())):
        given = params.getall(name)
        if name not in allowed:
            problems.add(name, f"is not a parameter here; use {', '.join(allowed)}")
        elif len(given) != 1:
            problems.add(name, "must be given once")
        else:
            values[name] = given[0]
    return values


def _paging(values: dict[str, str], problems: _Problems) -> Paging:
    limit = DEFAULT_LIMIT
    raw_limit = values.get("limit")
    if raw_limit is not None:
        if not _digits(raw_limit, 4) or not 1 <= int(raw_limit) <= MAX_LIMIT:
            problems.add("limit", f"must be a whole number from 1 to {MAX_LIMIT}")
        else:
            limit = int(raw_limit)
    cursor = None
    raw_cursor = values.get("cursor")
    if raw_cursor:  # an empty cursor is the first page
        cursor = Cursor.decode(raw_cursor) if len(raw_cursor) <= 400 else None
        if cursor is None:
            problems.add("cursor", "is not a cursor this API returned; start again without it")
    return Paging(limit, cursor)


def _moment(name: str, raw: str, problems: _Problems) -> datetime | None:
    text = _SPACED_OFFSET.sub(r"+\1", raw.strip())
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            problems.add(name, "must include a timezone, e.g. Z or +02:00")
            return None
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: year 1 moved across midnight UTC
        problems.add(name, "must be an ISO 8601 date-time, e.g. 2026-01-31T09:00:00Z")
        return None


def _text(name: str, raw: str, problems: _Problems, max_length: int) -> str | None:
    if not raw or len(raw) > max_length:
        problems.add(name, f"must be 1 to {max_length} characters")
        return None
    return raw


def _status(raw: str, problems: _Problems) -> StatusFilter | None:
    status_class = _STATUS_CLASS.match(raw)
    if status_class:
        low = int(status_class.group(1)) * 100
        return StatusFilter(low, low + 99)
    if _digits(raw, 3) and 100 <= int(raw) <= 599:
        return StatusFilter(int(raw), int(raw))
    problems.add("status", "must be an HTTP status such as 404, or a class: 2xx, 4xx, 5xx")
    return None


def _record_id(raw: str, problems: _Problems) -> int | None:
    if not _digits(raw, 19) or not 1 <= int(raw) < _BIGINT:
        problems.add("record_id", "must be a record id (a positive whole number)")
        return None
    return int(raw)


def audit_query(request: AnyRequest, *, paged: bool = True) -> tuple[AuditFilter, Paging]:
    """The filters of GET /api/audit (and of the CSV export, which takes no paging)."""
    problems = _Problems()
    values = _single(request, problems, FILTERS + PAGING if paged else FILTERS)
    return _checked(values, problems)


def audit_values_query(values: Mapping[str, str]) -> tuple[AuditFilter, Paging]:
    """The same rules for values gathered elsewhere (the console's form, which adds `action`)."""
    problems = _Problems()
    allowed = CONSOLE_FILTERS + PAGING
    for name in sorted(values):
        if name not in allowed:
            problems.add(name, f"is not a parameter here; use {', '.join(allowed)}")
    return _checked({name: values[name] for name in values if name in allowed}, problems)


def _checked(values: dict[str, str], problems: _Problems) -> tuple[AuditFilter, Paging]:
    paging = _paging(values, problems)
    since = _moment("from", values["from"], problems) if "from" in values else None
    until = _moment("to", values["to"], problems) if "to" in values else None
    if since is not None and until is not None and until <= since:
        problems.add("to", "must be later than from")
    wanted = AuditFilter(
        since=since,
        until=until,
        key_id=_text("key_id", values["key_id"], problems, 40) if "key_id" in values else None,
        member_id=(
            _text("member_id", values["member_id"], problems, 40) if "member_id" in values else None
        ),
        module=_text("module", values["module"], problems, 40) if "module" in values else None,
        record_id=_record_id(values["record_id"], problems) if "record_id" in values else None,
        status=_status(values["status"], problems) if "status" in values else None,
        action=_text("action", values["action"], problems, 32) if "action" in values else None,
    )
    error = problems.error()
    if error is not None:
        raise error
    return wanted, paging


def paging_only(request: AnyRequest) -> Paging:
    """limit and cursor, nothing else (a record's history)."""
    problems = _Problems()
    paging = _paging(_single(request, problems, PAGING), problems)
    error = problems.error()
    if error is not None:
        raise error
    return paging
