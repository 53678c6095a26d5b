"""The job service: the tracker behind Qt signals, for the jobs panel, the tray and the console.

STYLE pattern 5: widgets call methods and connect to signals; they never await, never see
httpx, never see an exception. Work the UI asks for runs in tasks the service keeps (and cancels
on :meth:`JobService.aclose`), each with a done-callback, so no error is swallowed (anti-pattern 6).

The console's "Run in background" awaits :meth:`JobService.start` (it wants the job back); the
panel's buttons call the ``request_*`` methods, whose outcome arrives as signals.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from simdesk.core.clock import Clock
from simdesk.core.jobs.model import Job, JobError
from simdesk.core.jobs.policy import PollPolicy
from simdesk.core.jobs.source import PollFailure
from simdesk.core.jobs.store import JobStore
from simdesk.core.scheduler import Hold, JobChange
from simdesk.services.tasks import TaskSet

if TYPE_CHECKING:
    from simdesk.services.jobs.tracker import BudgetFor, ClientFor, JobTracker

log = logging.getLogger("simdesk.services.jobs")


class JobService(QObject):
    """Tracked background runs of every profile.

    Signals:
        jobs_reset(list[Job]): every job, at start (the table loads these).
        jobs_changed(list[Job]): jobs that were added or changed, latest values.
        jobs_removed(list[str]): ids of deleted jobs.
        job_ended(Job): a run completed, failed, paused or was cancelled (seen live).
        jobs_ended(list[Job]): the same, once per poll, for all the runs that poll saw end.
        hold_changed(str profile, str reason): polling of a profile stopped ("" = going again).
        paused_changed(bool): the pause switch.
        active_count_changed(int): queued + running jobs.
        failed(str): an action the user asked for did not work; the text says why.
        info(str): an action finished with something worth saying.
    """

    jobs_reset = Signal(list)
    jobs_changed = Signal(list)
    jobs_removed = Signal(list)
    job_ended = Signal(object)
    jobs_ended = Signal(list)
    hold_changed = Signal(str, str)
    paused_changed = Signal(bool)
    active_count_changed = Signal(int)
    failed = Signal(str)
    info = Signal(str)

    def __init__(
        self,
        store: JobStore,
        client_for: ClientFor,
        *,
        budget_for: BudgetFor | None = None,
        clock: Clock | None = None,
        policy: PollPolicy | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._make_tracker: Callable[[], JobTracker] = lambda: self._build_tracker(
            client_for, budget_for, clock, policy
        )
        self._tracker: JobTracker | None = None
        self._paused = False
        self._policy = policy
        self._tasks = TaskSet()
        self._active = 0
        self._holds: dict[str, Hold] = {}
        self._started = False
        self._closed = False

    # --- life cycle ------------------------------------------------------------------------

    @property
    def tracker(self) -> JobTracker:
        """The tracker, made on first use: it brings the HTTP client with it, which start-up
        does not need (the panel reads the store until then)."""
        if self._tracker is None:
            self._tracker = self._make_tracker()
        return self._tracker

    def _build_tracker(
        self, client_for: ClientFor, budget_for: BudgetFor | None, clock: Clock | None, policy: PollPolicy | None
    ) -> JobTracker:
        from simdesk.services.jobs.tracker import JobTracker

        tracker = JobTracker(
            self._store,
            client_for,
            budget_for=budget_for,
            clock=clock,
            policy=self._policy or policy,
            on_changes=self._changed,
            on_hold=self._held,
        )
        tracker.scheduler.set_paused(self._paused)
        return tracker

    async def begin(self) -> list[Job]:
        """Load every job, reattach to the unfinished ones and start polling."""
        self.jobs_reset.emit(self.tracker.jobs())
        await self.tracker.reattach()
        self.tracker.start_polling()
        self._started = True
        self._count()
        return self.tracker.jobs()

    def begin_soon(self) -> None:
        """:meth:`begin` in a kept task (the composition root calls this once the loop runs)."""
        self._spawn(self.begin(), "Reattaching to background runs")

    async def aclose(self) -> None:
        """Cancel outstanding work and stop polling; the store is closed."""
        await self._tasks.cancel_all()
        self._closed = True
        if self._tracker is not None:
            await self._tracker.aclose()
        else:
            self._store.close()

    # --- reading ---------------------------------------------------------------------------

    def jobs(self) -> list[Job]:
        """Every job, latest values (none once closed: a late repaint must not touch the store)."""
        if self._closed:
            return []
        return self._tracker.jobs() if self._tracker is not None else self._store.all()

    def get(self, job_id: str) -> Job | None:
        """One job, if it exists."""
        if self._closed:
            return None
        return self._tracker.get(job_id) if self._tracker is not None else self._store.get(job_id)

    def holds(self) -> dict[str, Hold]:
        """Profiles not polled right now, and why (``Hold.reason``) and until when."""
        return dict(self._holds)

    @property
    def active_count(self) -> int:
        """Queued and running jobs."""
        return self._active

    @property
    def paused(self) -> bool:
        return self._paused

    # --- actions (awaitable, for other services) -------------------------------------------

    async def start(
        self,
        profile: str,
        workflow_id: str,
        workflow_input: Any,
        *,
        workflow_name: str = "",
        workspace_id: str | None = None,
        execution_timeout_s: int | None = None,
    ) -> Job:
        """Start an async run and track it; returns the job (failed "not started" when refused)."""
        return await self.tracker.start(
            profile,
            workflow_id,
            workflow_input,
            workflow_name=workflow_name,
            workspace_id=workspace_id,
            execution_timeout_s=execution_timeout_s,
        )

    async def handoff(self, request: Any, wire_input: dict[str, Any]) -> Job:
        """The run console's "Run in background" (its ``JobHandoff``): ``request`` is a
        :class:`~simdesk.services.run_modes.RunRequest`, ``wire_input`` the input as sent."""
        return await self.start(
            request.profile,
            request.workflow_id,
            wire_input,
            workflow_name=request.workflow_name,
            execution_timeout_s=request.execution_timeout_s,
        )

    async def adopt(self, profile: str, workflow_id: str, run_id: str, *, workflow_name: str = "") -> Job:
        """Track a run started elsewhere. Raises :class:`JobError` with a sentence for people."""
        return await self.tracker.adopt(profile, workflow_id, run_id, workflow_name=workflow_name)

    # --- actions (fire and forget, for widgets) --------------------------------------------

    def request_adopt(self, profile: str, workflow_id: str, run_id: str) -> asyncio.Future[Any]:
        """ "Track a run by id"; the new job arrives through ``jobs_changed``."""

        async def adopt() -> None:
            job = await self.adopt(profile, workflow_id, run_id)
            self.info.emit(f"Tracking run {job.run_id} of {job.display_name}.")

        return self._spawn(adopt(), "Tracking the run")

    def request_cancel(self, job_ids: Sequence[str]) -> asyncio.Future[Any]:
        """Ask Sim to cancel these runs."""

        async def cancel() -> None:
            problems = await self.tracker.cancel(job_ids)
            if problems:
                self.failed.emit(" ".join(sorted(set(problems.values()))))

        return self._spawn(cancel(), "Cancelling")

    def request_retry(self, job_ids: Sequence[str]) -> asyncio.Future[Any]:
        """Start these workflows again with the same input, as new jobs."""

        async def retry() -> None:
            for job_id in job_ids:
                await self.tracker.retry(job_id)

        return self._spawn(retry(), "Retrying")

    def request_resume(self, job_id: str, resume_input: Any) -> asyncio.Future[Any]:
        """Resume a paused run with ``resume_input``."""

        async def resume() -> None:
            job = await self.tracker.resume(job_id, resume_input)
            self.info.emit(f"Resumed; the run continues as {job.run_id}.")

        return self._spawn(resume(), "Resuming")

    def request_refresh(self, job_ids: Sequence[str]) -> asyncio.Future[Any]:
        """Check these runs now (finished ones too)."""
        return self._spawn(self.tracker.refresh(job_ids), "Checking")

    def delete(self, job_ids: Sequence[str]) -> int:
        """Forget these jobs (their runs on the server are left alone)."""
        ids = list(job_ids)
        removed = self.tracker.delete(ids)
        self.jobs_removed.emit(ids)
        self._count()
        return removed

    def reassign(self, job_ids: Sequence[str], profile: str) -> None:
        """Attach these jobs to ``profile`` (theirs no longer exists); unfinished ones are checked again."""
        self.tracker.reassign(job_ids, profile)
        self._count()

    def set_paused(self, paused: bool) -> None:
        """The pause switch: no request is sent for any job while on."""
        if paused != self._paused:
            self._paused = paused
            if self._tracker is not None:
                self._tracker.scheduler.set_paused(paused)
            self.paused_changed.emit(paused)

    def set_fixed_interval(self, seconds: float | None) -> None:
        """A global polling interval (``None`` or 0: automatic, fast at first then slower)."""
        self._policy = replace(self._policy or PollPolicy(), fixed_interval_s=seconds or None)
        if self._tracker is not None:
            self._tracker.scheduler.set_policy(self._policy)

    def set_job_interval(self, job_id: str, seconds: float | None) -> None:
        """A polling interval for one job (``None``: follow the global one)."""
        self.tracker.set_job_interval(job_id, seconds)

    def release(self, profile: str) -> None:
        """The profile's settings changed: poll it again now, whatever held it."""
        if self._tracker is not None:
            self._tracker.scheduler.release(profile)

    # --- plumbing --------------------------------------------------------------------------

    def _spawn(self, work: Coroutine[Any, Any, Any], what: str) -> asyncio.Future[Any]:
        def failed(exc: BaseException) -> None:
            if isinstance(exc, JobError | PollFailure):  # sentences for people (a vanished profile, …)
                self.failed.emit(str(exc))
            else:
                log.error("%s failed", what, exc_info=(type(exc), exc, exc.__traceback__))
                self.failed.emit(f"{what} failed unexpectedly. Details are in the log.")

        return self._tasks.spawn(work, failed)

    def _changed(self, changes: list[JobChange]) -> None:
        self.jobs_changed.emit([c.after for c in changes])
        if self._started:
            ended = [change.after for change in changes if change.ended]
            for job in ended:
                self.job_ended.emit(job)
            if ended:
                self.jobs_ended.emit(ended)
        self._count()

    def _held(self, profile: str, hold: Hold | None) -> None:
        before = self._holds.get(profile)
        if hold is None:
            self._holds.pop(profile, None)
        else:
            self._holds[profile] = hold
        if (before.reason if before else "") != (hold.reason if hold else ""):
            self.hold_changed.emit(profile, hold.reason if hold else "")

    def _count(self) -> None:
        tracked = self._tracker.scheduler.tracked() if self._tracker is not None else []
        active = sum(1 for job in tracked if job.status.is_active)
        if active != self._active:
            self._active = active
            self.active_count_changed.emit(active)


def latest(jobs: Iterable[Job], count: int) -> list[Job]:
    """The ``count`` most recently created jobs, newest first (the tray's menu)."""
    return sorted(jobs, key=lambda j: j.created_at, reverse=True)[:count]
