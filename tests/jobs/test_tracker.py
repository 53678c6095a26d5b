"""The tracker against the embedded sandbox, in virtual time: a job's whole life, each ending,
cancel, resume, retry, adopt, delete, forgotten runs, a 429 storm, v2 switched off, and a finished
run still reported as `redacting`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from simdesk.core.jobs.model import JobError, JobStatus, Origin
from simdesk.sandbox.clock import ManualClock
from simdesk.sandbox.demo import APPROVAL_ID, ECHO_ID, FAILING_ID, SLOW_ID, WS_DEMO
from simdesk.sandbox.server import RunningSandbox, SandboxConfig, start_sandbox
from tests.support.jobs import PROFILE, Harness, drive_for


def forget(sb: RunningSandbox, run_id: str) -> None:
    """Retention: Sim deleted the run (the sandbox has no retention knob, so drop it by hand)."""
    with sb.state.lock:
        del sb.state.runs[run_id]
        sb.state._unsettled.discard(run_id)


def _drive(h: Harness, arun: Any, seconds: float) -> None:
    h.tracker.start_polling()
    arun(drive_for(h.vtime, seconds, [h.transport]), timeout=20_000)


def _final(h: Harness, job_id: str) -> Any:
    job = h.tracker.get(job_id)
    assert job is not None
    return job


def test_a_job_goes_from_queued_to_completed_with_its_output_stored(harness: Harness, arun: Any) -> None:
    job = arun(harness.tracker.start(PROFILE, SLOW_ID, {"minutes": 1}))
    assert job.acknowledged and job.status is JobStatus.QUEUED
    assert (job.workflow_name, job.workspace_id) == ("Nightly Report", WS_DEMO)  # looked up once
    stored = harness.tracker.store.get(job.id)
    assert stored is not None and stored.run_id == job.run_id
    _drive(harness, arun, 30)
    running = _final(harness, job.id)
    assert running.status is JobStatus.RUNNING and running.last_checked_at is not None
    _drive(harness, arun, 45)
    done = _final(harness, job.id)
    assert done.status is JobStatus.COMPLETED
    assert done.output["report"]["rowsProcessed"] == 12_000 and done.progress == "12/12 · 100%"
    assert done.cost is not None and done.ended_at is not None
    # the row turned final within one poll interval of the run's end
    assert done.updated_at - done.ended_at <= harness.scheduler.policy.interval(done, done.ended_at) + 1e-6
    assert [c.after.status for c in harness.changes if c.ended and c.after.id == job.id] == [JobStatus.COMPLETED]


def test_a_failing_run_stores_its_error(harness: Harness, arun: Any) -> None:
    job = arun(harness.tracker.start(PROFILE, FAILING_ID, {"url": "https://example.invalid"}))
    _drive(harness, arun, 10)
    failed = _final(harness, job.id)
    assert failed.status is JobStatus.FAILED
    assert failed.error == "HTTP 1: 502 from upstream" and failed.error_code == "EXECUTION_FAILED"


def test_cancel_a_running_job(harness: Harness, arun: Any) -> None:
    job = arun(harness.tracker.start(PROFILE, SLOW_ID, {"minutes": 60}))
    _drive(harness, arun, 5)
    assert arun(harness.tracker.cancel([job.id])) == {}
    _drive(harness, arun, 5)
    cancelled = _final(harness, job.id)
    assert cancelled.status is JobStatus.CANCELLED and cancelled.error_code == "CANCELLED"
    assert harness.scheduler.job(job.id) is None  # no longer polled


def test_pause_then_resume_with_input(harness: Harness, arun: Any) -> None:
    job = arun(harness.tracker.start(PROFILE, APPROVAL_ID, {"amount": 250}))
    _drive(harness, arun, 5)
    paused = _final(harness, job.id)
    assert paused.status is JobStatus.PAUSED and paused.pause is not None and paused.pause.context_id
    assert paused.pause.kind == "human"
    follow = arun(harness.tracker.resume(job.id, {"approved": True, "comment": "fine"}))
    assert follow.origin is Origin.RESUME and follow.parent_id == job.id and follow.run_id != job.run_id
    _drive(harness, arun, 10)
    done = _final(harness, follow.id)
    assert done.status is JobStatus.COMPLETED
    assert done.output == {"approved": True, "comment": "fine", "amount": 250, "booked": True}
    assert "continues as run" in (_final(harness, job.id).note or "")
    with pytest.raises(JobError, match="paused"):
        arun(harness.tracker.resume(follow.id, {}))


def test_retry_starts_a_new_job_with_the_same_input(harness: Harness, arun: Any) -> None:
    job = arun(harness.tracker.start(PROFILE, FAILING_ID, {"url": "u"}))
    again = arun(harness.tracker.retry(job.id))
    assert (again.input, again.origin, again.parent_id) == ({"url": "u"}, Origin.RETRY, job.id)
    assert again.run_id != job.run_id and harness.tracker.store.count() == 2


def test_adopt_a_run_started_elsewhere_once(harness: Harness, arun: Any) -> None:
    receipt = arun(harness.client.execute_async(ECHO_ID, {"hello": "web"}))
    job = arun(harness.tracker.adopt(PROFILE, ECHO_ID, receipt.run_id))
    assert job.origin is Origin.ADOPTED and job.input is None and job.workflow_name == "Echo"
    assert arun(harness.tracker.adopt(PROFILE, ECHO_ID, receipt.run_id)).id == job.id
    assert harness.tracker.store.count() == 1
    _drive(harness, arun, 10)
    assert _final(harness, job.id).output == {"message": "", "hello": "web"}  # Start adds its declared field
    with pytest.raises(JobError, match="no run"):
        arun(harness.tracker.adopt(PROFILE, ECHO_ID, "desk-does-not-exist"))
    with pytest.raises(JobError, match="cannot be retried"):
        arun(harness.tracker.retry(job.id))


def test_delete_forgets_the_job_but_not_the_run(harness: Harness, arun: Any) -> None:
    job = arun(harness.tracker.start(PROFILE, SLOW_ID, {"minutes": 5}))
    assert harness.tracker.delete([job.id]) == 1
    assert harness.tracker.get(job.id) is None and harness.scheduler.tracked() == []
    assert job.run_id in harness.sb.state.runs


def test_a_run_the_server_forgot_shows_unknown_with_its_stored_result(harness: Harness, arun: Any) -> None:
    job = arun(harness.tracker.start(PROFILE, ECHO_ID, {"keep": "me"}))
    _drive(harness, arun, 10)
    assert _final(harness, job.id).output == {"message": "", "keep": "me"}
    forget(harness.sb, job.run_id)
    arun(harness.tracker.refresh([job.id]))
    forgotten = _final(harness, job.id)
    assert forgotten.status is JobStatus.UNKNOWN and forgotten.output == {"message": "", "keep": "me"}
    assert "no longer has" in (forgotten.note or "")


def test_a_forgotten_run_found_on_restart_turns_unknown(sandbox: RunningSandbox, make_harness: Any, arun: Any) -> None:
    first = make_harness(sandbox)
    job = arun(first.tracker.start(PROFILE, SLOW_ID, {"minutes": 30}))
    _drive(first, arun, 30)
    seen = _final(first, job.id)
    assert seen.status is JobStatus.RUNNING
    arun(first.tracker.aclose())
    forget(sandbox, job.run_id)
    second = make_harness(sandbox, store=type(first.tracker.store)(first.tracker.store.path))
    assert [j.id for j in arun(second.tracker.reattach())] == [job.id]
    _drive(second, arun, 10)
    after = _final(second, job.id)
    assert after.status is JobStatus.UNKNOWN and after.input == {"minutes": 30}
    assert after.started_at == seen.started_at


def test_a_429_storm_during_polling_backs_off_as_told(harness: Harness, arun: Any) -> None:
    jobs = [arun(harness.tracker.start(PROFILE, SLOW_ID, {"minutes": 2})) for _ in range(3)]
    _drive(harness, arun, 5)
    harness.sb.faults.update({"storm_429": 3})
    _drive(harness, arun, 200)
    log = harness.transport.log
    refusals = [t for t, _, status in log if status == 429]
    assert len(refusals) == 3
    for refused in refusals:  # Retry-After: 30 → nothing at all for 30 s after each refusal
        assert not [t for t, _, _ in log if refused < t < refused + 30]
    assert [h.kind for _, h in harness.holds if h is not None] == ["rate"] * 3
    assert all(_final(harness, j.id).status is JobStatus.COMPLETED for j in jobs)


def test_with_v2_off_the_legacy_routes_are_used(sandbox_no_v2: RunningSandbox, make_harness: Any, arun: Any) -> None:
    h = make_harness(sandbox_no_v2)
    ok = arun(h.tracker.start(PROFILE, SLOW_ID, {"minutes": 1}, workflow_name="Nightly Report"))
    bad = arun(h.tracker.start(PROFILE, FAILING_ID, {}))
    paused = arun(h.tracker.start(PROFILE, APPROVAL_ID, {"amount": 5}))
    assert ok.legacy_job_id and ok.workspace_id is None  # no catalogue without v2
    _drive(h, arun, 90)
    assert _final(h, ok.id).status is JobStatus.COMPLETED and _final(h, ok.id).output["progress"]["done"] == 12
    assert _final(h, bad.id).status is JobStatus.FAILED and "502" in (_final(h, bad.id).error or "")
    assert _final(h, paused.id).status is JobStatus.PAUSED
    polled = {route for route in h.transport.routes if "runs" in route or "logs" in route or "legacy" in route}
    assert "legacy.execution" in polled and not {"runs.get", "runs.list", "logs.list"} & polled


@pytest.fixture
def masking_sandbox() -> Iterator[RunningSandbox]:
    """Finished async runs read v2's transient `redacting` for a minute before their outcome."""
    with start_sandbox(SandboxConfig(clock=ManualClock(), redacting_s=60.0)) as sb:
        yield sb


def test_a_job_stays_running_while_its_finished_run_is_redacting(
    masking_sandbox: RunningSandbox, make_harness: Any, arun: Any
) -> None:
    h = make_harness(masking_sandbox)
    job = arun(h.tracker.start(PROFILE, ECHO_ID, {"n": 1}))
    _drive(h, arun, 30)  # the echo's work ended after about a second; its log is masked until ~61 s
    masking = _final(h, job.id)
    assert masking.last_checked_at is not None and masking.last_checked_at > job.created_at + 2
    assert masking.status is JobStatus.RUNNING and masking.ended_at is None and masking.output is None
    assert not [c for c in h.changes if c.ended]
    _drive(h, arun, 60)
    done = _final(h, job.id)
    assert done.status is JobStatus.COMPLETED and done.output == {"message": "", "n": 1}
