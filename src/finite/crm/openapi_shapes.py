"""The JSON shapes of CRM answers that handlers build as plain dicts, for the OpenAPI document
only: the handlers' output does not pass through these types."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar.openapi import ResponseSpec

from finite.core.accounts.roles import ACTIONS
from finite.crm.list_limits import MAX_PAGE, MAX_PER_PAGE, MAX_QUERY_LENGTH
from finite.crm.module_names import CRM_MODULES
from finite.crm.modules.kinds import CUSTOM_TYPES
from finite.kit.validate import CLEAN_TEXT_PATTERN
from finite.platform.openapi_hints import Param, query

# --- errors ----------------------------------------------------------------------------------


class ErrorDetail(msgspec.Struct):
    field: str | None
    message: str


class Error(msgspec.Struct):
    """Every CRM failure. `code` is one of UNAUTHORIZED, FORBIDDEN, PLAN_LIMIT, NOT_FOUND,
    CONFLICT, VERSION_CONFLICT, VALIDATION_ERROR, BATCH_REJECTED (with each failing record's
    outcome in `results`), PAYLOAD_TOO_LARGE, IDEMPOTENCY_KEY_REUSED, RATE_LIMITED, INTERNAL,
    UNAVAILABLE (and METHOD_NOT_ALLOWED, UNSUPPORTED_MEDIA_TYPE for malformed calls)."""

    error: str
    code: str
    details: list[ErrorDetail]
    request_id: str


# --- records ---------------------------------------------------------------------------------


class Record(msgspec.Struct):
    """A record: these system fields, the module's fields (GET /api/modules/{module}) and the
    organization's custom fields (`cf_…`). Money and decimals are exact JSON numbers, dates
    `YYYY-MM-DD`, date-times ISO 8601; modules with line items carry `items`. Each module's
    fields are the schema named after it: `LeadsRecord`, `SalesOrdersRecord`, …"""

    id: int
    version: int
    created_at: datetime
    updated_at: datetime
    created_by: str | None
    owner: str | None


class RecordInput(msgspec.Struct):
    """The module's fields to set, by key (custom fields included); unknown keys are refused.
    On create the module's title field is required; on update only the fields sent change.
    `owner` may name another member's id."""


class BatchRecordInput(msgspec.Struct):
    """A record's fields, as a single create or update takes them. Without `id`: a new record
    (with the batch's `upsert_on`: the record holding the same value there, else a new one).
    With `id`: that record, changed; `version`, when given, must be its current version."""

    id: Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)] | msgspec.UnsetType = msgspec.UNSET
    version: Annotated[int, msgspec.Meta(ge=1)] | msgspec.UnsetType = msgspec.UNSET


class BatchInput(msgspec.Struct, forbid_unknown_fields=True):
    records: Annotated[list[BatchRecordInput], msgspec.Meta(min_length=1, max_length=100)]
    upsert_on: (
        Annotated[
            str | None,
            msgspec.Meta(
                description="An upsert key of the module (`email` on leads, contacts, accounts "
                "and vendors; GET /api/modules/{module} lists them): records without `id` "
                "update the record holding the same value (emails in any case), or are created; "
                "absent or null: no upsert."
            ),
        ]
        | msgspec.UnsetType
    ) = msgspec.UNSET


class BatchItemResult(msgspec.Struct):
    """One record's outcome, at its `index` in `records`: 201 created or 200 updated (`id`,
    `record`), or a failure's status (400, 404, 409) with `code`, `error` and `details` as a
    single write's error body has them."""

    index: int
    status: int
    id: int | msgspec.UnsetType = msgspec.UNSET
    record: Record | msgspec.UnsetType = msgspec.UNSET
    code: str | msgspec.UnsetType = msgspec.UNSET
    error: str | msgspec.UnsetType = msgspec.UNSET
    details: list[ErrorDetail] | msgspec.UnsetType = msgspec.UNSET


class BatchResult(msgspec.Struct):
    results: list[BatchItemResult]
    created: int
    updated: int
    failed: int


class RecordPage(msgspec.Struct):
    data: list[Record]
    page: int
    per_page: int
    total: int
    total_relation: Annotated[
        str,
        msgspec.Meta(
            description='"eq": `total` is exact; "gte": at least `total` (counting stopped there)'
        ),
    ]
    has_more: bool
    next_cursor: str | None


class FieldChange(msgspec.Struct):
    before: Any
    after: Any


class Change(msgspec.Struct):
    id: str
    occurred_at: datetime
    action: str | None
    member_id: str | None
    member_name: str | None
    key_id: str | None
    key_name: str | None
    request_id: str
    changes: dict[str, FieldChange]


class HistoryPage(msgspec.Struct):
    data: list[Change]
    next_cursor: str | None
    has_more: bool


# --- modules and fields ----------------------------------------------------------------------


class FieldDescription(msgspec.Struct):
    key: str
    label: str
    type: str
    required: bool
    read_only: bool
    custom: bool
    options: list[str] | msgspec.UnsetType = msgspec.UNSET
    module: str | msgspec.UnsetType = msgspec.UNSET  # a lookup's target module
    default: Any = msgspec.UNSET
    max_length: int | msgspec.UnsetType = msgspec.UNSET
    item_fields: list[FieldDescription] | msgspec.UnsetType = msgspec.UNSET


class ModuleDescription(msgspec.Struct):
    module: str
    label: str
    singular: str
    line_items: bool
    searchable: list[str]
    upsert_keys: Annotated[
        list[str],
        msgspec.Meta(description="Fields a batch write may upsert on (`upsert_on`)."),
    ]
    permissions: Annotated[
        list[str], msgspec.Meta(description="What the caller's role may do in this module.")
    ]
    fields: list[FieldDescription]


