"""The job tracker (Qt-free): starts, adopts, cancels, resumes and forgets tracked runs.

It owns the :class:`~simdesk.core.jobs.store.JobStore` and the
:class:`~simdesk.core.scheduler.Scheduler`, and is what :class:`simdesk.services.jobs.service.JobService`
wraps in Qt signals (and what the crash test drives in a child process without Qt).

Crash safety rests on one ordering: a job row, with the run id we chose, is committed to disk
*before* the execute request is sent. After a crash, :meth:`JobTracker.reattach` finds rows whose
answer never arrived (``acknowledged`` False) and looks each run up by that id (and by the ids
the client derives for its own retries). A run that exists is adopted; one that does not was
never sent, so it is sent now with the *same* id: Sim claims a run id once (a reuse is a 409), so
even a request that did arrive cannot start the workflow twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from simdesk.api import (
    AmbiguousEnqueueError,
    APIConnectionError,
    AsyncReceipt,
    ConflictError,
    NotFoundError,
    RunResult,
    SimError,
    user_message,
)
from simdesk.api.retry import RetryPolicy
from simdesk.api.urls import attempt_run_id, check_run_id, new_run_id
from simdesk.core.budget import Priority, RequestBudget, working_at
from simdesk.core.clock import Clock, SystemClock
from simdesk.core.jobs.model import Job, JobError, JobStatus, Origin, job_status, observe
from simdesk.core.jobs.policy import PollPolicy
from simdesk.core.jobs.source import Admit, RunSource
from simdesk.core.jobs.store import JobStore
from simdesk.core.scheduler import Hold, JobChange, Scheduler
from simdesk.services.jobs.source import ClientRunSource

if TYPE_CHECKING:
    from simdesk.api import SimClient

log = logging.getLogger("simdesk.services.jobs")

ClientFor = Callable[[str], Awaitable["SimClient"]]
BudgetFor = Callable[[str], RequestBudget | None]
RESEND_WINDOW_S = 600.0  # an unsent row older than this is not sent after a restart: the user may not expect it
NOT_STARTED = "NOT_STARTED"
# A client retry of an execute uses a derived id (attempt_run_id); after a crash these are looked up too.
DERIVED_IDS = RetryPolicy().max_retries


@dataclass(frozen=True, slots=True)
class WorkflowInfo:
    """What the tracker learns about a workflow to label and batch its jobs."""

    name: str
    workspace_id: str | None


class JobTracker:
    """Tracked runs of every profile.

    Args:
        store: the job store (opened by the caller; closed by :meth:`aclose`).
        client_for: the open client of a profile name.
        budget_for: the profile's request budget when the client does not carry one itself.
        clock, policy: time and polling intervals.
        on_changes: every change to any job, after it is stored.
        on_hold: a profile stopped (or resumed) being polled, and why.
    """

    def __init__(
        self,
        store: JobStore,
        client_for: ClientFor,
        *,
        budget_for: BudgetFor | None = None,
        clock: Clock | None = None,
        policy: PollPolicy | None = None,
        on_changes: Callable[[list[JobChange]], None] | None = None,
        on_hold: Callable[[str, Hold | None], None] | None = None,
    ) -> None:
        self.store = store
        self._client_for = client_for
        self._budget_for = budget_for or (lambda profile: None)
        self.clock: Clock = clock or SystemClock()
        self._on_changes = on_changes or (lambda changes: None)
        self._on_hold = on_hold or (lambda profile, hold: None)
        self._workflows: dict[tuple[str, str], WorkflowInfo] = {}
        self._budgeted: dict[str, bool] = {}  # profile → its client admits every request itself
        self.scheduler = Scheduler(
            store=store,
            source_for=self._source_for,
            admit_for=self._admit_for,
            clock=self.clock,
            policy=policy,
            on_changes=self._emit,
            on_hold=self._hold,
        )
        self._loop_task: asyncio.Task[None] | None = None

    # --- plumbing --------------------------------------------------------------------------

    async def _source_for(self, profile: str) -> RunSource:
        client = await self._client_for(profile)
        self._budgeted[profile] = getattr(client, "budget", None) is not None
        return ClientRunSource(client)

    def _admit_for(self, profile: str) -> Admit:
        """Background admission: a budgeted client admits each request itself (at the task's
        priority, which polling sets to background); otherwise ask the profile's budget here."""

        async def admit(bucket: str) -> None:
            budget = self._budget_for(profile)
            if budget is not None and not self._budgeted.get(profile, False):
                await budget.admit(bucket, Priority.BACKGROUND)

        return admit

    def _hold(self, profile: str, hold: Hold | None) -> None:
        budget = self._budget_for(profile)
        if hold is not None and hold.kind == "rate" and budget is not None:
            budget.pause_for(max(0.0, hold.until - self.clock.now()), "rate limited")
        self._on_hold(profile, hold)

    def _emit(self, changes: list[JobChange]) -> None:
        if changes:
            self._on_changes(changes)

    def _save(self, before: Job | None, after: Job) -> Job:
        """Store one changed job and report it."""
        if before is None:
            self.store.insert(after)
        else:
            self.store.update(after)
        self._emit([JobChange(before, after)])
        return after

    # --- lifecycle -------------------------------------------------------------------------

    def jobs(self) -> list[Job]:
        """Every stored job, with the scheduler's latest value for tracked ones."""
        return [self.scheduler.job(j.id) or j for j in self.store.all()]

    def get(self, job_id: str) -> Job | None:
        """One job's latest value."""
        return self.scheduler.job(job_id) or self.store.get(job_id)

    async def reattach(self) -> list[Job]:
        """Pick up every unfinished job of every profile (on start). Rows whose answer never came
        are reconciled first (see the module docstring). Returns the jobs now tracked."""
        pending: list[Job] = []
        for job in self.store.unfinished():
            if job.acknowledged:
                self.scheduler.track(job)
            else:
                pending.append(job)
        with working_at(Priority.BACKGROUND):
            await asyncio.gather(*(self._reconcile(job) for job in pending))
        return self.scheduler.tracked()

    def start_polling(self) -> asyncio.Task[None]:
        """Run the scheduler's loop in a task (kept here, cancelled by :meth:`aclose`)."""
        if self._loop_task is None or self._loop_task.done():
            self._loop_task = asyncio.ensure_future(self._poll_forever())
        return self._loop_task

    async def _poll_forever(self) -> None:
        with working_at(Priority.BACKGROUND):
            await self.scheduler.run()

    async def aclose(self) -> None:
        """Stop polling and close the store."""
        if self._loop_task is not None:
            self._loop_task.cancel()
            await asyncio.gather(self._loop_task, return_exceptions=True)
            self._loop_task = None
        self.store.close()

    # --- starting and adopting -------------------------------------------------------------

    async def start(
        self,
        profile: str,
        workflow_id: str,
        workflow_input: Any,
        *,
        workflow_name: str = "",
        workspace_id: str | None = None,
        execution_timeout_s: int | None = None,
        origin: Origin = Origin.STARTED,
        parent_id: str | None = None,
    ) -> Job:
        """Start an async run and track it. The row is on disk before the request leaves.

        Never raises for a refused run: the job is stored as failed ("not started") with the
        reason, so the user sees what happened and can retry.
        """
        info = await self._describe(profile, workflow_id, workflow_name, workspace_id)
        now = self.clock.now()
        job = Job(
            id=Job.new_id(), profile=profile, workflow_id=workflow_id, run_id=new_run_id(), created_at=now,
            workflow_name=info.name, workspace_id=info.workspace_id, input=workflow_input, origin=origin,
            parent_id=parent_id, execution_timeout_s=execution_timeout_s, updated_at=now,
        )  # fmt: skip
        self._save(None, job)
        return await self._send(job)

    async def _send(self, job: Job) -> Job:
        """Send the execute request for a stored, unacknowledged job and record the answer."""
        try:
            client = await self._client_for(job.profile)
            with working_at(Priority.USER):
                receipt = await client.execute_async(
                    job.workflow_id, job.input, run_id=job.run_id, execution_timeout_s=job.execution_timeout_s
                )
        except ConflictError:
            return self._await_confirmation(job, "Sim already has a run with this id; looking it up.")
        except AmbiguousEnqueueError as exc:
            return self._await_confirmation(job, user_message(exc))
        except APIConnectionError as exc:
            if exc.request_sent:
                return self._await_confirmation(job, user_message(exc))
            return self._not_started(job, exc)
        except SimError as exc:
            return self._not_started(job, exc)
        now = self.clock.now()
        after = replace(
            job, run_id=receipt.run_id, acknowledged=True, legacy_job_id=receipt.job_id, note=None, updated_at=now
        )
        self._save(job, after)
        self.scheduler.track(after, due=now + self.scheduler.policy.min_interval_s)
        return after

    def _await_confirmation(self, job: Job, note: str) -> Job:
        """The run may exist: keep the row unacknowledged and let polling find it by id."""
        after = replace(job, note=note, updated_at=self.clock.now())
        self._save(job, after)
        self.scheduler.track(after)
        return after

    def _not_started(self, job: Job, exc: BaseException) -> Job:
        """Sim refused the run: a final row that says why (Retry starts it again)."""
        message = user_message(exc)
        log.info("run of %s not started: %r", job.workflow_id, exc)
        now = self.clock.now()
        after = replace(
            job, status=JobStatus.FAILED, error=message, error_code=NOT_STARTED,
            note="Sim did not start this run.", ended_at=now, updated_at=now,
        )  # fmt: skip
        self.scheduler.untrack(job.id)
        return self._save(job, after)

    async def adopt(
        self, profile: str, workflow_id: str, run_id: str, *, workflow_name: str = "", workspace_id: str | None = None
    ) -> Job:
        """Track a run started elsewhere (the web UI, a script). A run already tracked is
        returned as it is, never added twice. Raises :class:`JobError` when Sim does not know
        the run."""
        run_id = run_id.strip()
        try:
            check_run_id(run_id)
        except SimError as exc:
            raise JobError(str(exc.message)) from exc
        existing = self.store.find(profile, run_id)
        if existing is not None:
            return self.get(existing.id) or existing
        try:
            client = await self._client_for(profile)
            run = await client.get_run(workflow_id, run_id, include_output=True)
        except NotFoundError as exc:
            raise JobError(f"Sim has no run {run_id} of this workflow (or this key cannot see it).") from exc
        except SimError as exc:
            raise JobError(user_message(exc)) from exc
        info = await self._describe(profile, workflow_id, workflow_name, workspace_id)
        now = self.clock.now()
        blank = Job(
            id=Job.new_id(), profile=profile, workflow_id=workflow_id, run_id=run_id, created_at=now,
            workflow_name=info.name, workspace_id=info.workspace_id, origin=Origin.ADOPTED, acknowledged=True,
            updated_at=now,
        )  # fmt: skip
        job = observe(blank, run, now)
        stored, inserted = self.store.insert_or_get(job)
        if inserted:
            self._emit([JobChange(None, stored)])
            self.scheduler.track(stored, due=now + self.scheduler.policy.interval(stored, now))
        return stored

    async def _describe(self, profile: str, workflow_id: str, name: str, workspace_id: str | None) -> WorkflowInfo:
        """Name and workspace of a workflow: as given, else asked once per profile (v2), else blank."""
        if name and workspace_id:
            return WorkflowInfo(name, workspace_id)
        key = (profile, workflow_id)
        if key not in self._workflows:
            info = WorkflowInfo(name, workspace_id)
            try:
                client = await self._client_for(profile)
                if client.surface != "legacy":
                    detail = await client.get_workflow(workflow_id)
                    info = WorkflowInfo(detail.summary.name, detail.summary.workspace_id)
            except SimError as exc:  # labels are nice to have; the run matters more
                log.debug("could not describe workflow %s: %r", workflow_id, exc)
            self._workflows[key] = info
        known = self._workflows[key]
        return WorkflowInfo(name or known.name, workspace_id or known.workspace_id)

    # --- after a crash ---------------------------------------------------------------------

    async def _reconcile(self, job: Job) -> None:
        """An unacknowledged row from before a restart: find its run, or send it, or give up."""
        try:
            client = await self._client_for(job.profile)
            for number in range(DERIVED_IDS + 1):
                run_id = attempt_run_id(job.run_id, number)
                try:
                    run = await client.get_run(job.workflow_id, run_id, include_output=True)
                except NotFoundError:
                    continue
                now = self.clock.now()
                after = observe(replace(job, run_id=run_id, note=None), run, now)
                self._save(job, after)
                self.scheduler.track(after, due=now + self.scheduler.policy.interval(after, now))
                return
        except SimError as exc:  # cannot tell now: polling keeps looking, within the grace period
            log.info("could not reconcile run %s: %r", job.run_id, exc)
            self.scheduler.track(job)
            return
        if self.clock.now() - job.created_at <= RESEND_WINDOW_S and job.input is not None:
            log.info("run %s was never sent; sending it now with the same id", job.run_id)
            with working_at(Priority.USER):
                await self._send(job)
            return
        now = self.clock.now()
        after = replace(
            job, status=JobStatus.UNKNOWN, note="simdesk stopped before this run reached Sim. Use Retry to start it.",
            updated_at=now,
        )  # fmt: skip
        self._save(job, after)

    # --- user actions ----------------------------------------------------------------------

    async def cancel(self, job_ids: Iterable[str]) -> dict[str, str]:
        """Ask Sim to cancel these runs; returns a problem text per job that could not be."""
        problems: dict[str, str] = {}
        for job_id in job_ids:
            job = self.get(job_id)
            if job is None or job.status.is_final:
                continue
            if not job.acknowledged:
                problems[job_id] = "Sim has not confirmed this run yet; try again in a moment."
                continue
            try:
                client = await self._client_for(job.profile)
                with working_at(Priority.USER):
                    result = await client.cancel_run(job.workflow_id, job.run_id)
            except SimError as exc:
                problems[job_id] = user_message(exc)
                continue
            if not result.success:
                problems[job_id] = f"Sim could not cancel the run ({result.reason or 'no reason given'})."
        self.scheduler.poll_now(job_ids)  # cancelling is asynchronous: look again soon
        return problems

    def reassign(self, job_ids: Sequence[str], profile: str) -> None:
        """Move jobs to ``profile`` (theirs is gone), keeping their stored results; unfinished
        ones are followed on it from now on."""
        now = self.clock.now()
        for job_id in job_ids:
            job = self.get(job_id)
            if job is None or job.profile == profile:
                continue
            note = f"Attached to “{profile}” (its profile “{job.profile}” no longer exists)."
            after = self._save(job, replace(job, profile=profile, note=note, updated_at=now))
            self.scheduler.untrack(job_id)
            self.scheduler.track(after)

    def delete(self, job_ids: Sequence[str]) -> int:
        """Forget jobs here (their runs on the server are not touched)."""
        for job_id in job_ids:
            self.scheduler.untrack(job_id)
        return self.store.delete(job_ids)

    async def retry(self, job_id: str) -> Job:
        """Start the workflow again with the same input, as a new job."""
        job = self.get(job_id)
        if job is None:
            raise JobError("That job no longer exists.")
        if not job.has_input:
            raise JobError("The input of this run is not known (it was started elsewhere), so it cannot be retried.")
        return await self.start(
            job.profile, job.workflow_id, job.input, workflow_name=job.workflow_name, workspace_id=job.workspace_id,
            execution_timeout_s=job.execution_timeout_s, origin=Origin.RETRY, parent_id=job.id,
        )  # fmt: skip

    async def resume(self, job_id: str, resume_input: Any) -> Job:
        """Resume a paused run with ``resume_input``. Sim continues it as a new run, tracked as a
        new job linked to this one. Raises :class:`JobError`."""
        job = self.get(job_id)
        if job is None or job.status is not JobStatus.PAUSED:
            raise JobError("Only a paused run can be resumed.")
        try:
            client = await self._client_for(job.profile)
            with working_at(Priority.USER):
                context_id = job.pause.context_id if job.pause else None
                if not context_id:
                    run = await client.get_run(job.workflow_id, job.run_id)
                    context_id = run.paused.context_id if run.paused else None
                if not context_id:
                    raise JobError("Sim does not say where this run is paused, so it cannot be resumed.")
                outcome = await client.resume_run(job.workflow_id, job.run_id, context_id, resume_input)
        except SimError as exc:
            raise JobError(user_message(exc)) from exc
        now = self.clock.now()
        new = _continuation(job, outcome, now)
        stored, inserted = self.store.insert_or_get(new)
        if inserted:
            self._emit([JobChange(None, stored)])
            self.scheduler.track(stored, due=now + self.scheduler.policy.min_interval_s)
        current = self.get(job_id) or job
        resumed = replace(current, note=f"Resumed; continues as run {stored.run_id}.", updated_at=now)
        self._save(current, resumed)
        if self.scheduler.job(job_id) is not None:
            self.scheduler.track(resumed)
        self.scheduler.poll_now([job_id])
        return stored

    async def refresh(self, job_ids: Iterable[str]) -> None:
        """Check these jobs now, finished ones included (a finished run Sim has since deleted
        turns "unknown"; its stored output stays)."""
        later = []
        for job_id in job_ids:
            job = self.get(job_id)
            if job is None:
                continue
            if not job.status.is_final or not job.acknowledged:
                later.append(job_id)
                continue
            try:
                client = await self._client_for(job.profile)
                run = await client.get_run(job.workflow_id, job.run_id, include_output=True)
            except NotFoundError:
                now = self.clock.now()
                note = f"Sim no longer has this run (it was {job.status.value}); the stored result is kept."
                self._save(job, replace(job, status=JobStatus.UNKNOWN, note=note, last_checked_at=now, updated_at=now))
                continue
            except SimError as exc:
                log.info("refreshing %s failed: %r", job.run_id, exc)
                continue
            after = observe(job, run, self.clock.now())
            self._save(job, after)
            if not after.status.is_final:
                self.scheduler.track(after)
        self.scheduler.poll_now(later)

    def set_job_interval(self, job_id: str, seconds: float | None) -> None:
        """A per-job polling interval (``None``: automatic)."""
        job = self.get(job_id)
        if job is None:
            return
        after = replace(job, poll_interval_s=seconds, updated_at=self.clock.now())
        self._save(job, after)
        if not after.status.is_final:
            self.scheduler.track(after, due=self.clock.now() + self.scheduler.policy.interval(after, self.clock.now()))


def _continuation(job: Job, outcome: RunResult | AsyncReceipt, now: float) -> Job:
    """The job for the run a resume created."""
    base = Job(
        id=Job.new_id(), profile=job.profile, workflow_id=job.workflow_id, run_id=outcome.run_id or new_run_id(),
        created_at=now, workflow_name=job.workflow_name, workspace_id=job.workspace_id, acknowledged=True,
        origin=Origin.RESUME, parent_id=job.id, execution_timeout_s=job.execution_timeout_s, updated_at=now,
    )  # fmt: skip
    if isinstance(outcome, AsyncReceipt):
        return replace(base, legacy_job_id=outcome.job_id)
    status = job_status(outcome.status) or JobStatus.UNKNOWN
    return replace(
        base, status=status, output=outcome.output, error=outcome.error.message if outcome.error else None,
        error_code=outcome.error.code if outcome.error else None, ended_at=now if status.is_final else None,
        started_at=outcome.started_at.timestamp() if outcome.started_at else None, last_checked_at=now,
    )  # fmt: skip
