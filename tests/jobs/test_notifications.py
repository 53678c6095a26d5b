"""Notifications when a run ends while the window is inactive, and the tray icon and menu."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtGui import QIcon, QPixmap

from simdesk.core.jobs.model import Job, JobStatus
from simdesk.core.jobs.store import JobStore
from simdesk.sandbox.demo import FAILING_ID, SLOW_ID
from simdesk.services.jobs.service import JobService
from simdesk.services.jobs.settings import NOTIFY_CANCELLED, NOTIFY_FAILED
from simdesk.services.notifications import JobNotifier
from simdesk.ui.tray import JobsTray, badged_icon, tooltip
from tests.support.jobs import PROFILE, ServiceRig

NOW = 1_787_316_000.0


def _job(status: JobStatus, **kw: Any) -> Job:
    base = Job(id="j1", profile="Demo", workflow_id="wf", run_id="r1", created_at=NOW, workflow_name="Nightly Report")
    return replace(base, status=status, **kw)


def _offline(tmp_path: Path, jobs: list[Job] = ()) -> JobService:  # type: ignore[assignment]
    store = JobStore(tmp_path / "n.sqlite3")
    store.insert_many(jobs)

    async def client_for(profile: str) -> Any:
        raise AssertionError("offline")

    return JobService(store, client_for)


def test_notifies_only_while_the_window_is_inactive_and_per_outcome(tmp_path: Path, settings: Any) -> None:
    service = _offline(tmp_path)
    active = [False]
    notifier = JobNotifier(service, settings, lambda: active[0])
    sent: list[tuple[str, ...]] = []
    notifier.notify.connect(lambda *args: sent.append(args))
    service.jobs_ended.emit([_job(JobStatus.COMPLETED)])
    service.jobs_ended.emit([_job(JobStatus.FAILED, error="HTTP 1: 502 from upstream")])
    service.jobs_ended.emit([_job(JobStatus.PAUSED)])
    service.jobs_ended.emit([_job(JobStatus.CANCELLED)])  # off by default
    assert [s[0] for s in sent] == ["Run completed", "Run failed", "Run needs input"]
    assert sent[1][1] == "Nightly Report failed: HTTP 1: 502 from upstream (profile Demo)"
    assert sent[0][2:] == ("j1", "completed")
    settings.set(NOTIFY_FAILED, False)
    settings.set(NOTIFY_CANCELLED, True)
    sent.clear()
    service.jobs_ended.emit([_job(JobStatus.FAILED)])
    service.jobs_ended.emit([_job(JobStatus.CANCELLED)])
    assert [s[0] for s in sent] == ["Run cancelled"]
    active[0] = True
    service.jobs_ended.emit([_job(JobStatus.COMPLETED)])
    assert len(sent) == 1
    active[0] = False
    sent.clear()
    many = [replace(_job(JobStatus.COMPLETED), id=f"j{n}") for n in range(5)] + [_job(JobStatus.PAUSED)]
    service.jobs_ended.emit(many)  # a batch finishing together: one summary, not six pop-ups
    assert sent == [("6 runs ended", "5 completed, 1 need input", "", "")]
    service.tracker.store.close()


def test_a_real_run_ending_in_the_background_is_notified(svc: ServiceRig, arun: Any, qtbot: Any) -> None:
    notifier = JobNotifier(svc.service, svc.settings, lambda: False)
    arun(svc.service.begin())
    sent: list[tuple[str, ...]] = []
    notifier.notify.connect(lambda *args: sent.append(args))
    arun(svc.service.start(PROFILE, FAILING_ID, {}))
    svc.drive(arun, 10)
    assert [s[0] for s in sent] == ["Run failed"] and "Flaky Fetch failed" in sent[0][1]


def test_tray_icon_counts_active_runs_and_lists_the_latest(svc: ServiceRig, arun: Any, qtbot: Any) -> None:
    notifier = JobNotifier(svc.service, svc.settings, lambda: False)
    base = QIcon(QPixmap(64, 64))
    tray = JobsTray(svc.service, notifier, base, now=svc.vtime.now)
    arun(svc.service.begin())
    assert tray.tray.toolTip() == "simdesk — no runs active"
    for minutes in (1, 30):
        arun(svc.service.start(PROFILE, SLOW_ID, {"minutes": minutes}))
    svc.drive(arun, 3)
    assert tray.tray.toolTip() == "simdesk — 2 runs active"
    tray.rebuild_menu()
    entries = [a.text() for a in tray.menu.actions() if a.data()]
    assert len(entries) == 2 and all(e.startswith("Nightly Report — Running") for e in entries)
    assert [a.text() for a in tray.menu.actions() if a.text() and not a.data()][-3:] == [
        "Show simdesk", "Pause checking", "Quit simdesk",
    ]  # fmt: skip
    with qtbot.waitSignal(tray.open_job) as opened:
        next(a for a in tray.menu.actions() if a.data()).trigger()
    assert opened.args[0] in {j.id for j in svc.service.jobs()}
    svc.drive(arun, 80)
    assert tray.tray.toolTip() == "simdesk — 1 run active"
    assert tray.shown and tray.shown[-1][0] == "Run completed"
    with qtbot.waitSignal(tray.open_job) as clicked:
        tray.tray.messageClicked.emit()
    assert clicked.args[0] == tray.shown[-1][2]
    tray.hide()
    tray.menu.deleteLater()
    tray.deleteLater()


def test_without_a_system_tray_notifications_are_handed_on(tmp_path: Path, settings: Any, qtbot: Any) -> None:
    service = _offline(tmp_path)
    tray = JobsTray(service, JobNotifier(service, settings, lambda: False), QIcon())
    with qtbot.waitSignal(tray.unshown) as unshown:  # the offscreen platform has no tray
        tray.notify("Run completed", "Nightly Report finished", "j1", "completed")
    assert unshown.args[0] == "Run completed: Nightly Report finished" and tray.last_notified == "j1"
    tray.menu.deleteLater()
    tray.deleteLater()
    service.tracker.store.close()


def test_badged_icons_and_tooltips() -> None:
    base = QIcon(QPixmap(64, 64))
    empty, three = badged_icon(base, 0).pixmap(64, 64).toImage(), badged_icon(base, 3).pixmap(64, 64).toImage()
    assert empty != three
    assert tooltip(0, False) == "simdesk — no runs active"
    assert tooltip(1, True) == "simdesk — 1 run active (checking paused)"
