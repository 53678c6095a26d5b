"""Time for the sandbox: the real clock, or a manual one the tests move by hand.

Everything in the sandbox that depends on time (bucket refills, async run timelines, stream
pacing, sync time caps) asks a ``Clock``. With :class:`ManualClock` a "sleep" jumps the clock
forward instead of waiting, so a run that takes minutes finishes at once in virtual time, and a
test moves the clock with :meth:`ManualClock.advance` to see buckets refill or async runs end.
"""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """What the sandbox needs to know about time."""

    def now(self) -> float:
        """Seconds since the epoch."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Let ``seconds`` of this clock's time pass."""
        ...


class RealClock:
    """Wall-clock time; sleeps really wait."""

    def now(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class ManualClock:
    """A clock that moves only when told to (or when the sandbox sleeps on it).

    Thread-safe: the sandbox runs in its own thread while the tests advance the clock.
    """

    def __init__(self, start: float = 1_787_316_000.0) -> None:  # 2026-08-21T12:40:00Z
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        """Move the clock forward and return the new time."""
        with self._lock:
            self._now += max(0.0, seconds)
            return self._now

    async def sleep(self, seconds: float) -> None:
        self.advance(seconds)
        await asyncio.sleep(0)


def iso(ts: float) -> str:
    """ISO 8601 UTC with milliseconds and ``Z``, as Sim writes timestamps."""
    dt = datetime.fromtimestamp(ts, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> float:
    """Inverse of :func:`iso`; accepts any ISO 8601 string with ``Z`` or an offset."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