class ModuleList(msgspec.Struct):
    modules: list[ModuleDescription]


class CustomFieldInput(msgspec.Struct, forbid_unknown_fields=True):
    key: Annotated[str, msgspec.Meta(pattern="^cf_[a-z0-9_]{1,60}$")]
    label: Annotated[
        str,
        msgspec.Meta(
            min_length=1, max_length=100, extra_json_schema={"pattern": CLEAN_TEXT_PATTERN}
        ),
    ]
    type: Annotated[
        str,
        msgspec.Meta(
            description=", ".join(CUSTOM_TYPES[:-1]) + " or " + CUSTOM_TYPES[-1],
            extra_json_schema={"enum": list(CUSTOM_TYPES)},
        ),
    ]
    required: bool = False
    options: Annotated[list[str] | None, msgspec.Meta(description="The values of a picklist.")] = (
        None
    )
    module: Annotated[str | None, msgspec.Meta(description="A lookup's target module.")] = None
    max_length: int | None = None


# --- roles -----------------------------------------------------------------------------------

Permissions = Annotated[
    dict[str, list[str]],
    msgspec.Meta(
        description="Per module, the actions allowed: view, create, edit, delete, export."
    ),
]


class Role(msgspec.Struct):
    id: str
    name: str
    is_admin: bool
    built_in: bool
    permissions: Permissions


class RoleList(msgspec.Struct):
    roles: list[Role]


class RoleUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """Modules not named keep their permissions."""

    permissions: Annotated[
        dict[str, list[str]],
        msgspec.Meta(
            description="Per module, the actions allowed: view, create, edit, delete, export.",
            extra_json_schema={
                "propertyNames": {"enum": list(CRM_MODULES)},
                "additionalProperties": {
                    "type": "array",
                    "items": {"type": "string", "enum": list(ACTIONS)},
                },
            },
        ),
    ]


# --- audit -----------------------------------------------------------------------------------


class AuditEntry(msgspec.Struct):
    id: str
    occurred_at: datetime
    product: str
    key_id: str | None
    key_name: str | None
    member_id: str | None
    method: str
    path: str
    status: int
    module: str | None
    record_id: int | None
    action: str | None
    request_id: str
    client_ip: str | None
    user_agent: str | None
    changes: dict[str, Any] | None
    seq: int | None
    hash: str | None


class AuditPage(msgspec.Struct):
    data: list[AuditEntry]
    next_cursor: str | None
    has_more: bool


# --- query parameters ------------------------------------------------------------------------

_TEXT: dict[str, Any] = {"type": "string"}
_CURSOR = query(
    "cursor", "The `next_cursor` of the previous page; empty or absent: the first page.", _TEXT
)
# Audit filters fail loudly rather than widen the answer: an empty value is refused (400).
_FILLED: dict[str, Any] = {"type": "string", "minLength": 1}
_AN_ID: dict[str, Any] = {"type": "string", "minLength": 1, "maxLength": 40}
# What Python's `datetime.fromisoformat` takes and JSON Schema calls a date-time (RFC 3339).
_MOMENT: dict[str, Any] = {"type": "string", "format": "date-time", "minLength": 1}
RECORD_ID: dict[str, Any] = {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}

LIST_FILTERS = (
    query(
        "q",
        "Full-text search over the module's searchable fields.",
        {"type": "string", "maxLength": MAX_QUERY_LENGTH},
    ),
    query(
        "sort",
        "A field to sort by, `-` first for descending (default, also when empty: `id`); "
        "ties by id, records without a value last in both directions.",
        _TEXT,
    ),
    query(
        "fields",
        "Comma-separated field keys to return (default: every field; empty: only `id`).",
        _TEXT,
    ),
)
LIST_PARAMS: tuple[Param, ...] = (
    *LIST_FILTERS,
    query("page", "Page number, from 1.", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}),
    query(
        "per_page",
        f"Records per page (default 50, at most {MAX_PER_PAGE}).",
        {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
    ),
    _CURSOR,
)
PARTIAL = query(
    "partial",
    "`true`: write the records that can be, and answer each failure in its place; "
    "default `false`: one failing record refuses the whole batch (422 BATCH_REJECTED).",
    {"type": "boolean"},
)
FILTER_NOTE = (
    "Filter on any field with `?field=value` or `?field[op]=value`, op one of eq, ne, in, gt, "
    "gte, lt, lte, contains, starts_with, is_null (e.g. `?status=New&value[gte]=1000`)."
)

_AUDIT_FILTERS = (
    query("from", "Entries at or after this ISO 8601 date-time, with its offset.", _MOMENT),
    query("to", "Entries before this ISO 8601 date-time (later than `from`).", _MOMENT),
    query("key_id", "Calls made with this key.", _AN_ID),
    query("member_id", "Calls made by this member.", _AN_ID),
    query("module", "Calls on this module.", _AN_ID),
    query("record_id", "Calls on this record.", RECORD_ID),
    query(
        "status",
        "An HTTP status such as 404, or a class: 2xx, 4xx, 5xx.",
        {"type": "string", "minLength": 1, "pattern": "^(?:[1-5][0-9]{2}|[1-5][xX]{2})$"},
    ),
)
PAGING = (
    query(
        "limit",
        "Entries per page (default 50, at most 200).",
        {"type": "integer", "minimum": 1, "maximum": 200},
    ),
    _CURSOR,
)
AUDIT_PARAMS = (*_AUDIT_FILTERS, *PAGING)
AUDIT_CSV_PARAMS = _AUDIT_FILTERS


def csv_answer(description: str) -> ResponseSpec:
    """A streamed CSV download."""
    return ResponseSpec(
        str, generate_examples=False, description=description, media_type="text/csv"
    )
