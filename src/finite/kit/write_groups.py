"""Group commit: the write transactions queued in one process share one database transaction,
each in a SAVEPOINT of its own, and commit together (SQLite, whose single writer makes every
transaction wait for the one before it anyway).

Alone, each write transaction opens a session, takes the write lock (BEGIN IMMEDIATE), runs its
statements and commits, writing to the WAL every page it touched. While it holds the lock the
process's other writers queue (kit/engines/sqlite.py `write_turn`). Here, a writer that finds
others queued behind it leaves the transaction open for the next one instead of committing: a
round of up to MAX_MEMBERS writers (or MAX_ROUND_SECONDS) pays for one session, one BEGIN and one
COMMIT, and the pages its members share (indexes, the id counter, the outbox) reach the WAL once.

What each writer sees is unchanged:
- its work runs in its own SAVEPOINT: when it raises, its statements are rolled back and the
  error reaches it as before, while the round's other members go on;
- it returns only once the round has committed; should the COMMIT itself fail, every member of
  the round gets that error, and none of their changes was kept;
- the session's `info` and identity map start as a new session's would, for each member.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession, AsyncSessionTransaction

MAX_MEMBERS = 32
MAX_ROUND_SECONDS = 0.05  # how long one round may keep the write lock from another process

OpenTransaction = Callable[[AsyncExitStack], Awaitable[AsyncSession]]
Solo = Callable[[], AbstractAsyncContextManager[AsyncSession]]


class _Round:
    """One shared transaction, open until a member finds nobody queued behind it."""

    __slots__ = ("broken", "done", "exits", "info", "members", "session", "started")

    def __init__(self, session: AsyncSession, exits: AsyncExitStack) -> None:
        self.session = session
        self.info = dict(session.info)  # what a new session's `info` holds
        self.exits = exits
        self.members = 0
        self.started = time.monotonic()
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        # Set when a member's savepoint could not be rolled back: the round then rolls back.
        self.broken: BaseException | None = None

    def takes_more(self) -> bool:
        return (
            self.broken is None
            and self.members < MAX_MEMBERS
            and time.monotonic() - self.started < MAX_ROUND_SECONDS
        )


class _Turn:
    """A process's (an event loop's) writers: who runs now, how many wait, the open round."""

    __slots__ = ("lock", "round", "waiting")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.waiting = 0
        self.round: _Round | None = None


class WriteGroups:
    def __init__(
        self, open_transaction: OpenTransaction, solo: Solo, patience: Callable[[], float]
    ) -> None:
        """`open_transaction` opens a round's write transaction, entering what it holds (the
        write turn, the session, BEGIN) on the exit stack, and returns the session. A writer
        whose turn has not come after `patience()` seconds (a transaction opened inside another
        of the same task would wait forever) runs in a `solo` transaction of its own, which
        waits for SQLite's lock as another process's writer does."""
        self._open_transaction = open_transaction
        self._solo = solo
        self._patience = patience
        self._closing: set[asyncio.Future[None]] = set()  # kept alive until done
        self._turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Turn] = (
            weakref.WeakKeyDictionary()
        )

    @asynccontextmanager
    async def member(self) -> AsyncIterator[AsyncSession]:
        """A write unit of work as one member of a round: its block runs in a savepoint of the
        round's transaction; leaving the block waits for the round's commit."""
        turn = self._turn()
        try:
            async with asyncio.timeout(self._patience()):
                await self._acquire(turn)
        except TimeoutError:
            async with self._solo() as session:
                yield session
            return
        try:
            round_ = turn.round or await self._open_round(turn)
        except BaseException:
            self._leave(turn)
            raise
        session = round_.session
        try:
            session.info.clear()
            session.info.update(round_.info)
            session.expunge_all()
            savepoint = await session.begin_nested()
        except BaseException as error:
            round_.broken = error
            await asyncio.shield(asyncio.ensure_future(self._close(turn, round_)))
            raise

        failure: BaseException | None = None
        try:
            yield session
        except BaseException as error:  # noqa: BLE001 - raised again once the round is settled
            failure = error
        if failure is None:
            try:
                await savepoint.commit()  # flushes what the member left pending
            except BaseException as error:  # noqa: BLE001 - raised again, as the block's own
                failure = error
        if failure is not None:
            await _undo(round_, savepoint)
        round_.members += 1

        if turn.waiting and round_.takes_more():
            self._leave(turn)  # the next writer joins this round and commits it or passes it on
            if failure is not None:
                raise failure
            await asyncio.shield(round_.done)
            return
        closing = asyncio.ensure_future(self._close(turn, round_))
        await asyncio.shield(closing)  # a cancelled member does not cut the round's commit short
        if failure is not None:
            raise failure
        round_.done.result()

    def _turn(self) -> _Turn:
        loop = asyncio.get_running_loop()
        turn = self._turns.get(loop)
        if turn is None:
            turn = self._turns[loop] = _Turn()
        return turn

    async def _acquire(self, turn: _Turn) -> None:
        turn.waiting += 1
        try:
            await turn.lock.acquire()
        except asyncio.CancelledError:
            turn.waiting -= 1
            if turn.round is not None and turn.waiting == 0 and not turn.lock.locked():
                # The round was left open for this writer, which is gone: close it now.
                closing = asyncio.ensure_future(self._close_abandoned(turn, turn.round))
                self._closing.add(closing)
                closing.add_done_callback(self._closing.discard)
            raise
        turn.waiting -= 1

    async def _open_round(self, turn: _Turn) -> _Round:
        exits = AsyncExitStack()
        try:
            session = await self._open_transaction(exits)
        except BaseException:
            await exits.aclose()
            raise
        turn.round = _Round(session, exits)
        return turn.round

    def _leave(self, turn: _Turn) -> None:
        turn.lock.release()

    async def _close(self, turn: _Turn, round_: _Round) -> None:
        """Commit the round (roll it back when broken), then let the next writer in."""
        try:
            turn.round = None
            try:
                if round_.broken is not None:
                    await round_.session.rollback()
                    round_.done.set_exception(round_.broken)
                else:
                    await round_.session.commit()
                    round_.done.set_result(None)
            except BaseException as error:  # noqa: BLE001 - every member gets it
                with contextlib.suppress(BaseException):
                    await round_.session.rollback()
                if not round_.done.done():
                    round_.done.set_exception(error)
            finally:
                await round_.exits.aclose()
            round_.done.exception()  # retrieved: members that left early may be gone
        finally:
            self._leave(turn)

    async def _close_abandoned(self, turn: _Turn, round_: _Round) -> None:
        await turn.lock.acquire()
        if turn.round is round_:
            await self._close(turn, round_)
        else:
            self._leave(turn)


async def _undo(round_: _Round, savepoint: AsyncSessionTransaction) -> None:
    """Roll a failed member's statements back to its savepoint; if even that fails, the round
    cannot be trusted and rolls back whole."""
    try:
        # Also when a failed flush has already deactivated it: it must still be closed.
        await savepoint.rollback()
    except BaseException as error:  # noqa: BLE001 - the round rolls back and reports it
        round_.broken = error
