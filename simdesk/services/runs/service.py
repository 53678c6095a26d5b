"""The run console's service: runs a workflow in one of three modes and tells the view what changed.

Widgets call :meth:`RunService.start` / :meth:`RunService.stop` and connect to the signals; they
never await and never see an exception.

A stream's events reach the transcript through the paint-batching pump
(:class:`~simdesk.services.runs.pump.StreamPump`): one :attr:`RunService.changed` per paint at
most. The history is read off the GUI thread (:mod:`~simdesk.services.runs.history`), outlines
are learnt from run logs (:mod:`~simdesk.services.runs.outline`), and snippets and exports are
made by :mod:`~simdesk.services.runs.export`.

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
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field, fields, replace
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from simdesk.api import SimClient
from simdesk.api.errors import SimError
from simdesk.api.streaming import RunStream
from simdesk.core.base_url import DEFAULT_BASE_URL
from simdesk.core.budget import BudgetSnapshot, RequestBudget, format_wait
from simdesk.core.input_form import to_jsonable, to_wire
from simdesk.core.jobs.model import Job, JobStatus
from simdesk.core.outline import WorkflowOutline
from simdesk.core.presets import PresetStore
from simdesk.core.rates import ASYNC_EXECUTIONS, SYNC_EXECUTIONS
from simdesk.core.run_history import RunHistory, RunRecord, RunStart
from simdesk.core.runs import Run
from simdesk.core.transcript import Outcome, Timing, Transcript
from simdesk.services import run_modes
from simdesk.services.executors import run_in
from simdesk.services.run_modes import RunRequest
from simdesk.services.runs import export, outline
from simdesk.services.runs.history import replay, tail_frames
from simdesk.services.runs.outcomes import job_outcome, status_line, words
from simdesk.services.runs.pump import RAW_KEEP, StreamPump
from simdesk.services.tasks import TaskSet

log = logging.getLogger("simdesk.services.runs")

ClientGetter = Callable[[], Awaitable[SimClient]]
JobHandoff = Callable[[RunRequest, dict[str, Any]], Awaitable[Any]]
SYNC_CAP_S = {"free": 300.0}  # sim-api.md §3.4; paid plans get 3000 s
PAID_SYNC_CAP_S = 3000.0
NEAR_CAP = 0.8
WAITING = "Waiting for the first output…"  # a stream's status until its first frame (Sim sends nothing before)


@dataclass(frozen=True, slots=True, kw_only=True)
class RunHeader(RunStart):
    """What the console shows above a run: the run's start, and ``live``, False for a run
    reopened from the history."""

    live: bool = True

    @classmethod
    def of(cls, start: RunStart, *, live: bool) -> RunHeader:
        return cls(**{f.name: getattr(start, f.name) for f in fields(RunStart)}, live=live)


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
    cleared = Signal()
    history_changed = Signal()

    def __init__(
        self,
        history: RunHistory,
        presets: PresetStore,
        *,
        paint_ms: int = 16,
        max_pending: int = 512,
        poll_s: float = 1.0,
        reads: Executor | None = None,
        parent: QObject | None = None,
    ) -> None:
        """``reads`` runs the history's reads (the app's ``Executors.history_reads``, so they finish
        in order); ``None`` is the blocking pool."""
        super().__init__(parent)
        self.history = history
        self._reads = reads
        self.presets = presets
        self.outlines = outline.OutlineBook(presets)
        self.pump = StreamPump(
            history, paint_ms=paint_ms, max_pending=max_pending, on_drained=self._stream_run_id,
            on_painted=self._emit_progress, parent=self,
        )  # fmt: skip
        self.pump.changed.connect(self.changed)
        self.pump.frames.connect(self.frames)
        self.header: RunHeader | None = None
        self.poll_s = poll_s
        self.sync_cap_s = SYNC_CAP_S["free"]
        self._profile = ""
        self._endpoint = (DEFAULT_BASE_URL, "v2")  # (base URL, surface) for snippets
        self._client_getter: ClientGetter | None = None
        self._key_getter: Callable[[], str | None] = lambda: None
        self._job_handoff: JobHandoff | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping: asyncio.Task[None] | None = None
        self._stream: RunStream | None = None
        self._run_id: str | None = None
        self._status = "Ready"
        self._server: tuple[float | None, float | None] = (None, None)
        self._warned_cap = False
        self._ended = True
        self._waiting = False  # a stream is sent and no frame has arrived yet
        self._following_job = False  # the shown run went to the job tracker and has not ended yet
        self._tasks = TaskSet()
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
        self._endpoint = (base_url or DEFAULT_BASE_URL, "v2")

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
        return self.pump.t0

    @property
    def transcript(self) -> Transcript:
        """The shown run, as far as it has been painted."""
        return self.pump.transcript

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
            key=key,
            profile=request.profile,
            workflow_id=request.workflow_id,
            workflow_name=request.workflow_name,
            mode=request.mode,
            input=stored,
            options=request.options(),
            run_id=self._run_id,
            started_at=now,
        )
        names = self.outlines.get(self._profile, request.workflow_id).names()
        self._reset(Transcript(names=names))
        self.pump.t0 = time.perf_counter()
        self._server = (None, None)
        self._warned_cap = False
        self._ended = False
        self.presets.set_last_input(request.profile, request.workflow_id, stored)
        self.remember_options(request.profile, request.workflow_id, request.options())
        self.history.begin(self.header)
        self.started.emit(self.header)
        self._set_status("Starting…")
        self._task = asyncio.ensure_future(self._run(request, self._run_id))
        self._task.add_done_callback(self._task_done)
        self._clock.start()
        self.busy_changed.emit(True)
        return True

    def _reset(self, transcript: Transcript) -> None:
        self.pump.reset(transcript, self.header.key if self.header is not None else None)
        self._stream = None
        self._following_job = False

    async def _run(self, request: RunRequest, run_id: str) -> None:
        try:
            client = await self.client()
        except Exception as exc:  # no key, a locked keyring, a bad address: nothing was sent
            self._finish(Outcome("failed", error=words(exc), run_id=None, note="Sim did not run the workflow."))
            return
        self._budget = client.budget
        outcome: Outcome | None
        if request.mode == "stream":
            self._waiting = True
            self._set_status(WAITING)
            outcome = await run_modes.run_stream(client, request, run_id, self.pump, self._opened)
        elif request.mode == "sync":
            self._set_status("Running (waiting for the result)…")
            outcome = await run_modes.run_sync(client, request, run_id)
        else:
            outcome = await self._run_background(client, request, run_id)
        self.pump.flush()
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

    def _stream_run_id(self) -> None:
        """The stream learns the run's id from its frames (a stream sent without one)."""
        if self._stream is not None and self._stream.run_id:
            self._set_run_id(self._stream.run_id)

    def raw_frames(self, limit: int = RAW_KEEP) -> list[tuple[float, str]]:
        """The newest ``limit`` frames of the shown run (see :meth:`StreamPump.raw_frames`)."""
        return self.pump.raw_frames(limit)

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
        self.pump.flush()
        base = self.transcript.outcome
        if base is None:
            self.pump.merge(self.transcript.finish(outcome, time.perf_counter() - self.pump.t0))
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
        self.pump.flush()
        self._following_job = outcome.status == "background"  # the clock goes on until the job ends
        if not self._following_job:
            self._clock.stop()
        self._set_status(status_line(outcome))
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
        self.pump.flush()
        if not self.transcript.finished:
            task.cancel()  # closes the stream or the request: Sim stops the run
        await asyncio.gather(task, return_exceptions=True)
        if self._ended:
            return  # the run ended on its own before the cancel landed
        self.pump.flush()
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
        names = self.outlines.get(self._profile, record.workflow_id).names()
        transcript = await run_in(self._reads, replay, self.history, record, names)
        # read before anything changes, so the header, transcript and frames are never seen apart
        frames = await run_in(self._reads, tail_frames, self.history, record.key, RAW_KEEP)
        self.header = RunHeader.of(record, live=False)
        self._reset(transcript)
        self.pump.show_frames(frames)
        self._run_id = record.run_id
        self._server = (
            transcript.outcome.duration_ms if transcript.outcome else None,
            transcript.outcome.cost if transcript.outcome else None,
        )
        self.started.emit(self.header)
        outcome = transcript.outcome
        if outcome is not None and outcome.status == "background":  # still with the job tracker
            self.pump.t0 = time.perf_counter() - max(0.0, time.time() - record.started_at)
            self._following_job = True
            self._clock.start()
        self._set_status(status_line(outcome) if outcome else "Never finished")
        self._emit_progress(running=False)
        if outcome is not None:
            self.finished.emit(outcome)

    def open_last_of(self, workflow_id: str) -> None:
        """Soon show the last run of ``workflow_id`` (see :meth:`show_last`)."""
        self._spawn(self.show_last(workflow_id))

    async def show_last(self, workflow_id: str) -> bool:
        """Show the last run of ``workflow_id`` on this profile, or nothing if it has none (a
        console never shows another workflow's run under this one); False if none was shown."""
        profile, shown = self._profile, self.header
        record = await run_in(self._reads, self.history.last, profile, workflow_id)
        if self.running or profile != self._profile or self.header is not shown:
            return False  # a run started, another was opened, or the profile changed meanwhile
        if record is None:
            self.clear()
            return False
        if self.header is None or self.header.key != record.key:
            await self.open_record(record)
        return True

    def clear(self) -> None:
        """Show no run (a workflow or profile without one); nothing while a run is going."""
        if self.running:
            return
        self.header = None
        self._reset(Transcript())
        self._run_id = None
        self._server = (None, None)
        self._status = "Ready"
        self.cleared.emit()

    async def reopen_last(self) -> bool:
        """Open the last run of the current profile (at start-up); False if there is none."""
        record = await run_in(self._reads, self.history.last, self._profile)
        if record is None:
            return False
        await self.open_record(record)
        return True

    # --- runs handed to the job tracker ----------------------------------------------------

    def follow_jobs(self, jobs: Sequence[Job]) -> None:
        """The job tracker saw ``jobs`` change: a run handed to it follows it live on screen, and
        its end is written to the history (shown or not)."""
        for job in jobs:
            if job.status.is_final or job.status == JobStatus.PAUSED:
                self._spawn(self._job_ended(job))
            elif self._shows_job(job):
                self._set_status(f"Running in background: {job.status.value}…")

    def _shows_job(self, job: Job) -> bool:
        header = self.header
        return (
            self._following_job and header is not None and header.run_id == job.run_id and header.profile == job.profile
        )

    async def _job_ended(self, job: Job) -> None:
        record = await run_in(self._reads, self.history.of_run, job.profile, job.run_id)
        if record is None or record.status != "background":
            return
        outcome = job_outcome(job)
        self.history.finish(record.key, outcome, record.timing)
        if self._shows_job(job) and self.header is not None and self.header.key == record.key:
            self._following_job = False
            self._clock.stop()
            self.transcript.outcome = outcome
            self._server = (outcome.duration_ms, outcome.cost)
            self._set_status(status_line(outcome))
            self._emit_progress(running=False)
            self.finished.emit(outcome)
        self.history_changed.emit()

    # --- copy and save -------------------------------------------------------------------

    def snippet(self, kind: str) -> str:
        """``curl``, ``python`` or ``cli`` for the shown run, key masked ("" with no run)."""
        if self.header is None:
            return ""
        return export.snippet(kind, self.header, self._endpoint, self.api_key())

    async def output_text(self) -> str:
        """The run's answer for the clipboard: all streamed text (from the history when the
        screen kept only its tail), else the output as JSON."""
        key = self.header.key if self.header else None
        return await export.output_text(self.history, self.transcript, key, self._reads)

    def copy_output(self, to: Callable[[str], object]) -> asyncio.Future[str]:
        """Hand :meth:`output_text` to ``to`` (the clipboard), in the background; returns the task."""

        async def copy() -> str:
            text = await self.output_text()
            to(text)
            return text

        return self._tasks.spawn(copy())

    def save_transcript(self, path: str, fmt: str, saved: Callable[[str], object]) -> asyncio.Future[bool]:
        """:meth:`export` in the background: ``saved(path)`` once written; a failure is a
        ``notice``. Returns the task (True when saved)."""

        async def save() -> bool:
            try:
                await self.export(path, fmt)
            except (OSError, RuntimeError) as exc:
                self.notice.emit(f"Could not save the transcript: {exc}")
                return False
            saved(path)
            return True

        return self._tasks.spawn(save())

    async def export(self, path: str, fmt: str) -> None:
        """Save the shown run's complete transcript as ``json`` or ``markdown`` (off the GUI thread)."""
        if self.header is None:
            raise RuntimeError("there is no run to save")
        await export.export(self.history, self.header, self.transcript, path, fmt, self._reads)

    def remember_options(self, profile: str, workflow_id: str, options: Mapping[str, Any]) -> None:
        """Keep a workflow's run options (what it learnt of its blocks stays with them)."""
        self.outlines.remember_options(profile, workflow_id, options)

    # --- outlines ------------------------------------------------------------------------

    def outline(self, workflow_id: str) -> WorkflowOutline:
        """What is known of a workflow's blocks (empty until a run's log was read)."""
        return self.outlines.get(self._profile, workflow_id)

    def prefetch_outline(self, workflow_id: str, workspace_id: str) -> None:
        """Learn a workflow's blocks from its latest log when nothing is known of them yet (so
        the outputs picker and block names work before this computer ever ran it)."""
        if self.outline(workflow_id).blocks or not workspace_id or self._client_getter is None:
            return
        self._spawn(self._outline_from_latest_log(workflow_id, workspace_id))

    async def _outline_from_latest_log(self, workflow_id: str, workspace_id: str) -> None:
        learnt = await outline.from_latest_log(self.client, workflow_id, workspace_id)
        if learnt is not None:
            self._remember_outline(workflow_id, learnt)

    async def _learn_outline(self, client: SimClient, workflow_id: str, run_id: str) -> None:
        learnt = await outline.from_run_log(client, run_id)
        if learnt is not None:
            self._remember_outline(workflow_id, learnt)

    def _remember_outline(self, workflow_id: str, learnt: WorkflowOutline) -> None:
        known = self.outlines.learn(self._profile, workflow_id, learnt)
        if known is None:
            return
        self.pump.merge(self.transcript.set_names(known.names()))
        self.pump.flush()
        self.outline_changed.emit(workflow_id, known)

    # --- progress ------------------------------------------------------------------------

    def _set_status(self, text: str) -> None:
        self._status = text
        self._emit_progress()

    def _emit_progress(self, running: bool | None = None) -> None:
        live = (self.running or self._following_job) if running is None else running
        elapsed = time.perf_counter() - self.pump.t0 if live else (self.transcript.timing.ended or 0.0)
        duration, cost = self._server
        if self._waiting and self.pump.has_frames:
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
        elapsed = time.perf_counter() - self.pump.t0
        if elapsed >= NEAR_CAP * self.sync_cap_s:
            self._warned_cap = True
            self.notice.emit(
                f"This run has taken {elapsed / 60:.0f} of the {self.sync_cap_s / 60:.0f} minutes Sim allows "
                "a run that waits for its answer (Run or Stream) on this plan. Long runs are safer with "
                "“Run in background”."
            )

    def _spawn(self, coro: Awaitable[Any]) -> None:
        self._tasks.spawn(coro)

    async def aclose(self) -> None:
        """Stop what is running (app shutdown) and wait for the history to take it."""
        for task in (self._task, self._stopping):
            if task is not None and not task.done():
                task.cancel()
        await asyncio.gather(*[t for t in (self._task, self._stopping) if t], return_exceptions=True)
        await self._tasks.cancel_all()
