"""The three ways to run a workflow, and Stop, as plain coroutines over a :class:`SimClient`.

:class:`simdesk.services.runs.RunService` drives these and owns the Qt side; keeping them free of
Qt keeps the rules readable in one place:

* **Stream** hands the events of each network read to the sink at once and yields to the event
  loop every few milliseconds, so a burst of thousands of frames cannot freeze the window.
* **Sync** waits for the run's result. **Background** queues the run and polls it.
* **Stop** asks Sim to cancel *before* the connection closes (closing first would make Sim record
  the run as failed with "Client cancelled request", sim-api.md §6.1), then waits until Sim reports
  a terminal status, so the console shows what the server confirmed, not what it hoped.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from simdesk.api import SimClient
from simdesk.api.errors import APIConnectionError, APIStatusError, ProtocolError, SimError
from simdesk.api.messages import user_message
from simdesk.api.streaming import RunStream
from simdesk.core.input_form import to_wire
from simdesk.core.runs import AsyncReceipt, Run, RunResult, RunStatus
from simdesk.core.stream_events import StreamEvent
from simdesk.core.transcript import Outcome

Mode = Literal["sync", "stream", "async"]
YIELD_EVERY_S = 0.006  # the stream consumer gives the event loop a turn at least this often


@dataclass(frozen=True)
class RunRequest:
    """One run as the console asks for it. ``values`` come from :mod:`simdesk.core.input_form`."""

    profile: str
    workflow_id: str
    workflow_name: str
    mode: Mode
    values: Mapping[str, Any] = field(default_factory=dict)
    selected_outputs: Sequence[str] = ()
    include_thinking: bool = False
    include_tool_calls: bool = False
    execution_timeout_s: int | None = None

    def options(self) -> dict[str, Any]:
        """The run's options, JSON-ready (for the history and the snippets)."""
        return {
            "mode": self.mode,
            "selectedOutputs": list(self.selected_outputs),
            "includeThinking": self.include_thinking,
            "includeToolCalls": self.include_tool_calls,
            "executionTimeoutSeconds": self.execution_timeout_s,
        }


# --- outcomes ----------------------------------------------------------------------------------


def outcome_of_result(result: RunResult) -> Outcome:
    """A sync run's result (legacy Response-block replies keep their body as the output)."""
    error = result.error
    return Outcome(
        status=result.status.value if result.status.is_terminal or result.status is RunStatus.PAUSED else "failed",
        output=result.output,
        error=error.message if error else None,
        error_code=error.code if error else None,
        request_id=result.request_id,
        run_id=result.run_id,
        duration_ms=result.duration_ms,
        note=f"Response block answered HTTP {result.response.status}" if result.response else None,
    )


def outcome_of_run(run: Run, note: str | None = None) -> Outcome:
    """A polled run's state."""
    status = run.status.value if run.status.is_terminal or run.status is RunStatus.PAUSED else "interrupted"
    return Outcome(
        status=status,
        output=run.output,
        error=run.error.message if run.error else None,
        error_code=run.error.code if run.error else None,
        run_id=run.run_id,
        duration_ms=run.duration_ms,
        cost=run.cost,
        note=note,
    )


def outcome_of_error(exc: SimError, *, started: bool) -> Outcome:
    """A run that raised. ``interrupted`` when its stream or connection broke after it started
    (its end is unknown to us), else ``failed`` with a note on whether Sim ran it at all."""
    if started and isinstance(exc, ProtocolError | APIConnectionError):
        status, note = "interrupted", None
    elif _refused(exc):
        status, note = "failed", "Sim did not run the workflow."
    else:
        status, note = "failed", "Sim's answer could not be read; the run may not have started."
    return Outcome(
        status=status,
        error=user_message(exc),
        error_code=exc.detail_code or exc.code or (f"HTTP {exc.status}" if exc.status else None),
        request_id=exc.request_id,
        run_id=exc.run_id,
        note=note,
    )


def _refused(exc: SimError) -> bool:
    """True when the request certainly did not start a run (a 4xx, or it never left)."""
    if isinstance(exc, APIConnectionError):
        return not exc.request_sent
    if isinstance(exc, APIStatusError):
        return exc.status is not None and exc.status < 500
    return not isinstance(exc, ProtocolError)


# --- the modes ---------------------------------------------------------------------------------


