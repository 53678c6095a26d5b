"""A thousand running runs on the free plan: polled in batches, within the budget, without 429s."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks.jobs import seed_jobs, seed_runs, track
from simdesk.core.jobs.model import JobStatus
from simdesk.core.jobs.store import JobStore
from simdesk.sandbox.clock import ManualClock
from simdesk.sandbox.server import RunningSandbox, SandboxConfig, start_sandbox


@pytest.fixture
def free_sandbox() -> Iterator[RunningSandbox]:
    """A sandbox of its own: the shared one holds other tests' runs of the same workflow."""
    sb = start_sandbox(SandboxConfig(clock=ManualClock()))
    yield sb
    sb.stop()


def test_a_thousand_runs_are_tracked_within_the_free_plan_budget(
    free_sandbox: RunningSandbox, tmp_path: Path, arun: Any
) -> None:
    run_ids = seed_runs(free_sandbox, 1000, random.Random(3))
    store = JobStore(tmp_path / "jobs.sqlite3")
    seed_jobs(store, free_sandbox, run_ids)
    tracked = arun(track(free_sandbox, JobStore(store.path), 5.0), timeout=60_000)
    store.close()
    assert tracked.rate_limited == 0
    assert tracked.requests_per_min <= 10
    assert tracked.ended > 50  # runs of 2–20 min: a good share ends within these five minutes
    assert tracked.detect_latency_s <= tracked.poll_interval_s
    now = free_sandbox.clock.now()
    server = {rid: free_sandbox.state.runs[rid].status(now)[0] for rid in run_ids}
    ours = {job.run_id: job.status for job in tracked.jobs}
    finished_late = [rid for rid, status in server.items() if status == "completed" and ours[rid] is JobStatus.RUNNING]
    # the last poll may precede a run's end by less than one interval; every other status agrees
    assert len(finished_late) <= 20
    assert all(ours[rid].value == status for rid, status in server.items() if rid not in finished_late), (
        "a job's status disagrees with the server"
    )
