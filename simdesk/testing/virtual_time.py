"""Virtual time for deterministic runs of time-driven code (tests, benchmarks, the demo).

Code that waits on refills (the request budget, a retry loop) takes a ``sleep`` coroutine.
:meth:`VirtualTime.sleep` parks the caller until :meth:`VirtualTime.advance_to_next` moves a
virtual clock (e.g. the sandbox's ``ManualClock``) to the earliest wake-up. :meth:`drive` does
that whenever the work is *quiet*: nothing in flight, every live task parked. Minutes of
rate-limited traffic then take as long as the requests themselves.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable


class VirtualTime:
    """Sleeps on a virtual clock, woken in time order by whoever drives it.

    Args:
        now: the virtual clock's current time (epoch seconds).
        advance: moves the virtual clock forward by a number of seconds.
    """

    def __init__(self, now: Callable[[], float], advance: Callable[[float], object]) -> None:
        self.now = now
        self._advance = advance
        self._heap: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        self.slept = 0.0  # total virtual seconds the clock was moved by this driver

    @property
    def sleepers(self) -> int:
        """Callers parked in :meth:`sleep` right now."""
        return sum(1 for _, _, fut in self._heap if not fut.done())

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of virtual time (just yield when ``seconds <= 0``)."""
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._heap, (self.now() + seconds, next(self._seq), future))
        await future

    def advance_to_next(self) -> bool:
        """Move the clock to the earliest wake-up and wake everyone due; False if none wait."""
        while self._heap and self._heap[0][2].done():  # cancelled sleepers
            heapq.heappop(self._heap)
        if not self._heap:
            return False
        due = self._heap[0][0]
        step = max(0.0, due - self.now())
        if step:
            self._advance(step)
            self.slept += step
        while self._heap and self._heap[0][0] <= self.now():
            _, _, future = heapq.heappop(self._heap)
            if not future.done():
                future.set_result(None)
        return True

    async def drive(self, done: Callable[[], bool], quiet: Callable[[], bool], *, settle: int = 3) -> None:
        """Advance virtual time whenever ``quiet()`` holds, until ``done()``.

        ``quiet`` must say that nothing is in flight (no request on the wire). It must hold on
        ``settle`` consecutive turns of the loop before the clock moves, so tasks just woken get
        to run up to their next wait first.
        """
        calm = 0
        while not done():
            if quiet() and self.sleepers:
                calm += 1
                if calm >= settle:
                    calm = 0
                    self.advance_to_next()
                await asyncio.sleep(0)
            else:
                calm = 0
                # requests are on the wire: give the loop real time to do their I/O
                await asyncio.sleep(0.0005)
