"""The moving window in process memory: each key's admitted hits of the last window, oldest first.

A hit drops the hits that left the window from the front and appends itself at the back, so a
check costs the same however high the limit. (The `limits` library's memory window inserted every
hit at the front of a list and scanned it: at 1,000 requests/s under a high plan limit a check
took ~0.3 ms; this takes microseconds. Redis keeps its own exact window, see redis_window.py.)
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class WindowState:
    admitted: bool
    count: int  # hits in the window, this one included when admitted
    reset_seconds: float  # until the oldest hit leaves the window (a slot frees)


class MemoryMovingWindow:
    def __init__(self) -> None:
        self._hits: dict[str, deque[float]] = {}

    def hit(self, key: str, limit: int, window_seconds: int) -> WindowState:
        now = time.monotonic()
        hits = self._hits.get(key)
        if hits is None:
            hits = self._hits[key] = deque()
        edge = now - window_seconds
        while hits and hits[0] <= edge:
            hits.popleft()
        admitted = len(hits) < limit
        if admitted:
            hits.append(now)
        reset = hits[0] + window_seconds - now if hits else float(window_seconds)
        return WindowState(admitted, len(hits), reset)

    def count(self, key: str, window_seconds: int) -> WindowState:
        """The window as a hit would see it, without counting one (what a usage page shows)."""
        now = time.monotonic()
        hits = [hit for hit in self._hits.get(key, ()) if hit > now - window_seconds]
        reset = hits[0] + window_seconds - now if hits else float(window_seconds)
        return WindowState(True, len(hits), reset)

    def ages(self, window_seconds: int) -> dict[str, list[float]]:
        """Every key's admitted hits still in the window, as ages in seconds."""
        now = time.monotonic()
        ages = {
            key: [now - hit for hit in hits if now - hit < window_seconds]
            for key, hits in self._hits.items()
        }
        return {key: hit_ages for key, hit_ages in ages.items() if hit_ages}

    def clear(self) -> None:
        self._hits.clear()
