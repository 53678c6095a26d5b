"""The job store: rows round-trip, one row per run, WAL on disk, unfinished jobs found again."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from simdesk.core.jobs.model import Job, JobStatus, Origin, PauseContext
from simdesk.core.jobs.store import DuplicateRunError, JobStore


def _job(run_id: str = "desk-1", **kw: object) -> Job:
    base = Job(id=Job.new_id(), profile="demo", workflow_id="wf-1", run_id=run_id, created_at=100.0)
    return replace(base, **kw)  # type: ignore[arg-type]


def test_rows_round_trip_every_field(store: JobStore) -> None:
    job = _job(
        workflow_name="Nightly Report", workspace_id="ws", status=JobStatus.PAUSED, acknowledged=True,
        input={"minutes": 3, "tags": ["a", "ü"]}, origin=Origin.RETRY, parent_id="p", legacy_job_id="run_cm1",
        started_at=101.0, ended_at=None, last_checked_at=102.0, cost=0.15, progress="3/12 · 25%",
        output={"rows": [1, 2]}, error="boom", error_code="X", note="n", poll_interval_s=7.5,
        execution_timeout_s=60, updated_at=103.0,
        pause=PauseContext("ctx-1", 101.5, "human", "b-approval", "Approve?", ("approved", "comment")),
    )  # fmt: skip
    store.insert(job)
    assert store.get(job.id) == job
    assert store.find("demo", "desk-1") == job


def test_one_row_per_run_and_profile(store: JobStore) -> None:
    first = store.insert(_job())
    with pytest.raises(DuplicateRunError):
        store.insert(_job())
    again, inserted = store.insert_or_get(_job())
    assert (again, inserted) == (first, False)
    other_profile, inserted = store.insert_or_get(_job(profile="other"))
    assert inserted and store.count() == 2 and other_profile.profile == "other"


def test_unfinished_lists_queued_running_and_paused_of_every_profile(store: JobStore) -> None:
    for n, status in enumerate(JobStatus):
        store.insert(_job(f"r{n}", status=status, profile=f"p{n % 2}"))
    assert {j.status for j in store.unfinished()} == {JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.PAUSED}


def test_update_many_and_delete(store: JobStore) -> None:
    jobs = [store.insert(_job(f"r{n}")) for n in range(5)]
    store.update_many(replace(j, status=JobStatus.COMPLETED, output={"n": n}) for n, j in enumerate(jobs))
    assert [j.output for j in store.all()] == [{"n": n} for n in range(5)]
    assert store.delete([jobs[0].id, jobs[1].id]) == 2
    store.update(replace(jobs[0], note="gone"))  # updating a deleted row is a no-op
    assert store.count() == 3 and store.get(jobs[0].id) is None


def test_the_file_is_in_wal_mode_and_readable_by_another_connection(tmp_path: Path) -> None:
    store = JobStore.in_dir(tmp_path)
    store.insert(_job())
    other = sqlite3.connect(tmp_path / "jobs.sqlite3")
    try:
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert other.execute("SELECT run_id FROM jobs").fetchall() == [("desk-1",)]
    finally:
        other.close()
        store.close()


def test_a_newer_schema_is_left_alone_and_the_session_runs_without_it(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    JobStore(path).close()
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version=99")
    db.close()
    before = path.read_bytes()
    store = JobStore(path)
    assert store.problem is not None and "newer simdesk" in store.problem.message
    assert store.path != str(path) and store.count() == 0  # a session-only store
    store.close()
    assert path.read_bytes() == before
