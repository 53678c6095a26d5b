"""The event loop: async generators finalised on the loop, errors shown instead of crashing."""

from __future__ import annotations

import asyncio
import gc
import sys
from collections.abc import AsyncIterator
from typing import Any

from simdesk.app import install_error_hooks
from simdesk.services.eventloop import AppEventLoop, asyncgen_hooks, cancel_pending
from simdesk.services.messages import MessageBus


def test_an_abandoned_async_generator_is_closed_on_the_loop(qloop: Any, qtbot: Any) -> None:
    events: list[str] = []

    async def stream() -> AsyncIterator[int]:
        try:
            yield 1
            yield 2
        finally:
            events.append("closed")

    async def take_one() -> None:
        agen = stream()
        assert await agen.__anext__() == 1
        del agen  # abandoned half-way, as an unfinished SSE stream is
        events.append("dropped")

    with asyncgen_hooks(qloop):
        task = asyncio.ensure_future(take_one())
        qtbot.waitUntil(task.done)
        gc.collect()
        qtbot.waitUntil(lambda: "closed" in events)
    # With the hooks the loop runs aclose() later, as a task of its own; without them the
    # generator is thrown into synchronously, in the middle of whatever code dropped it.
    assert events == ["dropped", "closed"]
    assert sys.get_asyncgen_hooks().finalizer is not qloop._asyncgen_finalizer_hook


def test_app_loop_run_forever_installs_the_hooks() -> None:
    assert "run_forever" in AppEventLoop.__dict__  # qasync's own run_forever skips the hooks


def test_loop_errors_and_unhandled_exceptions_become_messages(qloop: Any, qtbot: Any) -> None:
    bus = MessageBus()
    undo = install_error_hooks(qloop, bus)
    try:

        def broken_callback() -> None:
            raise ValueError("callback failed")

        with qtbot.waitSignal(bus.error, timeout=2_000) as shown:
            qloop.call_soon(broken_callback)
        assert "Details are in the log" in shown.args[0]

        with qtbot.waitSignal(bus.error, timeout=2_000) as shown:
            sys.excepthook(KeyError, KeyError("x"), None)
        assert "KeyError" in shown.args[0]
    finally:
        undo()
    assert sys.excepthook is not None and bus.recent


def test_cancel_pending_cancels_other_tasks(arun: Any) -> None:
    async def forever() -> None:
        await asyncio.Event().wait()

    async def scenario() -> tuple[int, bool]:
        victim = asyncio.ensure_future(forever())
        await asyncio.sleep(0)
        count = await cancel_pending(grace_s=1.0)
        return count, victim.cancelled()

    count, cancelled = arun(scenario())
    assert count >= 1 and cancelled
