"""The run console's service: runs a workflow in one of three modes and tells the view what changed.

Widgets call :meth:`RunService.start` / :meth:`RunService.stop` and connect to the signals; they
never await and never see an exception (STYLE pattern 5).

Streaming follows STYLE pattern 8: events go into a pending list as they arrive (O(1) per
event), and a single-shot timer applies them to the :class:`~simdesk.core.transcript.Transcript`,
hands their frames to the history and emits one :attr:`RunService.changed` at most once per
``paint_ms`` — so painting costs the same whether 10 or 10 000 chunks arrived in that time, and
whatever was painted is already on its way to disk. The pending list is bounded: past
``max_pending`` events it is drained into the transcript at once (without painting).

Signals:
    started(RunHeader): a run started or a past run was opened; views reset from :attr:`transcript`.
    changed(list[Change]): what changed in :attr:`transcript` since the last emission.
    frames(int): how many raw frames arrived since the last paint (:meth:`RunService.raw_frames` has them).
    progress(RunProgress): status text, elapsed time and timings, about once a second and per paint;
        while a stream waits for its first frame, ``waiting_s`` says for how long.
    finished(Outcome): the run ended (the outcome is also in :attr:`transcript`).
    notice(str): a hint for the user (e.g. "this run nears the sync time cap: run it in the background").
    outline_changed(str, WorkflowOutline): blocks learnt for a workflow (names, output selectors).
    busy_changed(bool): a run is (not) in progress.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from simdesk.api import SimClient
from simdesk.api.errors import FeatureUnavailableError, SimError
from simdesk.api.messages import user_message
from simdesk.api.streaming import RunStream
from simdesk.core import frames as wire
from simdesk.core.budget import BudgetSnapshot, Priority, RequestBudget, format_wait, working_at
from simdesk.core.input_form import to_jsonable, to_wire
from simdesk.core.outline import WorkflowOutline, merge, outline_from_spans
from simdesk.core.presets import PresetStore
from simdesk.core.rates import ASYNC_EXECUTIONS, SYNC_EXECUTIONS
from simdesk.core.run_history import RunHistory, RunRecord, RunStart
from simdesk.core.runs import Run
from simdesk.core.snippets import SNIPPETS, RunSpec
from simdesk.core.stream_events import Chunk, ChunkReset, StreamEvent
from simdesk.core.transcript import Change, ChangeList, Outcome, Timing, Transcript
from simdesk.core.transcript_export import ExportMeta, write_json, write_markdown
from simdesk.services import run_modes
from simdesk.services.raw_tail import RawTail
from simdesk.services.run_modes import RunRequest
from simdesk.services.tasks import TaskSet

log = logging.getLogger("simdesk.services.runs")

ClientGetter = Callable[[], Awaitable[SimClient]]
JobHandoff = Callable[[RunRequest, dict[str, Any]], Awaitable[Any]]
SYNC_CAP_S = {"free": 300.0}  # CONTRACT §3.4; paid plans get 3000 s
PAID_SYNC_CAP_S = 3000.0
NEAR_CAP = 0.8
RAW_KEEP = 2000  # raw frames kept for the inspector (all are on disk)
FLOOD_EVENTS = 1000  # events waiting at a paint that make it a flood
SAVE_BYTES = 2 * 2**20  # drained frames handed to the history early, between paints, past this
BACKLOG_BYTES = 8 * 2**20  # the history's writer this far behind: the stream waits for it
BACKLOG_WAIT_S = 0.005
FLOOD_PAINT_MS = 100  # paint interval during a flood
WAITING = "Waiting for the first output…"  # a stream's status until its first frame (Sim sends nothing before)
# history reads run here, not in qasync's default executor (QThreads that warn at interpreter exit)
_READER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="simdesk-history-read")


async def _off_thread[T](fn: Callable[..., T], *args: Any) -> T:
    return await asyncio.get_running_loop().run_in_executor(_READER, fn, *args)


@dataclass(frozen=True)
class RunHeader:
    """What the console shows above a run. ``live`` is False for a run reopened from history."""

    key: str
    profile: str
    workflow_id: str
    workflow_name: str
    mode: str
    input: dict[str, Any]
    options: dict[str, Any]
    started_at: float
    run_id: str | None = None
    live: bool = True


@dataclass(frozen=True)
class RunProgress:
    """The timing strip: what is happening, for how long, how fast. ``waiting_s`` is set while a
    stream has been sent and no frame has arrived yet (Sim answers a stream only with its first
    output, which an agent that thinks or calls tools may take minutes to produce)."""

    status: str
    elapsed_s: float
    timing: Timing = field(default_factory=Timing)
    server_duration_ms: float | None = None
    cost: float | None = None
    running: bool = True
    waiting_s: float | None = None
    held: str | None = None  # "Waiting for a run slot · 34 s" while this app's budget holds the run


def held_text(budget: BudgetSnapshot | None, mode: str) -> str | None:
    """While the profile's request budget holds a run back (its execution bucket is empty here),
    what the run waits for and for how long; ``None`` when nothing is held."""
    if budget is None or not budget.waiting_runs:
        return None
    bucket = budget.buckets.get(ASYNC_EXECUTIONS if mode == "async" else SYNC_EXECUTIONS)
    if bucket is None or bucket.remaining is None or bucket.remaining > 0:
        return None
    slot = "a background slot" if mode == "async" else "a run slot"
    when = budget.next_admission_at
    wait = f" · {format_wait(when - budget.now)}" if when is not None else ""
    return f"Waiting for {slot}{wait} (this account's limit; the run has not been sent yet)"


class RunService(QObject):
    """Runs workflows for the console (one at a time) and keeps every run in the history."""

    _budget: RequestBudget | None = None  # the running run's client's, to tell when it holds the run

    started = Signal(object)
    changed = Signal(object)
    frames = Signal(object)
    progress = Signal(object)
    finished = Signal(object)
    notice = Signal(str)
    outline_changed = Signal(str, object)
    busy_changed = Signal(bool)

    def __init__(
        self,
        history: RunHistory,
        presets: PresetStore,
        *,
        paint_ms: int = 16,
        max_pending: int = 512,
        poll_s: float = 1.0,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.history = history
        self.presets = presets
        self.transcript = Transcript()
        self.header: RunHeader | None = None
        self.poll_s = poll_s
        self.sync_cap_s = SYNC_CAP_S["free"]
        self._profile = ""
        self._endpoint = ("https://www.sim.ai", "v2")  # (base URL, surface) for snippets
        self._client_getter: ClientGetter | None = None
        self._key_getter: Callable[[], str | None] = lambda: None
        self._job_handoff: JobHandoff | None = None
        self.pending: list[StreamEvent] = []  # events not yet applied (the stream loop appends)
        self.armed = False  # a paint is scheduled for the pending events
        self._marks: list[tuple[int, float, int]] = []  # (index in pending, arrival time, index in raw) per group
        self._changes = ChangeList()
        self._unsaved: list[tuple[float, list[str], int]] = []  # drained groups not yet handed to the history
        self._drained = 0  # events drained since the last paint
        self._new_frames = 0  # frames kept for the inspector since the last paint
        self._unsaved_bytes = 0
        self._raw = RawTail(RAW_KEEP)
        self.raw = self._raw.incoming  # raw payloads not yet drained (the stream's on_raw appends)
        self._max_pending = max_pending
        self._t0 = 0.0
        self._task: asyncio.Task[None] | None = None
        self._stopping: asyncio.Task[None] | None = None
        self._stream: RunStream | None = None
        self._run_id: str | None = None
        self._status = "Ready"
        self._server: tuple[float | None, float | None] = (None, None)
        self._warned_cap = False
        self._ended = True
        self._waiting = False  # a stream is sent and no frame has arrived yet
        self._tasks = TaskSet()
        self._paint = QTimer(self)
        self._paint.setSingleShot(True)
        self._paint.setInterval(paint_ms)
        self._paint_ms = paint_ms
        self._flood_ms = max(paint_ms, FLOOD_PAINT_MS)
        self._paint.timeout.connect(self._flush)
        self._clock = QTimer(self)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._tick)

    # --- wiring --------------------------------------------------------------------------

    def set_profile(
        self,
        name: str,
        client: ClientGetter,
        key: Callable[[], str | None] | None = None,
        *,
        base_url: str | None = None,
    ) -> None:
        """Run as profile ``name``; ``client()`` gives its client, ``key()`` its key (only ever
        shown masked, in snippets), ``base_url`` its server (for snippets before any run)."""
        self._profile = name
        self._client_getter = client
        self._key_getter = key or (lambda: None)
        self._endpoint = (base_url or "https://www.sim.ai", "v2")

    def set_plan(self, plan: str | None) -> None:
        """The account's plan decides the sync time cap (free 300 s, paid 3000 s)."""
        self.sync_cap_s = SYNC_CAP_S.get(plan or "free", PAID_SYNC_CAP_S)

    def set_job_handoff(self, handoff: JobHandoff | None) -> None:
        """ "Run in background" hands runs to the job tracker through ``handoff(request, input)``."""
        self._job_handoff = handoff

    @property
    def profile(self) -> str:
        """The profile runs are made as."""
        return self._profile

    @property
    def running(self) -> bool:
        """True while a run is in progress (or stopping)."""
        return not self._ended

    @property
    def clock_origin(self) -> float:
        """``time.perf_counter()`` when the current run started (its timings count from here)."""
        return self._t0

    @property
    def run_id(self) -> str | None:
        """The current run's id on the server, once known."""
        return self._run_id

    async def client(self) -> SimClient:
        """The current profile's client."""
        if self._client_getter is None:
            raise RuntimeError("no profile is set")
        client = await self._client_getter()
        self._endpoint = (client.base_url, client.surface or self._endpoint[1])
        return client

    def api_key(self) -> str | None:
        """The current profile's key (only for masking in snippets)."""
        try:
            return self._key_getter()
        except Exception:  # a locked keyring must not break "Copy as cURL"
            return None

    # --- starting ------------------------------------------------------------------------

    def start(self, request: RunRequest) -> bool:
        """Start ``request`` (False if a run is already going). Input must already be checked."""
        if self.running or self._client_getter is None:
            return False
        key = uuid.uuid4().hex
        self._run_id = f"desk-{uuid.uuid4()}"
        now = time.time()
        stored = to_jsonable(request.values)
        self.header = RunHeader(
            key,
            request.profile,
            request.workflow_id,
            request.workflow_name,
            request.mode,
            stored,
            request.options(),
            now,
            self._run_id,
        )
        names = self._outline(request.workflow_id).names()
        self._reset(Transcript(names=names))
        self._t0 = time.perf_counter()
        self._server = (None, None)
        self._warned_cap = False
        self._ended = False
        self.presets.set_last_input(request.profile, request.workflow_id, stored)
        self.presets.set_options(request.profile, request.workflow_id, request.options())
        self.history.begin(
            RunStart(
                key,
                request.profile,
                request.workflow_id,
                request.workflow_name,
                request.mode,
                stored,
                request.options(),
                self._run_id,
                now,
            )
        )
        self.started.emit(self.header)
        self._set_status("Starting…")
        self._task = asyncio.ensure_future(self._run(request, self._run_id))
        self._task.add_done_callback(self._task_done)
        self._clock.start()
        self.busy_changed.emit(True)
        return True

    def _reset(self, transcript: Transcript) -> None:
        self.transcript = transcript
        self.pending.clear()
        self._marks.clear()
        self.armed = False
        self._unsaved = []
        self._unsaved_bytes = 0
        self._drained = 0
        self._changes.done()
        self._new_frames = 0
        self._raw.clear()
        self._stream = None

    async def _run(self, request: RunRequest, run_id: str) -> None:
        try:
            client = await self.client()
        except Exception as exc:  # no key, a locked keyring, a bad address: nothing was sent
            self._finish(Outcome("failed", error=_words(exc), run_id=None, note="Sim did not run the workflow."))
            return
        self._budget = client.budget
        outcome: Outcome | None
        if request.mode == "stream":
            self._waiting = True
            self._set_status(WAITING)
            outcome = await run_modes.run_stream(client, request, run_id, self, self._opened)
        elif request.mode == "sync":
            self._set_status("Running (waiting for the result)…")
            outcome = await run_modes.run_sync(client, request, run_id)
        else:
            outcome = await self._run_background(client, request, run_id)
        self._flush()
        if outcome is None:
            outcome = self.transcript.outcome
        if outcome is not None and outcome.run_id is None:
            outcome = replace(outcome, run_id=self._run_id)
        await self._settle(outcome, client, request)

    async def _run_background(self, client: SimClient, request: RunRequest, run_id: str) -> Outcome:
        if self._job_handoff is not None:
            job = await self._job_handoff(request, to_wire(request.values))
            job_run = getattr(job, "run_id", None)
            self._set_run_id(job_run)
            error = getattr(job, "error", None)
            if error:
                return Outcome("failed", error=str(error), run_id=job_run, note="Sim did not start the run.")
            return Outcome("background", run_id=job_run, note="Handed to the job tracker; follow it in Jobs.")
        self._set_status("Handing the run to Sim…")
        queued = await run_modes.queue_run(client, request, run_id)
        if isinstance(queued, Outcome):
            return queued
        self._set_run_id(queued.run_id)
        return await run_modes.follow_run(client, request.workflow_id, queued.run_id, self._on_poll, poll_s=self.poll_s)

    def _opened(self, stream: RunStream) -> None:
        self._stream = stream

    def _on_poll(self, run: Run) -> None:
        self._set_status(f"Running in background: {run.status.value}…")
        self._server = (run.duration_ms, run.cost)

    def _set_run_id(self, run_id: str | None) -> None:
        if run_id and run_id != self._run_id and self.header is not None:
            self._run_id = run_id
            self.header = replace(self.header, run_id=run_id)
            self.history.set_run_id(self.header.key, run_id)

    # --- the hot path --------------------------------------------------------------------

    def arm(self, added: int = 1) -> None:
        """The first events since the last paint (the ``added`` just appended): note their time
        and schedule the paint."""
        self.armed = True
        raw = self._raw.mark() if self._marks else 0  # raw frames since the last drain start with it
        self._marks.append((len(self.pending) - added, time.perf_counter() - self._t0, raw))
        self._paint.start()

    def checkpoint(self) -> float:
        """After each network read's events: a drain if ``max_pending`` wait, a new arrival time
        if the clock moved (a group per 2 ms keeps groups, rows and calls few), and how long the
        stream should pause (0 unless the history's writer is behind by :data:`BACKLOG_BYTES`:
        then reading waits, so a stream faster than the disk cannot fill the memory).

        Draining early keeps few events alive at once: they are objects the garbage collector
        tracks, and many survivors get promoted toward full collections (tens of milliseconds
        in the middle of a stream)."""
        if len(self.pending) >= self._max_pending:
            self._drain()
            if self._unsaved_bytes >= SAVE_BYTES:
                self._save()
        now = time.perf_counter() - self._t0
        if not self._marks or now - self._marks[-1][1] >= 0.002:
            self._marks.append((len(self.pending), now, self._raw.mark()))
        return BACKLOG_WAIT_S if self.history.backlog > BACKLOG_BYTES else 0.0

    def _drain(self) -> None:
        """Apply pending events to the transcript and hand their frames to the history, in
        groups by arrival time. (The list is emptied in place: the stream loop holds it.)"""
        pending, marks = self.pending[:], self._marks
        self.pending.clear()
        self._marks = []
        now = time.perf_counter() - self._t0
        self._new_frames += self._raw.take([(raw, at) for _start, at, raw in marks], now)
        if not pending:
            return
        self._drained += len(pending)
        bounds = [(start, at) for start, at, _raw in marks if start < len(pending)] or [(0, now)]
        groups: list[tuple[float, list[str], int]] = []
        for number, (start, at) in enumerate(bounds):
            end = bounds[number + 1][0] if number + 1 < len(bounds) else len(pending)
            if end <= start:
                continue
            items = wire.runs(pending[start:end] if start or end < len(pending) else pending)
            lines, count = wire.pack(items)  # before the transcript sees the items
            groups.append((at, lines, count))
            self._unsaved_bytes += sum(map(len, lines))
            self._changes.extend(self.transcript.apply_runs(items, at))
        self._unsaved.extend(groups)
        if self._stream is not None and self._stream.run_id:
            self._set_run_id(self._stream.run_id)

    def _save(self) -> None:
        """Hand drained frames to the history: one row per paint (before the paint, so what is
        shown is on its way to disk)."""
        if self._unsaved and self.header is not None:
            self.history.add_frames(self.header.key, self._unsaved)
        self._unsaved = []
        self._unsaved_bytes = 0

    def raw_frames(self, limit: int = RAW_KEEP) -> list[tuple[float, str]]:
        """The newest ``limit`` frames of the shown run: a live stream's ``data`` payloads as Sim
        sent them (unreadable and unknown frames and ``[DONE]`` included), a reopened run's as the
        history keeps them (re-encoded from its events)."""
        return self._raw.frames(limit)

    def _merge(self, changes: list[Change]) -> None:
        """Queue changes for the next paint."""
        self._changes.extend(changes)

    def _flush(self) -> None:
        """Paint tick: drain, then tell the views once. In a flood (thousands of events per
        paint) the next paint waits longer: nobody reads that fast, and every paint has a fixed
        cost (layout, repaint) that would otherwise slow the stream down."""
        self.armed = False
        flood = len(self.pending) + self._drained >= FLOOD_EVENTS
        self._drained = 0
        self._paint.setInterval(self._flood_ms if flood else self._paint_ms)
        self._drain()
        self._save()
        if len(self._changes):
            self.changed.emit(self._changes.done())
        if self._new_frames:
            self.frames.emit(self._new_frames)
            self._new_frames = 0
        self._emit_progress()

    # --- the end -------------------------------------------------------------------------

    async def _settle(self, outcome: Outcome | None, client: SimClient, request: RunRequest) -> None:
        self._endpoint = (client.base_url, client.surface or self._endpoint[1])
        if outcome is None:  # cannot happen: a stream ends with its terminal event or an error
            outcome = Outcome("interrupted", error="The run ended without an outcome", run_id=self._run_id)
        if outcome.status == "interrupted" and outcome.run_id and self._stopping is None:
            outcome = await self._look_up(client, request.workflow_id, outcome)
        outcome = await self._with_server_figures(client, request.workflow_id, outcome)
        self._finish(outcome)
        if outcome.run_id and outcome.status in ("completed", "failed", "paused"):
            self._spawn(self._learn_outline(client, request.workflow_id, outcome.run_id))

    async def _look_up(self, client: SimClient, workflow_id: str, outcome: Outcome) -> Outcome:
        """After a broken stream: ask Sim once how the run ended; keep our error either way."""
        assert outcome.run_id is not None
        try:
            run = await client.get_run(workflow_id, outcome.run_id, include_output=True)
        except SimError:
            return outcome
        note = f"Sim reports the run {run.status.value}"
        if run.error is not None:
            note += f": {run.error.message}"
        return replace(outcome, note=note, cost=run.cost, duration_ms=run.duration_ms)

    async def _with_server_figures(self, client: SimClient, workflow_id: str, outcome: Outcome) -> Outcome:
        """Server duration and cost for the timing strip (a stream's ``final`` has neither)."""
        if outcome.run_id is None or outcome.status not in ("completed", "failed", "paused"):
            return outcome
        if outcome.duration_ms is not None and outcome.cost is not None:
            return outcome
        try:
            run = await client.get_run(workflow_id, outcome.run_id)
        except SimError:
            return outcome
        return replace(
            outcome,
            duration_ms=outcome.duration_ms if outcome.duration_ms is not None else run.duration_ms,
            cost=outcome.cost if outcome.cost is not None else run.cost,
        )

    def _finish(self, outcome: Outcome) -> None:
        """Record the end once: transcript, history, signals."""
        if self._ended:
            return
        self._ended = True
        self._waiting = False
        self._flush()
        base = self.transcript.outcome
        if base is None:
            self._merge(self.transcript.finish(outcome, time.perf_counter() - self._t0))
        else:  # the stream's own end is in the transcript: keep its output, add what was learnt after
            outcome = replace(
                outcome,
                output=base.output if outcome.output is None else outcome.output,
                error=outcome.error or base.error,
            )
            self.transcript.outcome = outcome
        self._server = (outcome.duration_ms, outcome.cost)
        if self.header is not None:
            self.history.finish(self.header.key, outcome, self.transcript.timing.to_dict())
        self._flush()
        self._clock.stop()
        self._set_status(_status_line(outcome))
        self._emit_progress(running=False)
        self.finished.emit(outcome)
        self.busy_changed.emit(False)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:  # a bug: still end the run visibly, never leave it "running"
            log.error("run failed unexpectedly", exc_info=exc)
            self._finish(Outcome("failed", error=f"simdesk failed: {exc}", run_id=self._run_id))

    # --- Stop ----------------------------------------------------------------------------

    def stop(self) -> bool:
        """Cancel the run on the server, close the stream, and report what Sim confirms."""
        if not self.running or self._stopping is not None:
            return False
        self._set_status("Stopping: asking Sim to cancel the run…")
        self._stopping = asyncio.ensure_future(self._stop())
        self._stopping.add_done_callback(lambda _t: setattr(self, "_stopping", None))
        return True

    async def _stop(self) -> None:
        assert self.header is not None and self._task is not None
        task, workflow_id = self._task, self.header.workflow_id
        run_id = self._run_id
        if self._stream is not None:  # a stream knows its attempt's id (None for a key-less public run)
            run_id = self._stream.run_id
            self._set_run_id(run_id)
        try:
            client = await self.client()
        except Exception:
            task.cancel()
            raise
        if run_id:
            note = await run_modes.cancel_run(client, workflow_id, run_id)
        else:
            note = "Stopped: the connection was closed, which cancels the run on Sim"
        self._flush()
        if not self.transcript.finished:
            task.cancel()  # closes the stream or the request: Sim stops the run
        await asyncio.gather(task, return_exceptions=True)
        if self._ended:
            return  # the run ended on its own before the cancel landed
        self._flush()
        if run_id:
            self._set_status("Stopping: waiting for Sim to confirm…")
            outcome = await run_modes.confirm_end(client, workflow_id, run_id, note)
        else:
            outcome = Outcome("cancelled", note=note + " (a run without an id cannot be looked up)")
        self._finish(outcome)

    # --- history -------------------------------------------------------------------------

    async def open_record(self, record: RunRecord) -> None:
        """Show a past run from the history (the transcript is replayed from its frames)."""
        if self.running:
            return
        names = self._outline(record.workflow_id).names()
        transcript = await _off_thread(_replay, self.history, record, names)
        self.header = RunHeader(
            record.key,
            record.profile,
            record.workflow_id,
            record.workflow_name,
            record.mode,
            record.input,
            record.options,
            record.started_at,
            record.run_id,
            live=False,
        )
        self._reset(transcript)
        self._raw.extend(await _off_thread(_tail_frames, self.history, record.key))
        self._new_frames = 0
        self._run_id = record.run_id
        self._server = (
            transcript.outcome.duration_ms if transcript.outcome else None,
            transcript.outcome.cost if transcript.outcome else None,
        )
        self.started.emit(self.header)
        outcome = transcript.outcome
        self._set_status(_status_line(outcome) if outcome else "Never finished")
        self._emit_progress(running=False)
        if outcome is not None:
            self.finished.emit(outcome)

    async def reopen_last(self) -> bool:
        """Open the last run of the current profile (at start-up); False if there is none."""
        record = await _off_thread(self.history.last, self._profile)
        if record is None:
            return False
        await self.open_record(record)
        return True

    # --- copy and save -------------------------------------------------------------------

    def snippet(self, kind: str) -> str:
        """``curl``, ``python`` or ``cli`` for the shown run, key masked ("" with no run)."""
        header = self.header
        if header is None:
            return ""
        options = header.options
        base_url, surface = self._endpoint
        spec = RunSpec(
            base_url=base_url,
            workflow_id=header.workflow_id,
            input=header.input,
            mode=header.mode,
            selected_outputs=list(options.get("selectedOutputs") or ()),
            include_thinking=bool(options.get("includeThinking")),
            include_tool_calls=bool(options.get("includeToolCalls")),
            execution_timeout_s=options.get("executionTimeoutSeconds"),
            api_key=self.api_key(),
            surface=surface,
            run_id=header.run_id,
        )
        return SNIPPETS[kind](spec)

    async def output_text(self) -> str:
        """The run's answer for the clipboard: all streamed text (from the history when the
        screen kept only its tail), else the output as JSON."""
        transcript = self.transcript
        if any(b.text.dropped or b.evicted for b in transcript.blocks.values()) and self.header is not None:
            self.history.flush()
            text = await _off_thread(_full_text, self.history, self.header.key)
        else:
            text = transcript.text()
        if text:
            return text
        output = transcript.outcome.output if transcript.outcome else None
        return "" if output is None else json.dumps(output, ensure_ascii=False, indent=2, default=str)

    async def export(self, path: str, fmt: str) -> None:
        """Save the shown run's complete transcript as ``json`` or ``markdown`` (off the GUI thread)."""
        header = self.header
        if header is None:
            raise RuntimeError("there is no run to save")
        self.history.flush()
        meta = ExportMeta(
            header.workflow_name,
            header.workflow_id,
            header.mode,
            header.input,
            header.options,
            header.started_at,
            header.run_id,
            self.transcript.outcome,
            self.transcript.timing.to_dict(),
            {b.block_id: b.title for b in self.transcript.blocks.values()},
        )
        frames = self.history.frames
        if fmt == "json":
            await _off_thread(write_json, Path(path), meta, frames(header.key), frames(header.key))
        else:
            await _off_thread(write_markdown, Path(path), meta, frames(header.key))

    # --- outlines ------------------------------------------------------------------------

    def _outline(self, workflow_id: str) -> WorkflowOutline:
        return WorkflowOutline.from_json(self.presets.options(self._profile, workflow_id).get("outline"))

    def outline(self, workflow_id: str) -> WorkflowOutline:
        """What is known of a workflow's blocks (empty until a run's log was read)."""
        return self._outline(workflow_id)

    def prefetch_outline(self, workflow_id: str, workspace_id: str) -> None:
        """Learn a workflow's blocks from its latest log when nothing is known of them yet (so
        the outputs picker and block names work before this computer ever ran it)."""
        if self._outline(workflow_id).blocks or not workspace_id or self._client_getter is None:
            return
        self._spawn(self._outline_from_latest_log(workflow_id, workspace_id))

    async def _outline_from_latest_log(self, workflow_id: str, workspace_id: str) -> None:
        try:
            client = await self.client()
            with working_at(Priority.BACKGROUND):
                logs = client.list_logs(
                    workspace_id, workflow_ids=[workflow_id], include_trace_spans=True, page_size=1, order="desc"
                )
                entry = await anext(logs, None)
                close = getattr(logs, "aclose", None)  # stop paging: only the newest log is wanted
                if close is not None:
                    await close()
        except SimError as exc:  # v2 off, no logs permission: the picker stays free-form
            log.info("no outline from the logs of %s: %r", workflow_id, exc)
            return
        except Exception:
            log.exception("reading the logs of %s failed", workflow_id)
            return
        if entry is not None:
            self._remember_outline(workflow_id, outline_from_spans(entry.trace_spans))

    async def _learn_outline(self, client: SimClient, workflow_id: str, run_id: str) -> None:
        try:
            with working_at(Priority.BACKGROUND):
                entry = await client.get_log(run_id)
        except FeatureUnavailableError:
            return
        except SimError as exc:
            log.info("could not read the log of %s: %r", run_id, exc)
            return
        self._remember_outline(workflow_id, outline_from_spans(entry.trace_spans))

    def _remember_outline(self, workflow_id: str, learnt: WorkflowOutline) -> None:
        if not learnt.blocks:
            return
        outline = merge(self._outline(workflow_id), learnt)
        options = self.presets.options(self._profile, workflow_id)
        options["outline"] = outline.to_json()
        self.presets.set_options(self._profile, workflow_id, options)
        self._merge(self.transcript.set_names(outline.names()))
        self._flush()
        self.outline_changed.emit(workflow_id, outline)

    # --- progress ------------------------------------------------------------------------

    def _set_status(self, text: str) -> None:
        self._status = text
        self._emit_progress()

    def _emit_progress(self, running: bool | None = None) -> None:
        live = self.running if running is None else running
        elapsed = time.perf_counter() - self._t0 if live else (self.transcript.timing.ended or 0.0)
        duration, cost = self._server
        if self._waiting and (self.pending or self._raw.incoming or len(self._raw)):
            self._waiting = False  # the first frame is in (any frame: some make no event)
            if self._status == WAITING:  # not when Stop has said something since
                self._status = "Streaming…"
        waiting = elapsed if self._waiting and live else None
        held = None
        if live and self._budget is not None and self.header is not None:
            held = held_text(self._budget.snapshot(), self.header.mode)
        status = held.split(" (")[0] + "…" if held else self._status
        self.progress.emit(
            RunProgress(status, elapsed, replace(self.transcript.timing), duration, cost, live, waiting, held)
        )

    def _tick(self) -> None:
        """Once a second while running: elapsed time, and the sync-cap hint."""
        self._emit_progress()
        header = self.header
        if header is None or header.mode == "async" or self._warned_cap:
            return
        elapsed = time.perf_counter() - self._t0
        if elapsed >= NEAR_CAP * self.sync_cap_s:
            self._warned_cap = True
            self.notice.emit(
                f"This run has taken {elapsed / 60:.0f} of the {self.sync_cap_s / 60:.0f} minutes Sim allows "
                "a run that waits for its answer (Run or Stream) on this plan. Long runs are safer with "
                "“Run in background”."
            )

    def _spawn(self, coro: Awaitable[None]) -> None:
        self._tasks.spawn(coro)

    async def aclose(self) -> None:
        """Stop what is running (app shutdown) and wait for the history to take it."""
        for task in (self._task, self._stopping):
            if task is not None and not task.done():
                task.cancel()
        await asyncio.gather(*[t for t in (self._task, self._stopping) if t], return_exceptions=True)
        await self._tasks.cancel_all()


