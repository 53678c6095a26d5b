"""The polling scheduler: which tracked run to check when, in how few requests, within the budget.

Qt-free and HTTP-free (it works through :class:`~simdesk.core.jobs.source.RunSource`), driven by
an injectable clock so tests and the benchmark run hours of polling in virtual time.

Each round (:meth:`Scheduler.tick`) and for each profile:

1. Nothing is sent while the profile is on hold: a ``Retry-After`` (429/503), a rejected key, an
   unreachable server (with a doubling back-off), or the user's pause switch.
2. Runs that are due and share a workspace (or, failing that, a workflow) are checked with *one*
   list request (v2 ``logs`` / ``runs``) instead of one request each; every run the list reports
   is updated, due or not. Runs a list does not show (queued runs are not in the logs yet, lists
   are capped at a few pages) are checked one by one, as are runs on servers without v2 (the
   source then uses the legacy execution/job routes).
3. A list that says a run ended (or paused) without its output, error or pause context is
   followed by one ``get_run`` for the details, in the same round; the row turns final only
   with the details in hand, so a crash in between never leaves a final row without its result.
4. Every request first awaits the budget (background priority).

Results are written to the :class:`~simdesk.core.jobs.store.JobStore` in one transaction per
profile and round, then reported through ``on_changes``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, replace

from simdesk.core.clock import Clock
from simdesk.core.jobs.model import Job, JobStatus, observe
from simdesk.core.jobs.policy import PollPolicy
from simdesk.core.jobs.source import (
    Admit,
    ListsUnavailable,
    PollFailure,
    ProfileProblem,
    RateLimited,
    RunGone,
    RunProblem,
    RunSource,
)
from simdesk.core.jobs.store import JobStore
from simdesk.core.runs import Run, RunStatus

log = logging.getLogger("simdesk.core.scheduler")

DEFAULT_RETRY_AFTER_S = 30.0  # a 429 without Retry-After (legacy ones carry none)
PROFILE_PROBLEM_HOLD_S = 300.0
LISTS_OFF_S = 600.0  # after a refused list, poll run by run for this long before trying again
MIN_BATCH = 2  # a list replaces per-run checks only when it covers at least this many runs
MAX_IDLE_SLEEP_S = 60.0


@dataclass(frozen=True, slots=True)
class JobChange:
    """A job before and after one change (``before`` is ``None`` for a new job)."""

    before: Job | None
    after: Job

    @property
    def status_changed(self) -> bool:
        return self.before is None or self.before.status is not self.after.status

    @property
    def ended(self) -> bool:
        """The run just ended or paused (what notifications are about)."""
        ended = self.after.status.is_final or self.after.status is JobStatus.PAUSED
        return ended and self.status_changed and self.after.status is not JobStatus.UNKNOWN


@dataclass(frozen=True, slots=True)
class Hold:
    """Why and until when a profile is not polled."""

    until: float
    reason: str
    kind: str  # "rate" | "problem" | "offline"


@dataclass(slots=True)
class _Entry:
    job: Job
    due: float
    failures: int = 0
    misses: int = 0


@dataclass(slots=True)
class _Profile:
    hold: Hold | None = None
    failures: int = 0
    lists_off_until: float = 0.0


SourceFor = Callable[[str], Awaitable[RunSource]]
AdmitFor = Callable[[str], Admit]


class Scheduler:
    """Polls tracked runs. Use from one event loop; :meth:`run` is its loop, :meth:`tick` one round.

    Args:
        store: where results are written.
        source_for: the :class:`RunSource` of a profile (async: a client may need to be opened).
        admit_for: the budget gate of a profile: ``await admit_for(profile)(bucket)`` before a
            request on ``bucket``.
        clock: time (tests pass a :class:`~simdesk.testing.virtual_time.VirtualTime`).
        policy: the intervals.
        on_changes: called with every batch of changed jobs, after they are stored.
        on_hold: called when a profile goes on hold (``None`` when the hold is lifted), so the
            service can tell the user and pause the budget for a ``Retry-After``.
    """

    def __init__(
        self,
        *,
        store: JobStore,
        source_for: SourceFor,
        admit_for: AdmitFor,
        clock: Clock,
        policy: PollPolicy | None = None,
        on_changes: Callable[[list[JobChange]], None] | None = None,
        on_hold: Callable[[str, Hold | None], None] | None = None,
    ) -> None:
        self._store = store
        self._source_for = source_for
        self._admit_for = admit_for
        self._clock = clock
        self.policy = policy or PollPolicy()
        self._on_changes = on_changes or (lambda changes: None)
        self._on_hold = on_hold or (lambda profile, hold: None)
        self._entries: dict[str, _Entry] = {}
        self._profiles: dict[str, _Profile] = defaultdict(_Profile)
        self._paused = False
        self._wake = asyncio.Event()
        self.requests = 0  # sent by this scheduler, for the benchmark and tests

    # --- what is tracked -------------------------------------------------------------------

    def track(self, job: Job, *, due: float | None = None) -> None:
        """Follow ``job`` (replacing any earlier value); checked at ``due`` (default: now)."""
        if job.status.is_final:
            self._entries.pop(job.id, None)
            return
        entry = self._entries.get(job.id)
        when = self._clock.now() if due is None else due
        if entry is None:
            self._entries[job.id] = _Entry(job, when)
        else:
            entry.job, entry.due = job, min(entry.due, when)
        self._wake.set()

    def untrack(self, job_id: str) -> None:
        """Stop following a job (deleted, or final)."""
        self._entries.pop(job_id, None)

    def job(self, job_id: str) -> Job | None:
        """The current value of a tracked job."""
        entry = self._entries.get(job_id)
        return entry.job if entry is not None else None

    def tracked(self) -> list[Job]:
        """Every job being followed."""
        return [e.job for e in self._entries.values()]

    def poll_now(self, job_ids: Iterable[str]) -> None:
        """Check these jobs at the next round (after a cancel, or when the user asks)."""
        now = self._clock.now()
        for job_id in job_ids:
            entry = self._entries.get(job_id)
            if entry is not None:
                entry.due = now
        self._wake.set()

    def due_at(self, job_id: str) -> float | None:
        """When a tracked job is next checked."""
        entry = self._entries.get(job_id)
        return entry.due if entry is not None else None

    # --- switches --------------------------------------------------------------------------

    @property
    def paused(self) -> bool:
        """True while the user's pause switch is on."""
        return self._paused

    def set_paused(self, paused: bool) -> None:
        """Stop (or resume) all polling."""
        self._paused = paused
        self._wake.set()

    def set_policy(self, policy: PollPolicy) -> None:
        """New intervals; every job is rescheduled by them from now."""
        self.policy = policy
        now = self._clock.now()
        for entry in self._entries.values():
            entry.due = min(entry.due, now + policy.interval(entry.job, now))
        self._wake.set()

    def hold(self, profile: str) -> Hold | None:
        """The profile's current hold, if any."""
        hold = self._profiles[profile].hold
        return hold if hold is not None and hold.until > self._clock.now() else None

    def release(self, profile: str) -> None:
        """Lift a profile's hold now (its settings changed, or the user asked) and check its runs.
        A ``Retry-After`` still running is kept: the server asked us to wait."""
        state = self._profiles[profile]
        current = self.hold(profile)
        if current is not None and current.kind == "rate":
            return
        state.hold, state.failures, state.lists_off_until = None, 0, 0.0
        self._on_hold(profile, None)
        self.poll_now(e.job.id for e in self._entries.values() if e.job.profile == profile)

    # --- the loop --------------------------------------------------------------------------

    def next_wake(self) -> float | None:
        """When the next round has something to do (``None``: nothing is tracked)."""
        times = []
        for entry in self._entries.values():
            hold = self.hold(entry.job.profile)
            times.append(max(entry.due, hold.until) if hold is not None else entry.due)
        return min(times, default=None)

    async def run(self) -> None:
        """Poll until cancelled."""
        while True:
            self._wake.clear()
            try:
                await self.tick()
            except Exception:  # a bug must not end tracking for good; it is logged with its trace
                log.exception("a polling round failed")
            wake = None if self._paused else self.next_wake()
            delay = MAX_IDLE_SLEEP_S if wake is None else min(MAX_IDLE_SLEEP_S, wake - self._clock.now())
            if delay > 0 and not self._wake.is_set():
                await self._sleep_or_wake(delay)

    async def _sleep_or_wake(self, delay: float) -> None:
        sleeper = asyncio.ensure_future(self._clock.sleep(delay))
        waker = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeper, waker):
                task.cancel()
            await asyncio.gather(sleeper, waker, return_exceptions=True)

    async def tick(self) -> None:
        """One round: check every due run of every profile (profiles in parallel)."""
        if self._paused:
            return
        now = self._clock.now()
        profiles = sorted({e.job.profile for e in self._entries.values() if e.due <= now})
        await asyncio.gather(*(self._tick_profile(p) for p in profiles))

    # --- one profile -----------------------------------------------------------------------

    async def _tick_profile(self, profile: str) -> None:
        if self.hold(profile) is not None:
            return
        changes: list[JobChange] = []
        try:
            source = await self._source_for(profile)
            admit = self._counting(self._admit_for(profile))
            done = await self._batches(profile, source, admit, changes)
            await self._singles(profile, source, admit, done, changes)
        except RateLimited as exc:
            wait = exc.retry_after if exc.retry_after and exc.retry_after > 0 else DEFAULT_RETRY_AFTER_S
            wait = min(wait, self.policy.max_failure_backoff_s)  # a server asking for years would stop it for good
            self._put_on_hold(profile, wait, f"Rate limited by Sim: {exc.message}", "rate")
        except ProfileProblem as exc:
            self._put_on_hold(profile, PROFILE_PROBLEM_HOLD_S, exc.message, "problem")
        except PollFailure as exc:  # unreachable or failing server: the whole profile waits
            self._offline(profile, exc.message)
        except Exception:  # a bug, or a profile that cannot give a client: wait, never spin
            log.exception("checking runs of %s failed", profile)
            self._offline(profile, "Checking runs failed unexpectedly. Details are in the log.")
        finally:
            self._commit(changes)

    def _offline(self, profile: str, reason: str) -> None:
        state = self._profiles[profile]
        state.failures += 1
        self._put_on_hold(profile, self.policy.backoff(state.failures), reason, "offline")

    def _counting(self, admit: Admit) -> Admit:
        async def counted(bucket: str) -> None:
            await admit(bucket)
            self.requests += 1

        return counted

    def _put_on_hold(self, profile: str, seconds: float, reason: str, kind: str) -> None:
        hold = Hold(self._clock.now() + seconds, reason, kind)
        self._profiles[profile].hold = hold
        log.info("not checking runs of %s for %.0f s: %s", profile, seconds, reason)
        self._on_hold(profile, hold)

    def _answered(self, profile: str) -> None:
        """A request of the profile got an answer: a previous problem is over."""
        state = self._profiles[profile]
        if state.failures or state.hold is not None:
            state.failures, state.hold = 0, None
            self._on_hold(profile, None)

    async def _batches(self, profile: str, source: RunSource, admit: Admit, changes: list[JobChange]) -> set[str]:
        """Check runs with list requests; returns the ids of jobs fully answered."""
        state = self._profiles[profile]
        now = self._clock.now()
        if not source.supports_lists or state.lists_off_until > now:
            return set()
        done: set[str] = set()
        for kind, key, members in self._groups(profile, now):
            since = min(m.job.started_at or m.job.created_at for m in members) - self.policy.list_since_margin_s
            try:
                if kind == "workspace":
                    workflows = sorted({m.job.workflow_id for m in members})
                    runs = await source.list_workspace(key, workflows, since, admit, self.policy.max_list_pages)
                else:
                    runs = await source.list_workflow(key, since, admit, self.policy.max_list_pages)
            except ListsUnavailable as exc:
                log.info("lists unavailable for %s (%s); checking runs one by one", profile, exc.message)
                state.lists_off_until = now + LISTS_OFF_S
                return done
            self._answered(profile)
            now = self._clock.now()
            for member in members:
                run = runs.get(member.job.run_id)
                if run is not None and self._apply(member.job.id, run, now, changes, from_list=True):
                    done.add(member.job.id)
        return done

    def _groups(self, profile: str, now: float) -> list[tuple[str, str, list[_Entry]]]:
        """Groups worth one list each: by workspace where known, else by workflow."""
        by_workspace: dict[str, list[_Entry]] = defaultdict(list)
        by_workflow: dict[str, list[_Entry]] = defaultdict(list)
        for entry in self._entries.values():
            if entry.job.profile != profile:
                continue
            if entry.job.workspace_id:
                by_workspace[entry.job.workspace_id].append(entry)
            else:
                by_workflow[entry.job.workflow_id].append(entry)
        groups: list[tuple[str, str, list[_Entry]]] = []
        for kind, table in (("workspace", by_workspace), ("workflow", by_workflow)):
            for key, members in sorted(table.items()):
                if len(members) >= MIN_BATCH and any(m.due <= now for m in members):
                    groups.append((kind, key, members))
        return groups

    async def _singles(
        self, profile: str, source: RunSource, admit: Admit, done: set[str], changes: list[JobChange]
    ) -> None:
        """Check, one request each, the due runs no list answered."""
        now = self._clock.now()
        due = [e for e in self._entries.values() if e.job.profile == profile and e.due <= now and e.job.id not in done]
        for entry in sorted(due, key=lambda e: (e.due, e.job.created_at)):
            current = self._entries.get(entry.job.id)
            if current is None:  # deleted while we were waiting for the budget
                continue
            try:
                run = await source.get_run(current.job, admit)
            except RunGone as exc:
                self._answered(profile)
                self._gone(current, exc, changes)
                continue
            except RunProblem as exc:
                self._answered(profile)
                self._failed_check(current, exc, changes)
                continue
            self._answered(profile)
            self._apply(current.job.id, run, self._clock.now(), changes, from_list=False)

    # --- applying answers ------------------------------------------------------------------

    def _apply(self, job_id: str, run: Run, now: float, changes: list[JobChange], *, from_list: bool) -> bool:
        """Fold one report into the job. Returns False when the details must still be fetched."""
        entry = self._entries.get(job_id)
        if entry is None:
            return True
        if from_list and _needs_details(run):
            entry.due = now  # the per-run check of this round fetches output/error/pause context
            return False
        before = entry.job
        after = observe(before, run, now)
        entry.job, entry.failures, entry.misses = after, 0, 0
        changes.append(JobChange(before, after))
        if after.status.is_final:
            self._entries.pop(job_id, None)
        else:
            interval = self.policy.batch_interval if from_list else self.policy.interval
            entry.due = now + interval(after, now)
        return True

    def _gone(self, entry: _Entry, exc: RunGone, changes: list[JobChange]) -> None:
        """The server does not know the run: wait a little for a fresh one, else mark it unknown."""
        now = self._clock.now()
        job = entry.job
        young = now - job.created_at < self.policy.gone_grace_s
        if young and job.last_checked_at is None:
            entry.misses += 1
            entry.due = now + self.policy.interval(job, now)
            return
        if job.acknowledged:
            note = "Sim no longer has this run (async results are kept for about a day); what was stored is kept."
        else:
            note = "Sim never confirmed this run and cannot find it. Use Retry to start it again."
        after = replace(job, status=JobStatus.UNKNOWN, note=note, last_checked_at=now, updated_at=now)
        changes.append(JobChange(job, after))
        self._entries.pop(job.id, None)
        log.info("run %s of %s is unknown to the server: %s", job.run_id, job.profile, exc.message)

    def _failed_check(self, entry: _Entry, exc: PollFailure, changes: list[JobChange]) -> None:
        now = self._clock.now()
        entry.failures += 1
        entry.due = now + max(self.policy.backoff(entry.failures), self.policy.interval(entry.job, now))
        note = f"The last check failed: {exc.message}"
        if entry.job.note != note:
            before = entry.job
            entry.job = replace(before, note=note, updated_at=now)
            changes.append(JobChange(before, entry.job))

    def _commit(self, changes: list[JobChange]) -> None:
        if not changes:
            return
        latest: dict[str, JobChange] = {}
        for change in changes:  # one row per job, from its first "before" to its last "after"
            first = latest.get(change.after.id)
            latest[change.after.id] = JobChange(first.before if first else change.before, change.after)
        self._store.update_many(c.after for c in latest.values())
        self._on_changes(list(latest.values()))


def _needs_details(run: Run) -> bool:
    """A list reported an end (or pause) without what the row must keep."""
    if run.status is RunStatus.COMPLETED:
        return run.output is None
    if run.status is RunStatus.FAILED:
        return run.error is None
    if run.status is RunStatus.PAUSED:
        return run.paused is None
    return False


def changes_by_profile(changes: Iterable[JobChange]) -> Mapping[str, list[JobChange]]:
    """Group changes per profile (for per-profile summaries)."""
    grouped: dict[str, list[JobChange]] = defaultdict(list)
    for change in changes:
        grouped[change.after.profile].append(change)
    return grouped
