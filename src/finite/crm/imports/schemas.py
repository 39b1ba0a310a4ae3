"""The import job as the API shows it, for the OpenAPI document (handlers answer plain dicts)."""

from __future__ import annotations

from datetime import datetime

import msgspec


class ImportColumn(msgspec.Struct):
    column: str
    field: str


class IgnoredColumn(msgspec.Struct):
    column: str
    reason: str


class ImportJobView(msgspec.Struct):
    """A CSV import: `status` is queued, running, done, failed (see `error`) or cancelled.
    `committed_through_row` is the file's last row (the header is row 1) whose outcome is
    committed; `failed` rows are listed, with each field and reason, at `errors_url`."""

    id: str
    module: str
    status: str
    filename: str
    dry_run: bool
    upsert_on: str | None
    stop_on_error: bool
    columns: list[ImportColumn]
    ignored_columns: list[IgnoredColumn]
    total_rows: int
    rows_done: int
    committed_through_row: int
    created: int
    updated: int
    failed: int
    error: str | None
    attempts: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    errors_url: str


class ImportJobPage(msgspec.Struct):
    data: list[ImportJobView]
    next_cursor: str | None
