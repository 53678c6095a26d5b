"""Run blocking calls (keyring over D-Bus, file reads) off the GUI thread.

A plain ``ThreadPoolExecutor`` rather than the loop's default executor: qasync's default is a
``QThreadExecutor`` whose QThreads abort the process if they still exist when Python exits,
and nothing guarantees every loop is closed first (the test suite's session loop is not).
Python joins these threads at exit on its own.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

_executor: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="simdesk-blocking")
        return _executor


async def run_blocking[**P, R](func: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """``await`` ``func(*args, **kwargs)`` run in a worker thread."""
    return await blocking_future(func, *args, **kwargs)


def blocking_future[**P, R](func: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> asyncio.Future[R]:
    """``func(*args, **kwargs)`` started in a worker thread, as a future of the running loop."""
    loop = asyncio.get_running_loop()
    return loop.run_in_executor(_pool(), functools.partial(func, *args, **kwargs))
