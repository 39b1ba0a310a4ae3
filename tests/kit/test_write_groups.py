"""kit/write_groups.py: on SQLite, writers queued in one process share one transaction, each in a
savepoint, and commit together — and each still sees its own unit of work."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError

from finite.kit import write_groups
from finite.kit.db import Database


@pytest.fixture
async def sqlite_db(db: Database, monkeypatch: pytest.MonkeyPatch) -> Database:
    if not db.is_sqlite:
        pytest.skip("group commit is SQLite's")
    # A round's time cap would split these tests' rounds on a busy machine.
    monkeypatch.setattr(write_groups, "MAX_ROUND_SECONDS", 60.0)
    async with db.transaction() as session:
        await session.execute(text("CREATE TABLE IF NOT EXISTS wg_notes (name TEXT PRIMARY KEY)"))
        await session.execute(text("DELETE FROM wg_notes"))
    return db


def count_commits(db: Database) -> list[int]:
    commits: list[int] = []
    event.listen(db.engine.sync_engine, "commit", lambda _conn: commits.append(1))
    return commits


async def note(db: Database, name: str, *, fail: bool = False) -> None:
    async with db.transaction() as session:
        await session.execute(text("INSERT INTO wg_notes (name) VALUES (:name)"), {"name": name})
        await asyncio.sleep(0)  # let the other writers queue behind this one
        if fail:
            raise RuntimeError(f"{name} failed")


async def names(db: Database) -> set[str]:
    async with db.read() as session:
        return set((await session.scalars(text("SELECT name FROM wg_notes"))).all())


async def test_queued_writers_commit_together(sqlite_db: Database) -> None:
    commits = count_commits(sqlite_db)
    await asyncio.gather(*(note(sqlite_db, f"n{index}") for index in range(20)))
    assert await names(sqlite_db) == {f"n{index}" for index in range(20)}
    assert 1 <= len(commits) < 20  # alone, each writer commits on its own


async def test_a_failing_writer_loses_only_its_own_change(sqlite_db: Database) -> None:
    outcomes = await asyncio.gather(
        *(note(sqlite_db, f"n{index}", fail=index == 4) for index in range(10)),
        return_exceptions=True,
    )
    assert [str(outcome) for outcome in outcomes if outcome is not None] == ["n4 failed"]
    assert await names(sqlite_db) == {f"n{index}" for index in range(10)} - {"n4"}


async def test_a_writer_whose_statement_fails_leaves_the_round_usable(
    sqlite_db: Database,
) -> None:
    """A unique key broken mid-round (as a concurrent Idempotency-Key claim breaks one)."""
    outcomes = await asyncio.gather(
        note(sqlite_db, "first"),
        note(sqlite_db, "twice"),
        note(sqlite_db, "twice"),
        note(sqlite_db, "last"),
        return_exceptions=True,
    )
    assert sum(isinstance(outcome, IntegrityError) for outcome in outcomes) == 1
    assert await names(sqlite_db) == {"first", "twice", "last"}


async def test_a_failed_commit_fails_every_member_of_its_round(sqlite_db: Database) -> None:
    """A deferred foreign key is checked at COMMIT: the round's members all get the error and
    none of their rows is kept."""
    async with sqlite_db.transaction() as session:
        await session.execute(
            text(
                "CREATE TABLE IF NOT EXISTS wg_children (name TEXT, parent TEXT REFERENCES "
                "wg_notes (name) DEFERRABLE INITIALLY DEFERRED)"
            )
        )

    async def orphan() -> None:
        async with sqlite_db.transaction() as session:
            await session.execute(text("INSERT INTO wg_children VALUES ('c', 'nobody')"))
            await asyncio.sleep(0)

    outcomes = await asyncio.gather(
        note(sqlite_db, "a"), orphan(), note(sqlite_db, "b"), return_exceptions=True
    )
    assert all(isinstance(outcome, IntegrityError) for outcome in outcomes), outcomes
    assert await names(sqlite_db) == set()


async def test_each_writer_starts_with_a_clean_session(sqlite_db: Database) -> None:
    seen: list[dict[str, object]] = []

    async def mark(name: str) -> None:
        async with sqlite_db.transaction() as session:
            seen.append(dict(session.info))
            session.info["finite_test_mark"] = name
            await asyncio.sleep(0)

    async with sqlite_db.transaction() as session:
        fresh = dict(session.info)
    await asyncio.gather(*(mark(f"m{index}") for index in range(5)))
    assert seen == [fresh] * 5
    assert "finite_test_mark" not in fresh


async def test_a_round_left_for_a_cancelled_writer_is_committed(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first writer hands its round to the second, which is cancelled right then, before it
    runs: the round still commits, the first writer returns, and the turn is free again."""
    second: asyncio.Task[None] | None = None
    hand_over = write_groups.WriteGroups._leave

    def hand_over_then_cancel(groups: write_groups.WriteGroups, turn: object) -> None:
        hand_over(groups, turn)  # type: ignore[arg-type]
        if second is not None and not second.done():
            second.cancel()

    monkeypatch.setattr(write_groups.WriteGroups, "_leave", hand_over_then_cancel)
    second_queued = asyncio.Event()

    async def first() -> None:
        async with sqlite_db.transaction() as session:
            await session.execute(text("INSERT INTO wg_notes (name) VALUES ('first')"))
            await second_queued.wait()

    first_task = asyncio.ensure_future(first())
    await asyncio.sleep(0)  # the first is in its block
    second = asyncio.ensure_future(note(sqlite_db, "second"))
    await asyncio.sleep(0)  # the second waits for its turn
    second_queued.set()
    await asyncio.wait_for(first_task, timeout=5)
    with pytest.raises(asyncio.CancelledError):
        await second
    assert await names(sqlite_db) == {"first"}
    await asyncio.wait_for(note(sqlite_db, "after"), timeout=5)
    assert await names(sqlite_db) == {"first", "after"}
