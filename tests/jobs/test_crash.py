"""``kill -9`` in the middle of tracking 100 jobs, then a restart: every run is tracked, once.

A child process starts 100 jobs against a sandbox and polls them; it is killed with SIGKILL
(no cleanup, no flush). A new tracker on the same store then reattaches. Afterwards the runs the
server has and the rows the store has must be the same set, one row per run, all acknowledged.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from simdesk.core.jobs.model import JobStatus
from simdesk.core.jobs.store import JobStore
from simdesk.sandbox.clock import ManualClock
from simdesk.sandbox.demo import SLOW_ID
from simdesk.sandbox.server import RunningSandbox, SandboxConfig, start_sandbox
from tests.kill9 import run_then_kill
from tests.support.jobs import drive_for

JOBS = 100


@pytest.fixture
def roomy_sandbox() -> Iterator[RunningSandbox]:
    """Billing off (self-hosted): 100 concurrent starts are not throttled by the free plan."""
    sb = start_sandbox(SandboxConfig(clock=ManualClock(), billing=False))
    yield sb
    sb.stop()


def _run_child(sb: RunningSandbox, db: Path, *args: str, kill_after: str) -> list[str]:
    """Start the child, read its lines until ``kill_after`` appears, then SIGKILL it."""
    child_args = [sb.base_url, sb.api_key, str(db), str(JOBS), repr(sb.clock.now()), *args]
    return run_then_kill("tests.jobs.crash_child", *child_args, until=lambda line: line == kill_after)


def _check_restart(sb: RunningSandbox, db: Path, make_harness: Any, arun: Any) -> list[Any]:
    """Reattach with a new tracker, poll a while, and compare the store with the server."""
    store = JobStore(db)
    h = make_harness(sb, store=store)
    arun(h.tracker.reattach(), timeout=20_000)
    h.tracker.start_polling()
    arun(drive_for(h.vtime, 30, [h.transport]), timeout=20_000)
    jobs = store.all()
    run_ids = [j.run_id for j in jobs]
    assert len(run_ids) == len(set(run_ids)), "a run is tracked twice"
    server_runs = {rid for rid, run in sb.state.runs.items() if run.workflow.id == SLOW_ID}
    assert set(run_ids) == server_runs, "a run is missing from the store, or a row has no run"
    assert all(j.acknowledged and j.status is JobStatus.RUNNING for j in jobs)
    assert sorted(j.input["n"] for j in jobs) == sorted({j.input["n"] for j in jobs})  # one job per start
    return jobs


def test_kill_9_at_the_worst_moments_then_restart_reattaches_all(
    roomy_sandbox: RunningSandbox, tmp_path: Path, make_harness: Any, arun: Any
) -> None:
    db = tmp_path / "jobs.sqlite3"
    # job 40 stops between writing its row and sending; job 41 after Sim queued it, before the 202 was recorded
    lines = _run_child(roomy_sandbox, db, "40", "41", kill_after="ready")
    assert "hung before sending" in lines and "hung after sending" in lines
    peek = JobStore(db)
    before = {j.input["n"]: j for j in peek.all()}
    peek.close()
    assert len(before) == JOBS and not before[40].acknowledged and not before[41].acknowledged
    assert before[41].run_id in roomy_sandbox.state.runs and before[40].run_id not in roomy_sandbox.state.runs
    jobs = _check_restart(roomy_sandbox, db, make_harness, arun)
    assert len(jobs) == JOBS
    by_n = {j.input["n"]: j for j in jobs}
    assert by_n[40].run_id == before[40].run_id  # sent after the restart, under the id chosen before
    assert by_n[41].run_id == before[41].run_id


def test_kill_9_while_starting_then_restart_reattaches_all(
    roomy_sandbox: RunningSandbox, tmp_path: Path, make_harness: Any, arun: Any
) -> None:
    db = tmp_path / "jobs.sqlite3"
    _run_child(roomy_sandbox, db, kill_after="started 30")  # mid-burst: some rows unsent, some unanswered
    jobs = _check_restart(roomy_sandbox, db, make_harness, arun)
    assert len(jobs) >= 31
