"""Hear PostgreSQL's notifications of changes to keys, organizations, plans, members and
roles, and keep the process's PrincipalCache on only while they can be heard
(core/auth/principal_cache.py).

One connection of its own per server process, LISTENing on the channel; lost, it is opened
again every RETRY_SECONDS, and until then the cache keeps nothing. SQLite: nothing to hear
(NothingToHear), the cache stays off. `change_listener` picks one by engine, once, when the
platform is built.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod
from typing import Any

from finite.core.auth.principal_cache import CHANNEL, PrincipalCache, principals_changed
from finite.kit import db_errors
from finite.kit.db import Database

logger = logging.getLogger("finite.auth")

RETRY_SECONDS = 1.0


class ChangeListener(ABC):
    def __init__(self, db: Database, cache: PrincipalCache) -> None:
        self._db = db
        self._cache = cache

    @abstractmethod
    async def start(self) -> None: ...

    @abstractmethod
    async def stop(self) -> None: ...


class NothingToHear(ChangeListener):
    """SQLite: no notifications; the cache stays off."""

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass


class AuthChangeListener(ChangeListener):
    """PostgreSQL: LISTEN on a connection of its own."""

    def __init__(self, db: Database, cache: PrincipalCache) -> None:
        super().__init__(db, cache)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="finite-auth-listener")

    async def stop(self) -> None:
        """At once, even while connecting to a database that does not answer: nothing here is
        worth waiting for."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        failing = False  # logged once per outage, not at every retry
        while True:
            try:
                await self._listen()
            except Exception as error:  # any failure: no cache until the next try works
                if not failing:
                    outage = db_errors.unavailable(error)  # one line; a traceback for the rest
                    logger.warning(
                        "not hearing key changes%s; keys are read on every request until then",
                        f" (database unavailable: {db_errors.reason(error)})" if outage else "",
                        exc_info=not outage,
                    )
                failing = True
            else:
                failing = False
            await asyncio.sleep(RETRY_SECONDS)

    async def _listen(self) -> None:
        """Until the connection is lost (returns) or the task is cancelled (stop)."""
        connection = await self._db.dedicated_connection()
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _connection: lost.set())
        try:
            await connection.add_listener(CHANNEL, _heard)
            self._cache.set_listening(True)
            logger.info("hearing key changes: keys in use are kept between requests")
            await lost.wait()
            logger.warning("lost the connection hearing key changes; opening another")
        finally:
            self._cache.set_listening(False)
            with contextlib.suppress(Exception):
                await connection.close(timeout=2)


LISTENERS: dict[str, type[ChangeListener]] = {
    "sqlite": NothingToHear,
    "postgresql": AuthChangeListener,
}


def change_listener(db: Database, cache: PrincipalCache) -> ChangeListener:
    return LISTENERS[db.backend.name](db, cache)


def _heard(*_notification: Any) -> None:
    principals_changed()
