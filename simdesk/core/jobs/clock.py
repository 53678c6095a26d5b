"""Time for the job tracker: ``now()`` and ``sleep()``, from the real clock or a virtual one.

The scheduler and the request budget only ever ask a clock for these two things. Tests and the
benchmark pass :class:`simdesk.core.virtual_time.VirtualTime` (which has both), so ten minutes
of polling run in the time the requests take, on the same timeline as the sandbox's clock.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol


class Clock(Protocol):
    """What the tracker needs to know about time."""

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
