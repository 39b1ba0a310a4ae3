"""Which background workers a write transaction left work for, so that the unit of work wakes
only those after its commit.

Every commit used to wake both in-process workers, and each woken worker read the database to
find out whether there was work: most record changes leave none (their organization has no
webhook, and they queue no mail). A writer that knows says so here; a transaction where no
writer said anything wakes every worker, as before. Workers also poll on their own (deliveries
every 0.1 s, mail every second), so a change committed by another process, or by a path that
says nothing here, is still picked up at the next poll.
"""

from __future__ import annotations

from enum import Enum

from sqlalchemy.ext.asyncio import AsyncSession

_WAKES = "finite_wakes"


class Wake(Enum):
    DELIVERIES = "deliveries"  # an event to fan out, or a delivery queued
    MAIL = "mail"  # a mail queued


def wake_after_commit(session: AsyncSession, wake: Wake | None) -> None:
    """`wake` (None: this write leaves no worker anything to do)."""
    wakes: set[Wake] = session.info.setdefault(_WAKES, set())
    if wake is not None:
        wakes.add(wake)


def wakes_of(session: AsyncSession) -> frozenset[Wake] | None:
    """The workers to wake; None when no writer said (wake them all)."""
    wakes: set[Wake] | None = session.info.get(_WAKES)
    return None if wakes is None else frozenset(wakes)
