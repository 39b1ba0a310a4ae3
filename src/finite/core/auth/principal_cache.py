"""Keys' principal rows kept between requests in each server process, for as long as nothing
they were read from has changed: on PostgreSQL only, and only while the process hears the
database's change notifications.

Every request otherwise runs one more query (the key with its organization, plan, member and
role) before its own: a second round trip to PostgreSQL, without which lists served 25-70 %
more requests a second on two shared cores (performance.md, twelfth round). Whatever changes
those rows — the API, the CLI in another process, an operator's SQL — fires a trigger
(migration 0010) that notifies channel CHANNEL when its transaction commits; every process
listens (platform/auth_listener.py) and moves the process's epoch on, which retires every
entry read under an earlier one. Changes this process commits through SQLAlchemy move the epoch
on themselves, as soon as their connection is returned, so the very next request here sees
them whatever the notification's timing. A process that is not listening (SQLite, its
listening connection lost, FINITE_KEY_CACHE=0) keeps nothing.

An entry records the epoch from before its row was read: a row read while a change committed
is never kept past that change. Expiry and trial ends are still checked on every request.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.pool import Pool

from finite.core.keys.repository import PRINCIPALS_UNCHANGED, PrincipalRow

CHANNEL = "finite_auth"
# What a principal is read from; crm_custom_fields moves organizations.custom_fields_version.
SOURCE_TABLES = frozenset(
    {"api_keys", "organizations", "subscriptions", "members", "roles", "crm_custom_fields"}
)
MAX_ENTRIES = 10_000
# A bound on any entry's life, should a change ever go unheard.
MAX_AGE_SECONDS = 60.0
_CHANGED = "finite_principal_sources_changed"


class _Epoch:
    """The process's count of principal changes seen (one for every app in the process)."""

    value = 0


def principals_changed() -> None:
    _Epoch.value += 1


def current_epoch() -> int:
    return _Epoch.value


class PrincipalCache:
    def __init__(self) -> None:
        self._entries: dict[str, tuple[int, float, PrincipalRow]] = {}
        self._listening = False

    @property
    def listening(self) -> bool:
        return self._listening

    def set_listening(self, listening: bool) -> None:
        """While not listening nothing is kept; every change of state retires what was."""
        self._listening = listening
        principals_changed()
        self._entries.clear()

    def get(self, key: str) -> PrincipalRow | None:
        found = self._entries.get(key)
        if found is None:
            return None
        epoch, stored_at, row = found
        fresh = time.monotonic() - stored_at < MAX_AGE_SECONDS
        if self._listening and epoch == _Epoch.value and fresh:
            return row
        del self._entries[key]
        return None

    def put(self, key: str, row: PrincipalRow, read_in_epoch: int) -> None:
        """`read_in_epoch`: current_epoch() from before the row was read."""
        if not self._listening or read_in_epoch != _Epoch.value:
            return
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[key] = (read_in_epoch, time.monotonic(), row)


@event.listens_for(Connection, "after_execute")
def _note_a_change(
    connection: Connection,
    statement: Any,
    multiparams: Any,
    params: Any,
    execution_options: dict[str, Any],
    result: Any,
) -> None:
    table = getattr(statement, "table", None)
    if (
        getattr(statement, "is_dml", False)
        and getattr(table, "name", None) in SOURCE_TABLES
        and not execution_options.get(PRINCIPALS_UNCHANGED)
    ):
        connection.info[_CHANGED] = True


@event.listens_for(Pool, "checkin")
def _retire_after_a_change(dbapi_connection: Any, record: Any) -> None:
    """After the transaction ended (committed or not: retiring too much costs one query)."""
    if record is not None and record.info.pop(_CHANGED, False):
        principals_changed()
