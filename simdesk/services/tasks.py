"""Keeping the asyncio tasks a service starts: no fire-and-forget.

The app starts async work one way: a service's plain method spawns the work on the service's
:class:`TaskSet` (and returns the task, for a caller that wants to wait); widgets call those
methods and listen to the service's signals, and never make tasks of their own.

A task nobody holds can be garbage-collected mid-flight and its exception is never seen;
:class:`TaskSet` holds each one until it is done, hands an exception nobody asked for to the
loop's exception handler (the app logs it and tells the user), and cancels and awaits them all
on shutdown.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


OnError = Callable[[BaseException], object]


class TaskSet:
    """The running tasks of one owner. ``on_error`` is told of an exception a task ended with
    (default: the loop's exception handler)."""

    def __init__(self, on_error: OnError | None = None) -> None:
        self._tasks: set[asyncio.Future[Any]] = set()
        self._on_error = on_error

    def spawn(self, work: Awaitable[T], on_error: OnError | None = None) -> asyncio.Future[T]:
        """Run ``work`` as a task (or keep a task already running) until it is done; ``on_error``
        replaces the set's own for this task."""
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(lambda done: self._done(done, on_error or self._on_error))
        return task

    def _done(self, task: asyncio.Future[Any], on_error: OnError | None) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()  # also marks it seen: asyncio would complain again when collected
        if exc is None:
            return
        if on_error is not None:
            on_error(exc)
        else:
            task.get_loop().call_exception_handler(
                {"message": "Background work failed", "exception": exc, "future": task}
            )

    def __len__(self) -> int:
        return len(self._tasks)

    def __bool__(self) -> bool:
        return bool(self._tasks)

    async def cancel_all(self) -> None:
        """Cancel every task and wait until they have all stopped."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
