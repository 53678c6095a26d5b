"""The scheduler against a scripted source: batching, fallbacks, holds, details, intervals."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from simdesk.core.jobs.model import Job, JobStatus, progress_hint
from simdesk.core.jobs.policy import PollPolicy
from simdesk.core.jobs.source import Admit, ListsUnavailable, RateLimited, RunGone
from simdesk.core.jobs.store import JobStore
from simdesk.core.runs import PauseInfo, Run, RunError, RunStatus
from simdesk.core.scheduler import Hold, JobChange, Scheduler

T0 = 1_787_316_000.0


class Clock:
    def __init__(self) -> None:
        self.t = T0

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:  # pragma: no cover - tick() never sleeps
        self.t += seconds


class FakeSource:
    """Answers from ``self.runs``; records every call and the buckets admitted."""

    def __init__(self) -> None:
        self.runs: dict[str, Run] = {}
        self.listed: set[str] | None = None  # run ids lists show (None: all)
        self.calls: list[tuple[str, str]] = []
        self.buckets: list[str] = []
        self.lists = True
        self.fail: Exception | None = None
        self.list_fail: Exception | None = None

    @property
    def supports_lists(self) -> bool:
        return self.lists

    async def get_run(self, job: Job, admit: Admit) -> Run:
        await admit("v2 runs.get")
        self.calls.append(("get", job.run_id))
        if self.fail is not None:
            raise self.fail
        if job.run_id not in self.runs:
            raise RunGone("Run not found")
        return self.runs[job.run_id]

    async def list_workspace(
        self, workspace_id: str, workflow_ids: Collection[str], since: float, admit: Admit, max_pages: int
    ) -> Mapping[str, Run]:
        await admit("v2 logs.list")
        self.calls.append(("logs", workspace_id))
        if self.list_fail is not None:
            raise self.list_fail
        return {k: _listed(v) for k, v in self.runs.items() if self.listed is None or k in self.listed}

    async def list_workflow(self, workflow_id: str, since: float, admit: Admit, max_pages: int) -> Mapping[str, Run]:
        await admit("v2 runs.list")
        self.calls.append(("runs", workflow_id))
        return {k: _listed(v) for k, v in self.runs.items() if self.listed is None or k in self.listed}


def _listed(run: Run) -> Run:
    """What a list reports: no error details, no pause context (logs do carry final output)."""
    return replace(run, error=None, paused=None)


def _run(run_id: str, status: RunStatus, **kw: Any) -> Run:
    return Run(run_id=run_id, workflow_id="wf", status=status, **kw)


class Rig:
    def __init__(self, tmp_path: Path, policy: PollPolicy | None = None) -> None:
        self.clock = Clock()
        self.source = FakeSource()
        self.store = JobStore(tmp_path / "jobs.sqlite3")
        self.changes: list[JobChange] = []
        self.holds: list[Hold | None] = []

        async def source_for(profile: str) -> FakeSource:
            return self.source

        def admit_for(profile: str) -> Admit:
            async def admit(bucket: str) -> None:
                self.source.buckets.append(bucket)

            return admit

        self.scheduler = Scheduler(
            store=self.store,
            source_for=source_for,
            admit_for=admit_for,
            clock=self.clock,
            policy=policy,
            on_changes=self.changes.extend,
            on_hold=lambda p, h: self.holds.append(h),
        )

    def add(self, run_id: str, *, workspace: str | None = "ws", workflow: str = "wf", **kw: Any) -> Job:
        job = Job(
            id=Job.new_id(), profile="p", workflow_id=workflow, run_id=run_id, created_at=self.clock.t,
            workspace_id=workspace, acknowledged=True, **kw,
        )  # fmt: skip
        self.store.insert(job)
        self.scheduler.track(job)
        return job

    def stored(self, job: Job) -> Job:
        found = self.store.get(job.id)
        assert found is not None
        return found


@pytest.fixture
def rig(tmp_path: Path) -> Any:
    r = Rig(tmp_path)
    yield r
    r.store.close()


def test_one_list_covers_many_runs_of_a_workspace(rig: Rig, arun: Any) -> None:
    jobs = [rig.add(f"r{n}") for n in range(50)]
    for job in jobs:
        rig.source.runs[job.run_id] = _run(job.run_id, RunStatus.RUNNING)
    arun(rig.scheduler.tick())
    assert rig.source.calls == [("logs", "ws")]
    assert rig.source.buckets == ["v2 logs.list"]
    assert all(rig.stored(j).status is JobStatus.RUNNING and rig.stored(j).last_checked_at == T0 for j in jobs)


def test_runs_missing_from_the_list_are_polled_one_by_one(rig: Rig, arun: Any) -> None:
    jobs = [rig.add(f"r{n}") for n in range(3)]
    for job in jobs:
        rig.source.runs[job.run_id] = _run(job.run_id, RunStatus.QUEUED)
    rig.source.listed = {"r0", "r1"}  # a queued run is not in the logs yet
    arun(rig.scheduler.tick())
    assert rig.source.calls == [("logs", "ws"), ("get", "r2")]


def test_without_a_workspace_runs_are_listed_per_workflow(rig: Rig, arun: Any) -> None:
    for n in range(3):
        job = rig.add(f"r{n}", workspace=None)
        rig.source.runs[job.run_id] = _run(job.run_id, RunStatus.RUNNING)
    arun(rig.scheduler.tick())
    assert rig.source.calls == [("runs", "wf")]


def test_a_single_run_is_polled_directly_and_lists_off_means_per_run(rig: Rig, arun: Any) -> None:
    job = rig.add("solo")
    rig.source.runs["solo"] = _run("solo", RunStatus.RUNNING)
    arun(rig.scheduler.tick())
    assert rig.source.calls == [("get", "solo")]
    rig.source.calls.clear()
    rig.source.lists = False  # v2 switched off: the source answers from the legacy routes
    rig.add("second")
    rig.source.runs["second"] = _run("second", RunStatus.RUNNING)
    rig.scheduler.poll_now([job.id])
    arun(rig.scheduler.tick())
    assert sorted(rig.source.calls) == [("get", "second"), ("get", "solo")]


def test_a_refused_list_falls_back_to_per_run_checks(rig: Rig, arun: Any) -> None:
    for n in range(2):
        rig.add(f"r{n}")
        rig.source.runs[f"r{n}"] = _run(f"r{n}", RunStatus.RUNNING)
    rig.source.list_fail = ListsUnavailable("no logs here")
    arun(rig.scheduler.tick())
    assert rig.source.calls == [("logs", "ws"), ("get", "r0"), ("get", "r1")]
    rig.source.calls.clear()
    rig.scheduler.poll_now(j.id for j in rig.scheduler.tracked())
    arun(rig.scheduler.tick())  # lists stay off for a while: no second refused list
    assert rig.source.calls == [("get", "r0"), ("get", "r1")]


def test_a_list_reporting_an_end_is_followed_by_one_detail_request(rig: Rig, arun: Any) -> None:
    ok, bad, paused = rig.add("ok"), rig.add("bad"), rig.add("paused")
    rig.source.runs["ok"] = _run("ok", RunStatus.COMPLETED, output={"x": 1}, cost=0.1)
    rig.source.runs["bad"] = _run("bad", RunStatus.FAILED, error=RunError("boom", "EXECUTION_FAILED"))
    rig.source.runs["paused"] = _run("paused", RunStatus.PAUSED, paused=PauseInfo("ctx-1", None, kind="human"))
    arun(rig.scheduler.tick())
    # the list carried the completed run's output; failure and pause need their details
    assert rig.source.calls == [("logs", "ws"), ("get", "bad"), ("get", "paused")]
    assert rig.stored(ok).output == {"x": 1} and rig.stored(ok).status is JobStatus.COMPLETED
    assert (rig.stored(bad).error, rig.stored(bad).error_code) == ("boom", "EXECUTION_FAILED")
    pause = rig.stored(paused).pause
    assert pause is not None and pause.context_id == "ctx-1"
    assert {c.after.run_id for c in rig.changes if c.ended} == {"ok", "bad", "paused"}
    assert rig.scheduler.job(ok.id) is None and rig.scheduler.job(paused.id) is not None


def test_rate_limited_holds_the_profile_for_retry_after(rig: Rig, arun: Any) -> None:
    job = rig.add("r")
    rig.source.fail = RateLimited("slow down", retry_after=30)
    arun(rig.scheduler.tick())
    hold = rig.scheduler.hold("p")
    assert hold is not None and hold.kind == "rate" and hold.until == T0 + 30
    rig.source.fail = None
    rig.source.runs["r"] = _run("r", RunStatus.RUNNING)
    rig.clock.t += 29
    rig.scheduler.poll_now([job.id])
    arun(rig.scheduler.tick())
    assert rig.source.calls == [("get", "r")]  # nothing sent during the Retry-After
    rig.clock.t += 1
    arun(rig.scheduler.tick())
    assert rig.source.calls == [("get", "r"), ("get", "r")]
    assert rig.holds[-1] is None  # lifted by the first answer


def test_an_absurd_retry_after_holds_the_profile_no_longer_than_the_longest_backoff(rig: Rig, arun: Any) -> None:
    rig.add("r")
    rig.source.fail = RateLimited("slow down", retry_after=1e12)
    arun(rig.scheduler.tick())
    hold = rig.scheduler.hold("p")
    assert hold is not None and hold.until == T0 + rig.scheduler.policy.max_failure_backoff_s


def test_a_run_the_server_forgot_turns_unknown_keeping_what_was_stored(rig: Rig, arun: Any) -> None:
    job = rig.add("old", output={"partial": True}, progress="3/12 · 25%", last_checked_at=T0)
    arun(rig.scheduler.tick())
    stored = rig.stored(job)
    assert stored.status is JobStatus.UNKNOWN and stored.output == {"partial": True}
    assert stored.progress == "3/12 · 25%" and "no longer has" in (stored.note or "")


def test_a_young_run_not_found_yet_is_looked_for_again(rig: Rig, arun: Any) -> None:
    job = rig.add("new")
    arun(rig.scheduler.tick())
    assert rig.scheduler.job(job.id) is not None and rig.stored(job).status is JobStatus.QUEUED


def test_intervals_start_fast_and_back_off_with_age() -> None:
    policy = PollPolicy()
    job = Job(id="j", profile="p", workflow_id="w", run_id="r", created_at=0.0)
    assert policy.interval(job, 5) == 2.0
    assert policy.interval(job, 300) == 30.0
    assert policy.interval(job, 36_000) == 60.0
    assert policy.interval(replace(job, poll_interval_s=7), 36_000) == 7.0
    assert PollPolicy(fixed_interval_s=15).interval(job, 5) == 15.0
    assert policy.interval(replace(job, status=JobStatus.PAUSED), 5) == 300.0
    assert [policy.backoff(n) for n in range(5)] == [0, 5, 10, 20, 40]


def test_progress_hints_come_from_output_or_block_outputs() -> None:
    assert progress_hint({"progress": {"done": 7, "total": 12, "percent": 58}}) == "7/12 · 58%"
    blocks = {"b-step-01": {"progress": {"done": 1, "total": 12}}, "b-step-02": {"progress": {"done": 2, "total": 12}}}
    assert progress_hint(blocks) == "2/12 · 17%"
    assert progress_hint({"rows": 3}) is None and progress_hint(None) is None


def test_times_and_cost_are_taken_from_reports(rig: Rig, arun: Any) -> None:
    job = rig.add("t")
    started = datetime.fromtimestamp(T0 - 10, tz=UTC)
    rig.source.runs["t"] = _run("t", RunStatus.RUNNING, started_at=started, cost=0.2)
    arun(rig.scheduler.tick())
    stored = rig.stored(job)
    assert stored.started_at == T0 - 10 and stored.cost == 0.2
    assert rig.scheduler.due_at(job.id) == T0 + 2.0  # 10 s old: the minimum interval
