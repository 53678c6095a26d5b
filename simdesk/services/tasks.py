"""Keeping the asyncio tasks a service starts (STYLE anti-pattern 6: no fire-and-forget).

A task nobody holds can be garbage-collected mid-flight and its exception is never seen;
:class:`TaskSet` holds each one until it is done, and cancels and awaits them all on shutdown.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

T = TypeVar("T")


class TaskSet:
    """The running tasks of one owner."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Future[Any]] = set()

    def spawn(self, work: Awaitable[T]) -> asyncio.Future[T]:
        """Run ``work`` as a task (or keep a task already running) until it is done."""
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

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
