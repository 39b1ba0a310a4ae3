"""What a database failure means, decided in one place: the database is unavailable (down,
restarting, unreachable: the same work succeeds later), it refused what was sent (a constraint,
a bad value: it never will), or neither (a bug, a lock, a conflict).

A failure reaches the caller in many wrappings — SQLAlchemy's DBAPIError around its adaptation
of the driver's error, or the driver's own error from the statements run on its connection
directly (kit/fast_read.py, COPY), or an OSError from connecting — so every cause in the chain
is asked, and each engine class (kit/engines/) knows its driver's errors.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import exc

from finite.kit.engines import ENGINES

RETRY_AFTER_SECONDS = 5
"""What a request that found the database unavailable is told to wait (Retry-After)."""

_MAX_CAUSES = 16


def causes(error: BaseException) -> Iterator[BaseException]:
    """`error`, then what it wraps (SQLAlchemy's `orig`) and what caused it, each once."""
    waiting = [error]
    seen: set[int] = set()
    while waiting and len(seen) < _MAX_CAUSES:
        cause = waiting.pop(0)
        if id(cause) in seen:
            continue
        seen.add(id(cause))
        yield cause
        orig = getattr(cause, "orig", None)
        for nested in (orig, cause.__cause__, cause.__context__):
            if isinstance(nested, BaseException):
                waiting.append(nested)


def unavailable(error: BaseException) -> bool:
    """The database cannot serve now and will again: wait and retry, or answer 503."""
    for cause in causes(error):
        if isinstance(cause, exc.DBAPIError) and cause.connection_invalidated:
            return True  # SQLAlchemy saw the connection drop
        if isinstance(cause, exc.TimeoutError):
            return True  # no pooled connection came free in time: the database is not keeping up
        if any(engine.unavailable(cause) for engine in ENGINES.values()):
            return True
    return False


def refused(error: BaseException) -> bool:
    """The database refused what was sent (an integrity or data error): sending it again
    would fail again."""
    if unavailable(error):
        return False
    for cause in causes(error):
        if isinstance(cause, exc.IntegrityError | exc.DataError):
            return True
        if any(engine.refused(cause) for engine in ENGINES.values()):
            return True
    return False


def reason(error: BaseException) -> str:
    """A one-line account of the innermost cause, for a log line without a traceback."""
    innermost = error
    for cause in causes(error):
        innermost = cause
    text = str(innermost).strip().splitlines()
    return f"{type(innermost).__name__}: {text[0] if text else ''}".rstrip(": ")
