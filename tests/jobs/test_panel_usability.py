"""The Jobs panel as a newcomer meets it: rows visible at the dock's default size, progress next
to the status and moving while a run goes, only the actions that apply, and Cancel confirmed."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from simdesk.core.jobs.model import Job, JobStatus
from simdesk.models.jobs.table import Column
from simdesk.sandbox.demo import SLOW_ID
from simdesk.ui.jobs.panel import JobsPanel
from simdesk.ui.jobs.progress import percent_of, stripe_step
from tests.jobs.test_panel import NOW, _jobs, _offline_service
from tests.support.jobs import PROFILE, ServiceRig

DEFAULT_DOCK = (560, 220)  # the Jobs dock of the default window layout


@pytest.fixture
def panel(tmp_path: Path, settings: Any, qtbot: Any) -> Any:
    service = _offline_service(tmp_path, _jobs())
    answers: list[bool] = []
    asked: list[str] = []

    def confirm(_parent: Any, _title: str, text: str) -> bool:
        asked.append(text)
        return answers.pop(0)

    panel = JobsPanel(service, settings, profiles=lambda: ["Demo", "Work"], now=lambda: NOW, confirm=confirm)
    panel.answers, panel.asked = answers, asked  # type: ignore[attr-defined]
    qtbot.addWidget(panel)
    yield panel
    service.tracker.store.close()


def test_at_the_default_size_every_job_shows_and_progress_sits_beside_the_status(panel: JobsPanel, qtbot: Any) -> None:
    panel.resize(*DEFAULT_DOCK)
    panel.show()
    qtbot.waitExposed(panel)
    table = panel.table
    assert not panel.filter_bar.isVisible()  # four jobs: nothing to filter yet
    rows_seen = sum(
        1
        for row in range(panel.proxy.rowCount())
        if table.rowViewportPosition(row) + table.rowHeight(row) <= table.viewport().height()
    )
    assert rows_seen >= 4
    header = table.horizontalHeader()
    assert header.visualIndex(Column.PROGRESS) == header.visualIndex(Column.STATUS) + 1
    progress_left = header.sectionViewportPosition(Column.PROGRESS)
    assert progress_left + header.sectionSize(Column.PROGRESS) <= table.viewport().width()  # in sight


def test_the_filters_come_back_when_there_is_something_to_filter(panel: JobsPanel) -> None:
    base = _jobs()[0]
    panel.service.jobs_changed.emit([replace(base, id=f"x{n}", run_id=f"run-x{n}") for n in range(3)])
    assert panel.model.rowCount() == 7 and not panel.filter_bar.isHidden()


def test_progress_is_painted_and_moves_with_the_clock(panel: JobsPanel, qtbot: Any) -> None:
    assert percent_of("3/12 · 25%") == 25.0 and percent_of(None) is None and percent_of("7 rows") is None
    running = Job(id="r", profile="Demo", workflow_id="wf", run_id="run-r", created_at=NOW - 10,
                  status=JobStatus.RUNNING, started_at=NOW - 10)  # fmt: skip
    assert stripe_step(running, NOW) != stripe_step(running, NOW + 1)
    ticks: list[tuple[int, int]] = []
    panel.model.dataChanged.connect(lambda first, last, *_: ticks.append((first.column(), last.column())))
    panel.model.tick()
    assert ticks and ticks[-1][0] <= Column.PROGRESS <= ticks[-1][1]
    index = panel.proxy.mapFromSource(panel.model.index(panel.model.row_of("j1") or 0, Column.PROGRESS))
    assert index.data() == "3/12 · 25%"


def test_only_the_actions_that_apply_are_enabled(panel: JobsPanel) -> None:
    running = replace(_jobs()[0], input={"u": 1})
    panel.service.jobs_changed.emit([running])
    panel.select_job("j1")  # running, with its input known
    assert panel.cancel_action.isEnabled()
    assert not panel.retry_action.isEnabled() and not panel.result_action.isEnabled()
    panel.select_job("j3")  # failed, with input
    assert panel.retry_action.isEnabled() and panel.result_action.isEnabled() and not panel.cancel_action.isEnabled()
    panel.select_job("j4")  # completed
    assert panel.result_action.isEnabled()


def test_cancel_asks_first_and_a_no_keeps_the_run(panel: JobsPanel, monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[list[str]] = []
    monkeypatch.setattr(panel.service, "request_cancel", sent.append)
    panel.select_job("j1")
    panel.answers.append(False)  # type: ignore[attr-defined]
    panel.cancel_action.trigger()
    assert sent == [] and "Cancel “Flow 1” on Sim?" in panel.asked[-1]  # type: ignore[attr-defined]
    panel.answers.append(True)  # type: ignore[attr-defined]
    panel.cancel_action.trigger()
    assert sent == [["j1"]]


def test_cancel_confirmed_reaches_the_sandbox(svc: ServiceRig, arun: Any, qtbot: Any) -> None:
    service = svc.service
    arun(service.begin())
    panel = JobsPanel(service, svc.settings, profiles=lambda: [PROFILE], confirm=lambda *_: True)
    qtbot.addWidget(panel)
    job = arun(service.start(PROFILE, SLOW_ID, {"minutes": 60}))
    svc.drive(arun, 3)
    panel.select_job(job.id)
    assert not panel.retry_action.isEnabled() and not panel.result_action.isEnabled()
    panel.cancel_action.trigger()
    qtbot.waitUntil(lambda: svc.sb.state.runs[job.run_id].forced_status == "cancelled")
