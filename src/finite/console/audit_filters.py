"""The audit log page's filter form (a GET form, so a filtered view is a bookmark) turned into
the API's filter: the console gathers the fields, the API's rules (crm/audit/params.py) check
them — one copy of what a valid filter is."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from finite.core.audit.listing import AuditFilter
from finite.crm.audit.params import Paging, audit_values_query
from finite.kit.errors import AppError

# The form's fields, in the order the page shows them.
FIELDS = ("member_id", "key_id", "module", "action", "status", "from", "to")
# A datetime-local input sends wall time without a zone; the page labels it UTC.
_LOCAL_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")


@dataclass(frozen=True, slots=True)
class FilterForm:
    values: dict[str, str]  # what the form shows back (the fields given, as typed)
    wanted: AuditFilter
    paging: Paging
    error: AppError | None

    def query(self, **extra: str) -> str:
        """The filters (and `extra`, e.g. a cursor) as a query string for a link."""
        return urlencode({**self.values, **extra})


def _for_rules(name: str, value: str) -> str:
    if name in ("from", "to") and _LOCAL_MOMENT.match(value):
        return value + "Z"
    return value


def filter_form(params: Mapping[str, str], *, paged: bool = True) -> FilterForm:
    """Empty fields are no filter; anything else goes to the API's rules, which name every bad
    field and why (the page shows them, with the form as it was sent)."""
    given = {name: value.strip() for name, value in params.items() if value.strip()}
    cursor = given.pop("cursor", None)
    values = {name: value for name, value in given.items() if name in FIELDS}
    for_rules = {name: _for_rules(name, value) for name, value in given.items()}
    if cursor is not None and paged:
        for_rules["cursor"] = cursor
    try:
        wanted, paging = audit_values_query(for_rules)
    except AppError as error:
        return FilterForm(values, AuditFilter(), Paging(0, None), error)
    return FilterForm(values, wanted, paging, None)
