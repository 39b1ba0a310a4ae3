"""What schemathesis may not hold against the documents: the few rules JSON Schema cannot state.

Every other refusal of a request the document calls valid, and every answer the document does not
describe, is a failure. The rules below are stated in the documents' descriptions instead:

- a cursor is one this API returned; `sort` and `fields` name fields of the module (custom ones
  included, per organization); audit `to` is later than `from`;
- a webhook URL's host must resolve to an address the server may call; an expiry is in the future;
- a logo's data is a PNG or JPEG image of its `contentType`, 512 KiB and 2000 pixels a side at
  most;
- an id sent in a body names a section or credential of that same pack, or a client (404 naming
  the field: the resource of the path itself exists);
- a project's sign-off exists once its client has signed off (404 until then);
- a custom field's `options`, `module` and `max_length` depend on its `type`;
- a request body is 1 MiB at most (413 PAYLOAD_TOO_LARGE, whatever its schema allows);
- a record's fields are its module's (the `{module}` path parameter picks the schema: the
  `LeadsRecord`, `DealsRecord`, … components), so a record body refused for one of its fields is
  that module's rule; a batch's records are refused for the same rules (422 BATCH_REJECTED,
  each failing record named `records[i].field`), and its `upsert_on` must be one of the
  module's upsert keys.

Used by tests/openapi/test_schemathesis.py and, for `st run`, by tests/openapi/st_hooks.py.
"""

from __future__ import annotations

import json
import re
from typing import Any

ANY_FIELD = "*"

# "METHOD path as in the document" → the fields whose 400 is such a rule.
BEYOND_SCHEMA: dict[str, frozenset[str]] = {
    # CRM
    "GET /api/records/{module}": frozenset({"cursor", "sort", "fields"}),
    "GET /api/export/{filename}": frozenset({"sort", "fields"}),
    "GET /api/records/{module}/{record_id}/history": frozenset({"cursor"}),
    "GET /api/audit": frozenset({"cursor", "to"}),
    "GET /api/audit.csv": frozenset({"to"}),
    "GET /api/webhooks/{webhook_id}/deliveries": frozenset({"cursor"}),
    "POST /api/webhooks": frozenset({"url"}),
    "PATCH /api/webhooks/{webhook_id}": frozenset({"url"}),
    "POST /api/keys": frozenset({"expires_at"}),
    "POST /api/modules/{module}/fields": frozenset({"options", "module", "max_length"}),
    "POST /api/records/{module}": frozenset({ANY_FIELD}),
    "PUT /api/records/{module}/{record_id}": frozenset({ANY_FIELD}),
    "POST /api/records/{module}/batch": frozenset({ANY_FIELD}),
    # Handover (paths below the base URL /api/v1)
    "GET /clients": frozenset({"cursor"}),
    "GET /projects": frozenset({"cursor"}),
    "GET /signoffs": frozenset({"cursor"}),
    "GET /templates": frozenset({"cursor"}),
    "POST /keys": frozenset({"expiresAt"}),
    "GET /webhooks/{webhook_id}/deliveries": frozenset({"cursor"}),
    "POST /webhooks": frozenset({"url"}),
    "PATCH /webhooks/{webhook_id}": frozenset({"url"}),
    "POST /zapier/hooks": frozenset({"target_url"}),
    "POST /projects/{project_id}/pack/items": frozenset({"sectionId"}),
    # A logo's bytes must decode (base64) to a PNG or JPEG of its contentType, within the limits.
    "PUT /branding": frozenset({"logo.data", "logo.contentType"}),
    "PUT /projects/{project_id}/pack": frozenset(
        {"credentials[*].id", "sections[*].id", "sections[*].items[*].id"}
    ),
}

# Resources that a created one gets later, not at once.
NOT_YET = frozenset({"GET /projects/{project_id}/signoff"})

# Not fields of a record: a refusal naming these is never a module's rule.
_PROTOCOL = frozenset({"body", "If-Match", "Idempotency-Key", "cursor", "sort", "fields"})

_INDEX = re.compile(r"\[\d+\]")  # credentials[3].id → credentials[*].id
SCHEMA_VALID_REJECTED = "ST202"
SCHEMA_INVALID_ACCEPTED = "ST201"
KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
BATCH_REJECTED = "BATCH_REJECTED"
CREATED_RESOURCE_NOT_FOUND = "ST302"


def _error(body: bytes) -> dict[str, Any]:
    """The error object of either surface's answer (CRM bare, handover enveloped)."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return {}
    if not isinstance(parsed, dict):
        return {}
    error = parsed.get("error")
    return error if isinstance(error, dict) else parsed


def error_code(body: bytes) -> str | None:
    code = _error(body).get("code")
    return code if isinstance(code, str) else None


def error_details(body: bytes) -> list[dict[str, Any]]:
    details = _error(body).get("details")
    return [d for d in details if isinstance(d, dict)] if isinstance(details, list) else []


def accepted(code: str, operation: str, status: int, body: bytes) -> bool:
    """Whether a schemathesis failure is one of the rules above, not a contract break."""
    if code == SCHEMA_VALID_REJECTED and status == 422 and error_code(body) == KEY_REUSED:
        return True  # schemathesis sent an Idempotency-Key again with another request
    if code in (SCHEMA_VALID_REJECTED, SCHEMA_INVALID_ACCEPTED) and status == 413:
        # Over the body cap: refused before its schema is read, whatever it holds (a 413 is no
        # status schemathesis counts as refusing schema-violating data).
        return error_code(body) == "PAYLOAD_TOO_LARGE"
    details = error_details(body)
    fields = {str(detail.get("field")) for detail in details}
    if code == SCHEMA_VALID_REJECTED and status == 422 and error_code(body) == BATCH_REJECTED:
        return ANY_FIELD in BEYOND_SCHEMA.get(operation, frozenset())  # its records' own rules
    if code == SCHEMA_VALID_REJECTED and status == 400 and fields:
        allowed = BEYOND_SCHEMA.get(operation, frozenset())
        if ANY_FIELD in allowed:
            return not fields & _PROTOCOL
        return all(_INDEX.sub("[*]", field) in allowed for field in fields)
    if code == CREATED_RESOURCE_NOT_FOUND and operation in NOT_YET:
        return status == 404
    if code == CREATED_RESOURCE_NOT_FOUND and status == 404:
        # A 404 naming a body field: an id sent in the body (e.g. clientId) is unknown; the
        # resource the path names exists.
        return bool(details) and all(detail.get("field") for detail in details)
    return False
