"""The body of POST /api/records/{module}/batch, read into batch items:

    {"records": [{...fields}, {"id": 12, "version": 3, ...fields}], "upsert_on": "email"}

A record without `id` is created (with `upsert_on`: upserted on that key); one with `id`
updates that record, and its `version`, when given, must be the record's current one.
A malformed body is refused whole (400), before anything is read or written.
"""

from __future__ import annotations

from typing import Any

from finite.core.accounts.roles import Action
from finite.crm.modules.fields import Module
from finite.crm.records.batch import MAX_BATCH, BatchItem
from finite.crm.records.service import MAX_RECORD_ID
from finite.kit.errors import ErrorDetail, validation_error

MEMBERS = ("records", "upsert_on")


def upsert_key_problem(module: Module, upsert_on: object) -> ErrorDetail | None:
    """`upsert_on` names one of the module's upsert keys (a batch's, an import's)."""
    if upsert_on is None or upsert_on in module.upsert_keys:
        return None
    keys = module.upsert_keys
    return ErrorDetail(
        "upsert_on",
        f"must be one of {module.name}'s upsert keys: {', '.join(keys)}"
        if keys
        else f"{module.name} has no upsert key",
    )


def batch_items(module: Module, body: dict[str, Any]) -> list[BatchItem]:
    problems = [
        ErrorDetail(key, f"is not a member of a batch body ({', '.join(MEMBERS)})")
        for key in body
        if key not in MEMBERS
    ]
    upsert_on = body.get("upsert_on")
    if (problem := upsert_key_problem(module, upsert_on)) is not None:
        problems.append(problem)
    records = body.get("records")
    if not isinstance(records, list) or not records:
        problems.append(ErrorDetail("records", f"must be a list of 1 to {MAX_BATCH} records"))
        records = []
    elif len(records) > MAX_BATCH:
        problems.append(
            ErrorDetail(
                "records", f"takes at most {MAX_BATCH} records a call; this one has {len(records)}"
            )
        )
        records = []
    items: list[BatchItem] = []
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            problems.append(ErrorDetail(f"records[{index}]", "must be a JSON object"))
            continue
        data = dict(record)
        record_id = data.pop("id", None)
        if record_id is not None and not _is_record_id(record_id):
            problems.append(ErrorDetail(f"records[{index}].id", "must be a record's id"))
            continue
        key = upsert_on if record_id is None and isinstance(upsert_on, str) else None
        items.append(BatchItem(index, data, record_id, key))
    if problems:
        raise validation_error(problems)
    return items


def actions_needed(items: list[BatchItem]) -> list[Action]:
    """What the caller's role must allow on the module: create for new records, edit for
    changed ones, both for upserts (either may happen)."""
    needed: set[Action] = set()
    for item in items:
        if item.action != "update":
            needed.add("create")
        if item.action != "create":
            needed.add("edit")
    return [action for action in ("create", "edit") if action in needed]


def _is_record_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_RECORD_ID
