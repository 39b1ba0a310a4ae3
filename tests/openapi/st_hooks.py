"""`SCHEMATHESIS_HOOKS=tests.openapi.st_hooks st run …`: the CI test's rules for the command line.

`ST_PROTECTED_KEYS` (comma-separated key ids) are never revoked, so the run keeps its own key.
"""

from __future__ import annotations

import os
from typing import Any

import schemathesis

from tests.openapi.contract_rules import accepted

PROTECTED_KEYS = frozenset(filter(None, os.environ.get("ST_PROTECTED_KEYS", "").split(",")))


@schemathesis.hook
def filter_case(context: Any, case: Any) -> bool:
    return not (
        case.method.upper() == "DELETE"
        and case.path.endswith("/keys/{key_id}")
        and (case.path_parameters or {}).get("key_id") in PROTECTED_KEYS
    )


@schemathesis.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    operation = f"{case.method.upper()} {case.path}"
    return not accepted(failure.code, operation, response.status_code, response.content)