class EventSink(Protocol):
    """Where :func:`run_stream` puts events: each network read's events are added to ``pending``
    at once (the hot path is one list extend per read), ``arm(n)`` after the first ``n`` events
    since a paint, ``checkpoint()`` after every read (it returns how long to pause reading:
    backpressure). Every SSE ``data`` payload, as the client decoded it, is appended to ``raw``
    (for the raw-frames inspector)."""

    pending: list[StreamEvent]
    raw: list[str]
    armed: bool

    def arm(self, added: int = 1) -> None: ...

    def checkpoint(self) -> float: ...


async def run_stream(
    client: SimClient,
    request: RunRequest,
    run_id: str,
    sink: EventSink,
    opened: Callable[[RunStream], None],
) -> Outcome | None:
    """Stream the run into ``sink``. Returns ``None`` when the stream ended with its terminal
    event (the caller's transcript has the outcome), else the error's outcome.

    The client keeps no answer text (``keep_text=False``: the transcript accumulates it), so a
    stream of any length reads in bounded memory."""
    stream = client.stream(
        request.workflow_id,
        to_wire(request.values),
        selected_outputs=list(request.selected_outputs),
        include_thinking=request.include_thinking,
        include_tool_calls=request.include_tool_calls,
        run_id=run_id,
        keep_text=False,
        on_raw=sink.raw.append,
    )
    opened(stream)
    count = 0
    clock = time.perf_counter
    turn = clock()
    extend = sink.pending.extend  # the sink empties this list in place, never replaces it
    try:
        async with stream:
            # a network read's events at a time: the per-event cost is one list copy, not a
            # turn of this loop (a fast stream delivers a few thousand events per read)
            async for batch in stream.batches():
                extend(batch)
                if not sink.armed:
                    sink.arm(len(batch))
                count += len(batch)
                pause = sink.checkpoint()
                if pause or clock() - turn > YIELD_EVERY_S:
                    await asyncio.sleep(pause)  # let Qt paint and run timers between bursts
                    turn = clock()
    except SimError as exc:
        if exc.run_id is None:
            exc.run_id = stream.run_id
        return outcome_of_error(exc, started=count > 0)
    return None


async def run_sync(client: SimClient, request: RunRequest, run_id: str) -> Outcome:
    """Run and wait for the result."""
    try:
        result = await client.execute(request.workflow_id, to_wire(request.values), run_id=run_id)
    except SimError as exc:
        return outcome_of_error(exc, started=False)
    return outcome_of_result(result)


async def queue_run(client: SimClient, request: RunRequest, run_id: str) -> AsyncReceipt | Outcome:
    """Queue a background run; its receipt, or the error's outcome."""
    try:
        return await client.execute_async(
            request.workflow_id,
            to_wire(request.values),
            run_id=run_id,
            execution_timeout_s=request.execution_timeout_s,
        )
    except SimError as exc:
        return outcome_of_error(exc, started=False)


async def follow_run(
    client: SimClient, workflow_id: str, run_id: str, on_update: Callable[[Run], None], *, poll_s: float = 1.0
) -> Outcome:
    """Poll a queued run until it settles (or pauses)."""
    try:
        run = await client.wait_for_run(
            workflow_id, run_id, poll_interval=poll_s, max_interval=max(poll_s, 10.0), on_update=on_update
        )
    except SimError as exc:
        return outcome_of_error(exc, started=True)
    return outcome_of_run(run)


async def cancel_run(client: SimClient, workflow_id: str, run_id: str) -> str:
    """Ask Sim to cancel; returns a short note about what Sim answered."""
    try:
        result = await client.cancel_run(workflow_id, run_id)
    except SimError as exc:
        return f"Cancel was refused: {user_message(exc)}"
    if not result.success:
        return f"Sim could not record the cancel ({result.reason or 'no reason given'})"
    return f"Sim accepted the cancel ({result.reason or 'recorded'})"


async def confirm_end(
    client: SimClient, workflow_id: str, run_id: str, note: str, *, timeout_s: float = 30.0, poll_s: float = 0.25
) -> Outcome:
    """Poll until Sim reports the run terminal; the outcome carries ``note`` and what Sim said."""
    try:
        run = await client.wait_for_run(
            workflow_id,
            run_id,
            poll_interval=poll_s,
            max_interval=2.0,
            timeout=timeout_s,
            include_output=True,
            stop_when_paused=False,
        )
    except SimError as exc:
        return Outcome(
            "interrupted",
            error=user_message(exc),
            request_id=exc.request_id,
            run_id=run_id,
            note=f"{note}; Sim has not confirmed the run's end yet",
        )
    return outcome_of_run(run, note=f"{note}; Sim reports the run {run.status.value}")
