"""The app's one asyncio loop on Qt (qasync), made to behave like a stock asyncio loop.

* **Async-generator hooks.** ``BaseEventLoop.run_forever`` installs ``sys.set_asyncgen_hooks``
  so an async generator dropped half-way (an abandoned httpx-sse stream) is finalised by
  scheduling its ``aclose()`` on the loop. qasync 0.28 replaces ``run_forever`` and skips that,
  so such generators are closed by the garbage collector outside the loop and warn.
  :class:`AppEventLoop` puts the hooks back, and :func:`asyncgen_hooks` offers the same for a
  loop someone else runs (the test suite's).
* **Errors.** :func:`make_exception_handler` logs what the loop reports and tells the user, so
  an error in a callback never ends the app.
* **Shutdown.** :func:`cancel_pending` cancels every other task and waits for them, briefly.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import qasync

from simdesk.services.executors import Executors

log = logging.getLogger("simdesk.loop")


@contextmanager
def asyncgen_hooks(loop: asyncio.AbstractEventLoop) -> Iterator[None]:
    """Route async-generator first-iteration and finalisation to ``loop`` while inside."""
    # The hooks are BaseEventLoop's own (what its run_forever installs); qasync loops have them.
    firstiter = loop._asyncgen_firstiter_hook  # type: ignore[attr-defined]
    finalizer = loop._asyncgen_finalizer_hook  # type: ignore[attr-defined]
    previous = sys.get_asyncgen_hooks()
    sys.set_asyncgen_hooks(firstiter=firstiter, finalizer=finalizer)
    try:
        yield
    finally:
        sys.set_asyncgen_hooks(*previous)


class AppEventLoop(qasync.QEventLoop):
    """A qasync loop whose ``run_forever`` sets the async-generator hooks, as asyncio's does.

    Its default executor is the blocking pool of ``executors`` (see
    :mod:`simdesk.services.executors`); without one the loop makes its own.
    """

    def __init__(self, *args: Any, executors: Executors | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.executors = executors if executors is not None else Executors()
        self.executors.install(self)

    def run_forever(self) -> Any:
        with asyncgen_hooks(self):
            return super().run_forever()


ErrorSink = Callable[[str, BaseException | None], None]


def make_exception_handler(notify: ErrorSink) -> Callable[[asyncio.AbstractEventLoop, dict[str, Any]], None]:
    """A loop exception handler that logs the context and calls ``notify(text, exc)``.

    ``notify`` must not raise; if it does, the failure is logged and swallowed, because an
    exception handler that raises takes the loop down with it.
    """

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        message = str(context.get("message") or "Unhandled error in the event loop")
        if isinstance(exc, asyncio.CancelledError):
            return
        log.error(
            "event loop: %s (%s)",
            message,
            ", ".join(f"{k}={v!r}" for k, v in context.items() if k not in ("message", "exception")),
            exc_info=(type(exc), exc, exc.__traceback__) if isinstance(exc, BaseException) else None,
        )
        try:
            notify(message, exc if isinstance(exc, BaseException) else None)
        except Exception:
            log.exception("the error notifier failed")

    return handler


async def cancel_pending(grace_s: float = 3.0) -> int:
    """Cancel every task but the current one and wait up to ``grace_s``; returns how many."""
    current = asyncio.current_task()
    tasks = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
    for task in tasks:
        task.cancel()
    if tasks:
        done, pending = await asyncio.wait(tasks, timeout=grace_s)
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                exc = task.exception()
                log.warning("task %s ended with %r while shutting down", task.get_name(), exc)
        if pending:
            log.warning("%d task(s) did not stop within %.1f s", len(pending), grace_s)
    return len(tasks)
