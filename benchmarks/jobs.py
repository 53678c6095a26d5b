"""Job tracker: 1,000 running async runs tracked for 10 simulated minutes on the free plan.

Setup: an embedded sandbox (v2 on, free plan: every v2 operation has its own request bucket of
capacity 60 refilled by 30 per minute) on a ``ManualClock``. 1,000 runs of "Nightly Report" in
the Demo workspace are created directly in the sandbox (starting them through the API would take
half an hour of execute budget), lasting 2–20 minutes, all running when tracking starts. Their
rows go into a fresh job store and :class:`~simdesk.services.jobs.tracker.JobTracker` reattaches
to them, exactly as after a restart. Its client carries a
:class:`~simdesk.core.budget.RequestBudget`; every wait (the scheduler's, the budget's) is a
:class:`~simdesk.testing.virtual_time.VirtualTime` sleep, and virtual time moves only when nothing
is on the wire, so ten minutes take a few seconds.

* ``requests_per_min``: requests simdesk sent while tracking, per simulated minute (goal ≤ 10).
* ``naive_requests_per_min``: a naive poller in the same run, on a second sandbox with the same
  1,000 runs: one ``GET …/runs/{id}`` per run every 15 s (the official SDK's longest
  ``wait_for_run`` interval), measured over one simulated minute.
* ``rate_limited_responses``: 429s simdesk received (goal 0).
* ``detect_latency_s``: the longest time from a run's end on the server to its row turning final
  in the store (virtual seconds), over every run that ended while tracked;
  ``poll_interval_s``: the longest polling interval in force when one of those runs ended
  (goal: latency ≤ interval).
* ``table_apply_ms``: wall-clock time for the jobs table (model + sort/filter proxy, sorted by
  status) to apply 1,000 status changes in one batch, median of 5 (goal ≤ 16 ms).
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import time
from dataclasses import dataclass, replace
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from benchmarks import quick
from simdesk.api import RetryPolicy, SimClient, SimError
from simdesk.core.jobs.model import Job, JobStatus
from simdesk.core.jobs.store import JobStore
from simdesk.sandbox import demo
from simdesk.sandbox.clock import ManualClock
from simdesk.sandbox.server import RunningSandbox, SandboxConfig, start_sandbox
from simdesk.services.jobs.tracker import JobTracker
from simdesk.testing.virtual_time import VirtualTime
from tests.support.jobs import CountingTransport, drive_for, make_client

RUNS = 1000
MINUTES = 10
NAIVE_INTERVAL_S = 15.0
PROFILE = "bench"


@dataclass(frozen=True)
class Tracked:
    """What one simulated tracking session measured."""

    requests: int
    rate_limited: int
    minutes: float
    ended: int
    detect_latency_s: float
    poll_interval_s: float
    jobs: list[Job]

    @property
    def requests_per_min(self) -> float:
        return self.requests / self.minutes


def seed_runs(sb: RunningSandbox, count: int, rng: random.Random) -> list[str]:
    """``count`` async runs of Nightly Report (2–20 min), created now, running after 60 s."""
    state = sb.state
    workflow, key = state.workflows[demo.SLOW_ID], state.keys[sb.api_key]
    ids = [
        state.create_run(workflow, key, surface="v2", mode="async", input={"minutes": rng.uniform(2, 20)}).id
        for _ in range(count)
    ]
    sb.clock.advance(60)  # type: ignore[attr-defined]
    return ids


def seed_jobs(store: JobStore, sb: RunningSandbox, run_ids: list[str]) -> None:
    """Rows for runs simdesk started (acknowledged), as a restart finds them."""
    created = sb.clock.now() - 60
    template = Job(
        id="", profile=PROFILE, workflow_id=demo.SLOW_ID, run_id="", created_at=created,
        workflow_name="Nightly Report", workspace_id=demo.WS_DEMO, status=JobStatus.RUNNING,
        acknowledged=True, input={"minutes": 0}, started_at=created + 1, updated_at=created,
    )  # fmt: skip
    store.insert_many(replace(template, id=Job.new_id(), run_id=run_id) for run_id in run_ids)


async def track(sb: RunningSandbox, store: JobStore, minutes: float) -> Tracked:
    """Reattach to the store's jobs and track them for ``minutes`` of virtual time."""
    clock: Any = sb.clock
    vtime = VirtualTime(clock.now, clock.advance)
    transport = CountingTransport()
    client = make_client(sb.base_url, sb.api_key, vtime, transport)

    async def client_for(profile: str) -> SimClient:
        return client

    tracker = JobTracker(store, client_for, clock=vtime)
    try:
        await tracker.reattach()
        begin = vtime.now()
        tracker.start_polling()
        await drive_for(vtime, minutes * 60, [transport])
        jobs = tracker.jobs()
    finally:
        await tracker.aclose()
        await client.aclose()
    ended = [j for j in jobs if j.status.is_final and j.ended_at is not None and j.ended_at >= begin]
    policy = tracker.scheduler.policy
    return Tracked(
        requests=transport.sent,
        rate_limited=transport.rate_limited,
        minutes=minutes,
        ended=len(ended),
        detect_latency_s=max((j.updated_at - (j.ended_at or 0.0) for j in ended), default=0.0),
        poll_interval_s=max((policy.batch_interval(j, j.ended_at or 0.0) for j in ended), default=0.0),
        jobs=jobs,
    )


