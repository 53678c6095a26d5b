"""The batch runner (Qt-free): one workflow over every waiting row of a stored batch.

It keeps up to ``concurrency`` rows in flight and sends every request through the profile's
client, so the profile's request budget paces the batch (at :attr:`Priority.BATCH`, behind
anything the person starts by hand and behind the app's own polling). Before a row's request
leaves, the row's run id is committed to the :class:`~simdesk.core.batch_store.BatchStore`;
:meth:`BatchRunner.run` first looks up every row left in ``sending`` by an earlier process (the
first attempt's id and the ids the client derives for its retries) and records what Sim says
happened, so a row is never run twice. A row whose run Sim never received, or cancelled because
the connection went away, is sent again under a new id.

Pause stops new rows from starting (rows in flight finish); cancel stops new rows, cancels the
rows in flight on Sim, and marks the waiting rows cancelled. Problems that would fail every row
(a rejected key, a spent usage limit, a workflow that is gone) pause the batch with the reason
instead of failing each remaining row.

The same runner serves the Batches panel and ``simdesk batch`` in a terminal.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from simdesk.api.errors import (
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    SimError,
    UsageLimitError,
)
from simdesk.api.messages import user_message
from simdesk.api.urls import attempt_run_id, new_run_id
from simdesk.core.batch_store import Batch, BatchRow, BatchState, BatchStore, Counts, RowState, RunMode
from simdesk.core.budget import Priority, working_at
from simdesk.core.runs import Run, RunStatus
from simdesk.core.stream_events import Final

if TYPE_CHECKING:
    from simdesk.api.client import SimClient

log = logging.getLogger("simdesk.services.batch_runner")

MAX_CONCURRENCY = 64
_LOOKUP_ATTEMPTS = 4  # the first attempt's id and the client's retries (max_retries 3)
_RATE_WINDOW_S = 30.0  # throughput is measured over the rows settled in this window
CLIENT_CANCELLED = "Client cancelled request"  # Sim's error for a run whose client went away


@dataclass(frozen=True, slots=True)
class BatchProgress:
    """What a progress display shows."""

    batch_id: str
    state: BatchState
    counts: Counts
    running: int
    elapsed_s: float
    rows_per_s: float
    eta_s: float | None
    stopped_reason: str | None = None

    @property
    def waiting(self) -> int:
        """Rows not yet sent."""
        return self.counts[RowState.WAITING]

    @property
    def done(self) -> int:
        """Rows that ran to completion."""
        return self.counts[RowState.DONE]

    @property
    def failed(self) -> int:
        """Rows that failed (on Sim, or invalid before sending)."""
        return self.counts[RowState.FAILED] + self.counts[RowState.INVALID]


class _Stop(Exception):
    """A failure that would fail every remaining row: the batch pauses with this reason."""


@dataclass(frozen=True, slots=True)
class _Outcome:
    state: RowState
    duration_ms: float | None = None
    cost: float | None = None
    output: Any = None
    error: str | None = None
    error_code: str | None = None


class BatchRunner:
    """Runs one stored batch; construct, then ``await run()``. Call from the loop's thread."""

    def __init__(
        self,
        client: SimClient,
        store: BatchStore,
        batch: Batch,
        *,
        concurrency: int | None = None,
        on_progress: Callable[[BatchProgress], None] | None = None,
        on_row: Callable[[BatchRow], None] | None = None,
        poll_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.store = store
        self.batch = batch
        self.concurrency = max(1, min(concurrency or batch.concurrency, MAX_CONCURRENCY))
        self._on_progress = on_progress
        self._on_row = on_row
        self._poll_interval = poll_interval
        self._clock = clock
        self._wall = wall_clock
        self._resume = asyncio.Event()
        self._resume.set()
        self._cancelled = False
        self._cancel_done = asyncio.Event()
        self._stopped_reason: str | None = None
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._sent_ids: dict[int, str] = {}
        self._started = clock()
        self._settled_at: deque[float] = deque()
        self._counts: dict[RowState, int] = {}
        self._cost = 0.0

    # --- control ----------------------------------------------------------------------------

    @property
    def cancelled(self) -> bool:
        """True once :meth:`cancel` was called."""
        return self._cancelled

    @property
    def paused(self) -> bool:
        """True while no new rows start."""
        return not self._resume.is_set()

    def pause(self) -> None:
        """Start no new rows (those in flight finish)."""
        if not self._cancelled:
            self._resume.clear()
            self.store.set_state(self.batch.id, BatchState.PAUSED)
            self._report()

    def resume(self) -> None:
        """Start rows again."""
        self._stopped_reason = None
        if not self._cancelled:
            self.store.set_state(self.batch.id, BatchState.RUNNING)
            self._resume.set()
            self._report()

    def recount(self) -> None:
        """Take the row counts from the store again (rows were put back in the queue from outside)."""
        stored = self.store.counts(self.batch.id)
        self._counts, self._cost = dict(stored.by_state), stored.cost
        self._report()

    async def cancel(self) -> None:
        """Stop: cancel the rows in flight (on Sim too) and mark the waiting rows cancelled."""
        self._cancelled = True
        self._resume.set()
        in_flight = dict(self._in_flight)
        for task in in_flight.values():
            task.cancel()
        await asyncio.gather(*in_flight.values(), return_exceptions=True)
        for number in [n for n in in_flight if n in self._in_flight]:  # cancelled before their task ran
            self._in_flight.pop(number)
            self._mark_cancelled(number)
        await asyncio.gather(
            *(self._cancel_on_sim(n, rid) for n, rid in self._sent_ids.items()), return_exceptions=True
        )
        self._move(RowState.WAITING, RowState.CANCELLED, self.store.cancel_waiting(self.batch.id, self._wall()))
        self.store.set_state(self.batch.id, BatchState.CANCELLED)
        self._cancel_done.set()
        self._report()

    # --- the run ----------------------------------------------------------------------------

    async def run(self) -> Counts:
        """Recover rows an earlier process left in flight, then run every waiting row."""
        stored = self.store.counts(self.batch.id)
        self._counts, self._cost = dict(stored.by_state), stored.cost
        with working_at(Priority.BATCH):
            self.store.set_state(self.batch.id, BatchState.RUNNING)
            await self._recover()
            try:
                await self._dispatch()
            except asyncio.CancelledError:
                await self._abandon()
                raise
        if self._cancelled:
            await self._cancel_done.wait()
        elif self._stopped_reason is None and not self.paused:
            self.store.set_state(self.batch.id, BatchState.FINISHED)
        self._report()
        return self.store.counts(self.batch.id)

    async def _dispatch(self) -> None:
        after = 0
        queue: deque[BatchRow] = deque()
        while await self._may_go_on():
            if not queue:
                fetched = self.store.next_waiting(self.batch.id, self.concurrency * 4, after)
                # a row just handed to its task is still "waiting" in the store until the task runs
                queue.extend(row for row in fetched if row.number not in self._in_flight)
                if not queue and after:
                    after = 0  # rows put back (retry) may be numbered below the last read
                    continue
                if not queue:
                    if not self._in_flight:
                        if not self.paused:
                            break
                        continue
                    await asyncio.wait(self._in_flight.values(), return_when=asyncio.FIRST_COMPLETED)
                    after = 0  # a row put back (retry) may be numbered below the last read
                    continue
            if len(self._in_flight) >= self.concurrency:
                await asyncio.wait(self._in_flight.values(), return_when=asyncio.FIRST_COMPLETED)
                continue
            group = [queue.popleft() for _ in range(min(len(queue), self.concurrency - len(self._in_flight)))]
            after = group[-1].number
            self._start(group)
        if self._in_flight:
            await asyncio.gather(*self._in_flight.values(), return_exceptions=True)

    async def _abandon(self) -> None:
        """The run itself was cancelled (the app quits): stop the rows in flight where they are.
        Their ids are committed and they stay ``sending``, so the next run looks them up."""
        tasks = list(self._in_flight.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _may_go_on(self) -> bool:
        """Wait while paused; False once cancelled (cancel() wakes a paused batch to end it)."""
        if not self._cancelled:
            await self._resume.wait()
        return not self._cancelled

    def _start(self, rows: list[BatchRow]) -> None:
        """Commit the run ids of ``rows`` (one durable transaction), then send each."""
        ids = [(row.number, new_run_id()) for row in rows]
        self.store.mark_sending_many(self.batch.id, ids, self._wall())
        self._move(RowState.WAITING, RowState.SENDING, len(rows))
        for row, (number, run_id) in zip(rows, ids, strict=True):
            self._sent_ids[number] = run_id
            self._in_flight[number] = asyncio.create_task(self._run_row(row, run_id), name=f"batch-row-{number}")
        self._report()

    async def _run_row(self, row: BatchRow, run_id: str) -> None:
        started = self._clock()
        try:
            outcome = await self._send(row, run_id)
        except _Stop as stop:
            self.store.requeue(self.batch.id, [row.number])
            self._move(RowState.SENDING, RowState.WAITING)
            self._stop(str(stop))
            return
        except asyncio.CancelledError:
            if self._cancelled:
                self._mark_cancelled(row.number)
            raise
        finally:
            self._in_flight.pop(row.number, None)
        self._sent_ids.pop(row.number, None)
        duration = outcome.duration_ms if outcome.duration_ms is not None else (self._clock() - started) * 1000
        self._settle(row.number, outcome, duration)

    def _mark_cancelled(self, number: int) -> None:
        self.store.finish(
            self.batch.id, number, RowState.CANCELLED, ended_at=self._wall(),
            error="Cancelled with the batch", error_code="CANCELLED",
        )  # fmt: skip
        self._move(RowState.SENDING, RowState.CANCELLED)

    def _settle(self, number: int, outcome: _Outcome, duration_ms: float | None) -> None:
        self.store.finish(
            self.batch.id, number, outcome.state, ended_at=self._wall(), duration_ms=duration_ms, cost=outcome.cost,
            output=outcome.output, error=outcome.error, error_code=outcome.error_code,
        )  # fmt: skip
        self._settled_at.append(self._clock())
        self._move(RowState.SENDING, outcome.state, cost=outcome.cost or 0.0)
        if self._on_row is not None and (stored := self.store.row(self.batch.id, number)) is not None:
            self._on_row(stored)
        self._report()

    def _stop(self, reason: str) -> None:
        if self._stopped_reason is None:
            log.warning("batch %s paused: %s", self.batch.id, reason)
        self._stopped_reason = reason
        self._resume.clear()
        self.store.set_state(self.batch.id, BatchState.PAUSED)
        self._report()

    async def _send(self, row: BatchRow, run_id: str) -> _Outcome:
        wf = self.batch.workflow_id
        try:
            if self.batch.mode is RunMode.SYNC:
                result = await self.client.execute(wf, row.input, run_id=run_id)
                error = result.error
                return _Outcome(
                    _state_of(result.status), result.duration_ms, None, result.output,
                    error.message if error else None, error.code if error else None,
                )  # fmt: skip
            if self.batch.mode is RunMode.STREAM:
                return await self._stream(row, run_id)
            receipt = await self.client.execute_async(wf, row.input, run_id=run_id)
            run = await self.client.wait_for_run(wf, receipt.run_id, poll_interval=self._poll_interval)
            return _outcome_of(run)
        except (AuthenticationError, UsageLimitError, PermissionDeniedError) as exc:
            raise _Stop(user_message(exc)) from exc
        except NotFoundError as exc:
            raise _Stop(user_message(exc)) from exc
        except SimError as exc:
            log.info("batch %s row %d failed: %s", self.batch.id, row.number, exc)
            return _Outcome(
                RowState.FAILED, error=user_message(exc), error_code=exc.detail_code or exc.code or type(exc).__name__
            )
        except (OSError, ValueError) as exc:  # a file input that cannot be read, say: this row only
            log.warning("batch %s row %d could not be sent", self.batch.id, row.number, exc_info=True)
            return _Outcome(RowState.FAILED, error=f"The row could not be sent: {exc}", error_code="LOCAL_ERROR")

    async def _stream(self, row: BatchRow, run_id: str) -> _Outcome:
        selected = self.batch.selected_outputs
        stream = self.client.stream(self.batch.workflow_id, row.input, selected_outputs=selected, run_id=run_id)
        terminal = await stream.final()  # a stream that stops before its outcome raises ProtocolError
        if isinstance(terminal, Final):
            output = {"output": terminal.output, "texts": dict(terminal.texts)} if terminal.texts else terminal.output
            state = RowState.DONE if terminal.success else RowState.FAILED
            return _Outcome(state, output=output, error=terminal.error)
        return _Outcome(
            RowState.FAILED, output=dict(terminal.texts) or None, error=terminal.message, error_code="RUN_FAILED"
        )

    # --- recovery -----------------------------------------------------------------------------

    async def _recover(self) -> None:
        """Settle every row an earlier process left in ``sending``, by looking its run up."""
        for row in self.store.in_state(self.batch.id, RowState.SENDING):
            run = await self._find_run(row.run_id) if row.run_id else None
            if run is not None and not run.status.is_terminal:
                # still going: a sync run whose client died ends "cancelled" once Sim notices
                try:
                    run = await self.client.wait_for_run(
                        self.batch.workflow_id, run.run_id, poll_interval=self._poll_interval
                    )
                except SimError as exc:
                    log.warning(
                        "batch %s row %d: could not follow run %s: %s", self.batch.id, row.number, run.run_id, exc
                    )
                    continue  # stays in sending; looked up again next time
            if run is None or (self.batch.mode is not RunMode.ASYNC and _cut_off(run)):
                # never received, or ended by the lost connection: nothing ran to completion
                self.store.requeue(self.batch.id, [row.number])
                self._move(RowState.SENDING, RowState.WAITING)
                continue
            self._settle(row.number, _outcome_of(run), run.duration_ms)

    async def _find_run(self, first_id: str) -> Run | None:
        for attempt in range(_LOOKUP_ATTEMPTS):
            run_id = attempt_run_id(first_id, attempt)
            try:
                return await self.client.get_run(self.batch.workflow_id, run_id, include_output=True)
            except NotFoundError:
                continue
        return None

    async def _cancel_on_sim(self, number: int, run_id: str) -> None:
        with contextlib.suppress(SimError):
            await self.client.cancel_run(self.batch.workflow_id, run_id)

    # --- progress -----------------------------------------------------------------------------

    def _move(self, source: RowState, target: RowState, n: int = 1, *, cost: float = 0.0) -> None:
        self._counts[source] = self._counts.get(source, 0) - n
        self._counts[target] = self._counts.get(target, 0) + n
        self._cost += cost

    def progress(self) -> BatchProgress:
        """The batch's progress now (kept in memory: no query per row)."""
        counts = Counts({state: n for state, n in self._counts.items() if n}, self._cost)
        now = self._clock()
        while self._settled_at and now - self._settled_at[0] > _RATE_WINDOW_S:
            self._settled_at.popleft()
        span = min(_RATE_WINDOW_S, max(now - self._started, 1e-9))
        rate = len(self._settled_at) / span if self._settled_at else 0.0
        remaining = counts[RowState.WAITING] + counts[RowState.SENDING]
        eta = remaining / rate if rate > 0 else None
        state = BatchState.CANCELLED if self._cancelled else BatchState.PAUSED if self.paused else BatchState.RUNNING
        return BatchProgress(
            self.batch.id, state, counts, len(self._in_flight), now - self._started, rate, eta, self._stopped_reason
        )

    def _report(self) -> None:
        if self._on_progress is not None:
            self._on_progress(self.progress())


def _cut_off(run: Run) -> bool:
    """A sync or streamed run that ended because its client went away. Sim 0.8.9 records it
    ``cancelled`` with no error (tests/fixtures/sim-0.8.9/slow-sync-disconnect-status.body); the
    sandbox, and the API description (tests/fixtures/openapi/openapi-v2-workflows.json), say
    ``failed`` with "Client cancelled request"."""
    if run.status is RunStatus.CANCELLED:
        return True
    return run.status is RunStatus.FAILED and run.error is not None and run.error.message == CLIENT_CANCELLED


def _state_of(status: RunStatus) -> RowState:
    if status is RunStatus.COMPLETED:
        return RowState.DONE
    if status is RunStatus.CANCELLED:
        return RowState.CANCELLED
    return RowState.FAILED


def _outcome_of(run: Run) -> _Outcome:
    error = run.error
    message = error.message if error else None
    if message is None and run.status is not RunStatus.COMPLETED:
        message = f"The run ended {run.status.value}"
    return _Outcome(
        _state_of(run.status), run.duration_ms, run.cost, run.output, message, error.code if error else None
    )
