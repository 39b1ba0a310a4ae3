"""When to try again: the seed's six attempts from one minute to six hours, with jitter."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

# Attempt 1 goes at once; these are the waits after failed attempts 1 to 5. After the 6th, dead.
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
JITTER = 0.1  # ±10 %, so endpoints that failed together do not retry in lockstep
MAX_RETRY_AFTER = timedelta(hours=24)


def next_attempt_at(
    failed_attempts: int, now: datetime, retry_after: timedelta | None = None
) -> datetime | None:
    """The time of the next attempt after `failed_attempts` failures in a row; None means dead."""
    if failed_attempts >= MAX_ATTEMPTS:
        return None
    delay = RETRY_DELAYS[failed_attempts - 1]
    delay *= 1 + random.uniform(-JITTER, JITTER)
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
    return now + delay


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """`Retry-After` as seconds or an HTTP date; anything unreadable is ignored."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(when - now, timedelta(0))
