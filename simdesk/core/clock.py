"""Time as the app's time-driven code sees it: ``now()`` and ``sleep()``, nothing more.

The job scheduler, the job tracker and the sandbox ask a :class:`Clock` for these two things.
The app runs on :class:`SystemClock`; tests, benchmarks and the demo's sandbox pass the manual and
virtual clocks of :mod:`simdesk.testing`, so minutes of polling or refills run in the time the
requests take.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol


class Clock(Protocol):
    """What time-driven code needs to know about time."""

    def now(self) -> float:
        """Seconds since the epoch."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Let ``seconds`` of this clock's time pass."""
        ...


class SystemClock:
    """Wall-clock time; sleeps really wait."""

    def now(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))