async def naive(sb: RunningSandbox, run_ids: list[str], seconds: float) -> tuple[int, int]:
    """Poll every run on its own every ``NAIVE_INTERVAL_S`` for ``seconds``: (requests, 429s)."""
    transport = CountingTransport()
    client = SimClient(sb.base_url, sb.api_key, retry=RetryPolicy(max_retries=0), transport=transport)
    try:
        for _ in range(round(seconds / NAIVE_INTERVAL_S)):
            for run_id in run_ids:
                try:
                    await client.get_run(demo.SLOW_ID, run_id)
                except SimError:
                    pass  # a naive poller just tries again next time
            sb.clock.advance(NAIVE_INTERVAL_S)  # type: ignore[attr-defined]
    finally:
        await client.aclose()
    return transport.sent, transport.rate_limited


def table_apply_ms(rows: int, repeats: int = 5) -> float:
    """Median wall time for the table (model + proxy) to apply ``rows`` status changes at once."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from simdesk.models.jobs.filters import JobFilterProxy
    from simdesk.models.jobs.table import Column, JobTableModel

    app = QApplication.instance() or QApplication([])
    now = time.time()
    jobs = [
        Job(id=f"j{n}", profile=PROFILE, workflow_id="wf", run_id=f"r{n}", created_at=now - n, status=JobStatus.RUNNING)
        for n in range(rows)
    ]
    timings = []
    for attempt in range(repeats):
        model = JobTableModel(now=lambda: now)
        model.reset(jobs)
        proxy = JobFilterProxy(model)
        proxy.sort(Column.STATUS, Qt.SortOrder.AscendingOrder)
        final = JobStatus.COMPLETED if attempt % 2 == 0 else JobStatus.FAILED
        changed = [replace(j, status=final, last_checked_at=now, ended_at=now, updated_at=now) for j in jobs]
        started = time.perf_counter()
        model.apply(changed)
        timings.append((time.perf_counter() - started) * 1000)
        assert proxy.rowCount() == rows
    app.processEvents()
    return statistics.median(timings)


def run() -> dict[str, float]:
    count, minutes = (100, 2.0) if quick() else (RUNS, float(MINUTES))
    rng = random.Random(7)
    ours = start_sandbox(SandboxConfig(clock=ManualClock()))
    theirs = start_sandbox(SandboxConfig(clock=ManualClock()))
    try:
        run_ids = seed_runs(ours, count, rng)
        with TemporaryDirectory() as tmp:
            store = JobStore(Path(tmp) / "jobs.sqlite3")
            seed_jobs(store, ours, run_ids)
            tracked = asyncio.run(track(ours, store, minutes))
        naive_ids = seed_runs(theirs, count, random.Random(7))
        naive_seconds = NAIVE_INTERVAL_S if quick() else 60.0
        naive_sent, _naive_429 = asyncio.run(naive(theirs, naive_ids, naive_seconds))
    finally:
        ours.stop()
        theirs.stop()
    return {
        "requests_per_min": tracked.requests_per_min,
        "naive_requests_per_min": naive_sent / (naive_seconds / 60.0),
        "rate_limited_responses": float(tracked.rate_limited),
        "detect_latency_s": tracked.detect_latency_s,
        "poll_interval_s": tracked.poll_interval_s,
        "table_apply_ms": table_apply_ms(count),
    }
