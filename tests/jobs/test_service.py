"""JobService: signals for the panel, the tray and the console, against the sandbox."""

from __future__ import annotations

from typing import Any

from simdesk.core.jobs.model import JobStatus
from simdesk.sandbox.demo import APPROVAL_ID, ECHO_ID, SLOW_ID
from tests.support.jobs import PROFILE, ServiceRig


def test_begin_start_and_signals_through_a_run(svc: ServiceRig, arun: Any, qtbot: Any) -> None:
    service = svc.service
    resets: list[list[Any]] = []
    changed: list[Any] = []
    ended: list[Any] = []
    counts: list[int] = []
    service.jobs_reset.connect(resets.append)
    service.jobs_changed.connect(changed.extend)
    service.job_ended.connect(ended.append)
    service.active_count_changed.connect(counts.append)
    arun(service.begin())
    assert resets == [[]]
    job = arun(service.start(PROFILE, SLOW_ID, {"minutes": 1}))
    assert job.run_id and job.error is None  # what the console's handoff reads
    svc.drive(arun, 80)
    assert [j.status for j in ended] == [JobStatus.COMPLETED]
    assert {j.status for j in changed} >= {JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.COMPLETED}
    assert counts == [1, 0] and service.active_count == 0


def test_a_paused_run_is_reported_as_ended_and_can_be_resumed(svc: ServiceRig, arun: Any, qtbot: Any) -> None:
    service = svc.service
    arun(service.begin())
    ended: list[Any] = []
    service.job_ended.connect(ended.append)
    job = arun(service.start(PROFILE, APPROVAL_ID, {"amount": 9}))
    svc.drive(arun, 5)
    assert [j.status for j in ended] == [JobStatus.PAUSED]
    with qtbot.waitSignal(service.info, timeout=5000) as said:
        service.request_resume(job.id, {"approved": False})
    assert "continues" in said.args[0]
    svc.drive(arun, 5)
    assert [j.status for j in ended][-1] is JobStatus.COMPLETED


def test_failed_actions_come_back_as_sentences(svc: ServiceRig, arun: Any, qtbot: Any) -> None:
    arun(svc.service.begin())
    with qtbot.waitSignal(svc.service.failed, timeout=5000) as failed:
        svc.service.request_adopt(PROFILE, ECHO_ID, "desk-nobody-started-this")
    assert "no run desk-nobody-started-this" in failed.args[0]


def test_holds_are_reported_with_their_reason(svc: ServiceRig, arun: Any, qtbot: Any) -> None:
    service = svc.service
    arun(service.begin())
    arun(service.start(PROFILE, SLOW_ID, {"minutes": 3}))
    holds: list[tuple[str, str]] = []
    service.hold_changed.connect(lambda p, r: holds.append((p, r)))
    svc.sb.faults.update({"storm_429": 1})
    svc.drive(arun, 3)
    assert holds and holds[0][0] == PROFILE and "Rate limited" in holds[0][1]
    assert service.holds()[PROFILE].kind == "rate"
    service.release(PROFILE)  # the user cannot skip a Retry-After
    assert PROFILE in service.holds()
    svc.drive(arun, 40)
    assert holds[-1] == (PROFILE, "") and service.holds() == {}


def test_pause_switch_and_intervals(svc: ServiceRig, arun: Any, qtbot: Any) -> None:
    service = svc.service
    arun(service.begin())
    with qtbot.waitSignal(service.paused_changed):
        service.set_paused(True)
    job = arun(service.start(PROFILE, SLOW_ID, {"minutes": 1}))
    before = svc.transport.sent
    svc.drive(arun, 30)
    assert svc.transport.sent == before  # nothing at all while paused
    service.set_paused(False)
    service.set_fixed_interval(10)
    service.set_job_interval(job.id, 4)
    assert service.tracker.scheduler.policy.fixed_interval_s == 10
    assert service.get(job.id).poll_interval_s == 4  # type: ignore[union-attr]
    svc.drive(arun, 9)
    assert svc.transport.sent - before >= 2
