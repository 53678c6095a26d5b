"""Clocks that move only when told to, for tests, benchmarks and the sandbox.

With :class:`ManualClock` a "sleep" jumps the clock forward instead of waiting, so a run that
takes minutes finishes at once in virtual time, and a test moves the clock with
:meth:`ManualClock.advance` to see buckets refill or async runs end. :class:`RecordedSleeps` is
the same, for code under test that sleeps (a retry policy): it also keeps every wait it was asked
for, and it can move another manual clock (a sandbox's), so the server sees the time pass.
"""

from __future__ import annotations

import asyncio
import threading

T0 = 1_787_316_000.0  # 2026-08-21T12:40:00Z, where manual clocks start unless told otherwise


class ManualClock:
    """A :class:`~simdesk.core.clock.Clock` that moves only when told to (or when slept on).

    Thread-safe: the sandbox runs in its own thread while the tests advance the clock. Calling
    it returns :meth:`now`, so it also serves where a ``clock: Callable[[], float]`` is taken.
    """

    def __init__(self, start: float = T0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    __call__ = now

    def advance(self, seconds: float) -> float:
        """Move the clock forward and return the new time."""
        with self._lock:
            self._now += max(0.0, seconds)
            return self._now

    async def sleep(self, seconds: float) -> None:
        self.advance(seconds)
        await asyncio.sleep(0)


class RecordedSleeps:
    """A clock whose sleeps return at once, recorded in :attr:`sleeps`, moving ``clock`` by each."""

    def __init__(self, clock: ManualClock | None = None) -> None:
        self.clock = clock if clock is not None else ManualClock()
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.clock.now()

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.clock.advance(seconds)
