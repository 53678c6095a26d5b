"""The app's thread pools, in one place: blocking calls (keyring over D-Bus, file reads, sqlite)
run here, off the GUI thread.

* ``blocking``: a plain ``ThreadPoolExecutor`` installed as the loop's default executor, so
  :func:`run_blocking`, ``asyncio.to_thread`` and ``getaddrinfo`` all share it. Plain rather than
  qasync's default ``QThreadExecutor``, whose QThreads abort the process ("QThread: Destroyed while
  thread is still running") when they outlive the loop, and nothing guarantees every loop is
  closed first (the test suite's session loop is not).
* ``history_reads``: one thread, so reads of the run history finish in the order they were asked
  for (reopening run A, then B, never shows A last).

The app creates one :class:`Executors`, hands it to its loop and to the services that need a named
pool, and shuts it down after the loop has stopped.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field

BLOCKING_WORKERS = 4


def _pool(workers: int, name: str) -> Callable[[], ThreadPoolExecutor]:
    return lambda: ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)


@dataclass(frozen=True)
class Executors:
    """The app's executors; created by the app, shut down by it (:meth:`shutdown`)."""

    blocking: ThreadPoolExecutor = field(default_factory=_pool(BLOCKING_WORKERS, "simdesk-blocking"))
    history_reads: ThreadPoolExecutor = field(default_factory=_pool(1, "simdesk-history-read"))

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        """Make ``blocking`` the default executor of ``loop``."""
        loop.set_default_executor(self.blocking)

    def shutdown(self, *, wait: bool = True) -> None:
        """Stop every pool (after the loop has stopped); with ``wait``, join their threads."""
        for executor in (self.history_reads, self.blocking):
            executor.shutdown(wait=wait, cancel_futures=not wait)


async def run_blocking[**P, R](func: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """``await`` ``func(*args, **kwargs)`` run in the blocking pool (the loop's default executor)."""
    return await blocking_future(func, *args, **kwargs)


def blocking_future[**P, R](func: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> asyncio.Future[R]:
    """``func(*args, **kwargs)`` started in the blocking pool, as a future of the running loop."""
    return run_in(None, func, *args, **kwargs)


def run_in[**P, R](
    executor: Executor | None, func: Callable[P, R], *args: P.args, **kwargs: P.kwargs
) -> asyncio.Future[R]:
    """``func(*args, **kwargs)`` started in ``executor`` (``None``: the blocking pool)."""
    loop = asyncio.get_running_loop()
    return loop.run_in_executor(executor, functools.partial(func, *args, **kwargs))
