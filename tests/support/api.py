"""Helpers for the client tests: run a coroutine, a fake clock for the retry policy's waits, wait
for an effect on the sandbox's thread."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any

from simdesk.api import RetryPolicy
from simdesk.sandbox.server import RunningSandbox
from simdesk.testing.clock import ManualClock, RecordedSleeps


def run[T](coro: Coroutine[Any, Any, T]) -> T:
    """Run one test coroutine on a fresh event loop, in a thread of its own.

    The thread keeps it independent of the Qt suites: once their session qasync loop exists it
    counts as running in this thread, and a plain ``asyncio.run`` here would refuse to start."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="api-test") as pool:
        return pool.submit(asyncio.run, coro).result()


class FakeClock(RecordedSleeps):
    """Stands in for ``asyncio.sleep`` in the retry policy: records each wait and returns at once.

    With ``sandbox`` set, each wait moves the sandbox's manual clock, so the server sees the time
    pass (buckets refill, async runs progress).
    """

    def __init__(self, sandbox: RunningSandbox | None = None) -> None:
        clock = sandbox.clock if sandbox is not None else None
        assert clock is None or isinstance(clock, ManualClock), "the sandbox runs on the real clock"
        super().__init__(clock)


def policy(clock: FakeClock, **overrides: Any) -> RetryPolicy:
    """A retry policy on ``clock`` with the jitter source pinned to the middle of its range."""
    overrides.setdefault("random", lambda: 0.5)
    return RetryPolicy(sleep=clock.sleep, **overrides)


def eventually(predicate: Callable[[], bool], timeout: float = 3.0) -> bool:
    """Poll ``predicate`` until it holds or ``timeout`` passes (like ``qtbot.waitUntil``).

    For effects that happen on the sandbox's own thread after the client is done, such as
    noticing a closed connection. Returns at the first true answer.
    """
    deadline = time.monotonic() + timeout
    tick = threading.Event()
    while not predicate():
        if time.monotonic() > deadline:
            return False
        tick.wait(0.005)
    return True