def _replay(history: RunHistory, record: RunRecord, names: dict[str, str]) -> Transcript:
    """Rebuild a transcript from stored frames (in a worker thread)."""
    transcript = Transcript(names=names)
    batch: list[tuple[float, StreamEvent]] = []
    for at, payload in history.frames(record.key):
        event = wire.event_of(payload, record.run_id)
        if event is not None:
            batch.append((at, event))
        if len(batch) >= 5000:
            transcript.apply(batch)
            batch = []
    transcript.apply(batch)
    if record.outcome is not None:
        transcript.outcome = None  # the recorded outcome (with server figures) wins over the frames'
        transcript.finish(record.outcome, record.timing.get("endedS"))
    elif not transcript.finished:
        transcript.finish(Outcome("interrupted", run_id=record.run_id, note="simdesk closed before this run finished"))
    return transcript


def _full_text(history: RunHistory, key: str) -> str:
    """Every block's complete text, rebuilt from the stored frames."""
    texts: dict[str, list[str]] = {}
    for _at, payload in history.frames(key):
        event = wire.event_of(payload)
        if type(event) is Chunk:
            parts = texts.setdefault(event.block_id, [])
            text = event.text
            if not parts and len(texts) > 1 and text.startswith("\n\n"):
                text = text[2:]
            parts.append(text)
        elif type(event) is ChunkReset:
            texts[event.block_id] = []
    return "\n\n".join("".join(p) for p in texts.values() if p)


def _tail_frames(history: RunHistory, key: str) -> list[tuple[float, str]]:
    tail: deque[tuple[float, str]] = deque(maxlen=RAW_KEEP)
    tail.extend(history.frames(key))
    return list(tail)


def _status_line(outcome: Outcome | None) -> str:
    if outcome is None:
        return "Ready"
    words = {
        "completed": "Completed",
        "failed": "Failed",
        "paused": "Paused (waiting for a human or a timer)",
        "cancelled": "Cancelled",
        "interrupted": "Interrupted",
        "background": "Running in background",
    }
    return words.get(outcome.status, outcome.status.capitalize())


def _words(exc: BaseException) -> str:
    return user_message(exc) if isinstance(exc, SimError) else str(exc) or type(exc).__name__
