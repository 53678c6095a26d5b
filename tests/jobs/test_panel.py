"""The Jobs panel: empty and no-match states, saved filters, actions, dialogs, badges."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPalette
from PySide6.QtWidgets import QApplication

from simdesk.core.jobs.model import Job, JobStatus, PauseContext
from simdesk.core.jobs.store import JobStore
from simdesk.models.jobs.filters import JobFilters
from simdesk.models.jobs.table import Column
from simdesk.sandbox.demo import APPROVAL_ID, ECHO_ID, SLOW_ID
from simdesk.services.jobs.service import JobService
from simdesk.services.jobs.settings import JOBS_FILTERS
from simdesk.ui.jobs.badges import SHAPES, status_color
from simdesk.ui.jobs.panel import JobsPanel
from simdesk.ui.jobs.result import JobResultDialog
from simdesk.ui.jobs.resume import ResumeDialog, parse_field
from tests.support.jobs import PROFILE, ServiceRig

NOW = 1_787_316_000.0


def _offline_service(tmp_path: Path, jobs: list[Job]) -> JobService:
    store = JobStore(tmp_path / "offline.sqlite3")
    store.insert_many(jobs)

    async def client_for(profile: str) -> Any:
        raise AssertionError("no network in this test")

    return JobService(store, client_for)


def _jobs() -> list[Job]:
    def job(n: int, status: JobStatus, **kw: Any) -> Job:
        base = Job(id=f"j{n}", profile="Demo", workflow_id=f"wf{n % 2}", run_id=f"run-{n}", created_at=NOW - n * 60,
                   workflow_name=f"Flow {n % 2}", status=status, acknowledged=True)  # fmt: skip
        return replace(base, **kw)

    return [
        job(1, JobStatus.RUNNING, progress="3/12 · 25%"),
        job(2, JobStatus.PAUSED, pause=PauseContext("ctx", NOW, "human", "b", "Approve?", ("approved", "comment"))),
        job(3, JobStatus.FAILED, error="HTTP 1: 502 from upstream", input={"u": 1}),
        job(4, JobStatus.COMPLETED, output={"answer": 42}, profile="Work"),
    ]


@pytest.fixture
def offline_panel(tmp_path: Path, settings: Any, qtbot: Any) -> Any:
    service = _offline_service(tmp_path, _jobs())
    panel = JobsPanel(service, settings, profiles=lambda: ["Demo", "Work"], now=lambda: NOW, confirm=lambda *a: True)
    qtbot.addWidget(panel)
    yield panel
    service.tracker.store.close()


def test_empty_state_says_what_to_do(tmp_path: Path, settings: Any, qtbot: Any) -> None:
    service = _offline_service(tmp_path, [])
    panel = JobsPanel(service, settings)
    qtbot.addWidget(panel)
    assert panel.stack.currentWidget() is panel.empty
    assert "Run in background" in panel.empty.hint.text() and "Track a run by id" in panel.empty.hint.text()
    assert panel.footer.text() == "0 jobs · 0 active"
    with qtbot.waitSignal(panel.dialog_opened) as opened:
        panel.empty.button.click()
    assert opened.args[0].objectName() == "adoptDialog"
    opened.args[0].reject()
    service.jobs_changed.emit([_jobs()[0]])
    assert panel.stack.currentWidget() is panel.table and panel.model.rowCount() == 1
    service.tracker.store.close()


def test_filters_narrow_the_list_show_no_match_and_are_saved(
    offline_panel: JobsPanel, settings: Any, qtbot: Any
) -> None:
    panel = offline_panel
    assert panel.proxy.rowCount() == 4 and panel.footer.text().startswith("4 jobs · 1 active · 1 waiting for input")
    panel.status_actions[JobStatus.FAILED].setChecked(True)
    assert panel.proxy.rowCount() == 1 and panel.status_button.text() == "Status: Failed"
    panel.search.setText("nothing matches this")
    assert panel.stack.currentWidget() is panel.no_match
    assert JobFilters.from_json(settings.get(JOBS_FILTERS)).text == "nothing matches this"
    other = JobsPanel(panel.service, settings, now=lambda: NOW)  # a restart: the filters come back
    qtbot.addWidget(other)
    assert other.proxy.filters == panel.proxy.filters and other.search.text() == "nothing matches this"
    assert other.status_actions[JobStatus.FAILED].isChecked()
    panel.no_match.button.click()
    assert panel.proxy.rowCount() == 4 and not panel.proxy.filters.active
    profile = panel.profile_filter
    profile.setCurrentIndex(profile.findData("Work"))
    profile.activated.emit(profile.currentIndex())
    assert panel.proxy.rowCount() == 1


def test_actions_follow_the_selection(offline_panel: JobsPanel) -> None:
    panel = offline_panel
    assert not panel.cancel_action.isEnabled() and not panel.delete_action.isEnabled()
    panel.select_job("j2")
    assert panel.resume_action.isEnabled() and panel.cancel_action.isEnabled() and panel.result_action.isEnabled()
    assert not panel.retry_action.isEnabled()  # no input known
    panel.select_job("j3")
    assert panel.retry_action.isEnabled() and not panel.cancel_action.isEnabled()
    assert not panel.resume_action.isEnabled()


def test_select_job_clears_filters_that_hide_it(offline_panel: JobsPanel) -> None:
    panel = offline_panel
    panel.search.setText("Flow 1")
    assert panel.select_job("j4")  # Flow 0: hidden until the filters are cleared
    assert [j.id for j in panel.selected()] == ["j4"] and not panel.proxy.filters.active


def test_delete_asks_first(tmp_path: Path, settings: Any, qtbot: Any) -> None:
    service = _offline_service(tmp_path, _jobs())
    answers = [False, True]
    asked: list[str] = []

    def confirm(_parent: Any, _title: str, text: str) -> bool:
        asked.append(text)
        return answers.pop(0)

    panel = JobsPanel(service, settings, confirm=confirm)
    qtbot.addWidget(panel)
    panel.select_job("j1")
    assert not panel.delete_selected() and panel.model.rowCount() == 4
    assert "keep running there" in asked[0]  # a running job: the run itself is not stopped
    assert panel.delete_selected() and panel.model.rowCount() == 3 and service.get("j1") is None
    service.tracker.store.close()


def test_result_dialog_copies_and_saves_the_stored_output(tmp_path: Path, qtbot: Any) -> None:
    job = _jobs()[3]
    target = tmp_path / "out.json"
    dialog = JobResultDialog(job, save_path=lambda _w, suggested: str(target))
    qtbot.addWidget(dialog)
    item = dialog.tree.topLevelItem(0)
    assert dialog.tree.isVisibleTo(dialog) and item is not None and item.text(1) == "42"
    dialog.copy()
    copied = json.loads(QGuiApplication.clipboard().text())
    assert copied["output"] == {"answer": 42} and copied["runId"] == "run-4"
    assert dialog.save() == target and json.loads(target.read_text())["status"] == "completed"
    failed = JobResultDialog(_jobs()[2])
    qtbot.addWidget(failed)
    assert failed.error_label.text() == "HTTP 1: 502 from upstream" and failed.empty.isVisibleTo(failed)


def test_resume_dialog_form_and_json(qtbot: Any) -> None:
    dialog = ResumeDialog(_jobs()[1])
    qtbot.addWidget(dialog)
    assert dialog.message.text() == "Approve?" and set(dialog.fields) == {"approved", "comment"}
    dialog.fields["approved"].setText("true")
    dialog.fields["comment"].setText("looks fine")
    assert dialog.value() == {"approved": True, "comment": "looks fine"}
    dialog.as_json.setChecked(True)
    assert json.loads(dialog.editor.toPlainText()) == {"approved": True, "comment": "looks fine"}
    dialog.editor.setPlainText("[1, 2]")
    ok = dialog.buttons.button(dialog.buttons.StandardButton.Ok)
    assert not ok.isEnabled() and "JSON object" in dialog.problem.text()
    dialog.editor.setPlainText("{oops")
    assert not ok.isEnabled() and "Not valid JSON" in dialog.problem.text()
    assert parse_field("42") == 42 and parse_field("hello") == "hello"


def test_badges_have_a_distinct_shape_word_and_colour_per_status(offline_panel: JobsPanel, qtbot: Any) -> None:
    assert len(set(SHAPES.values())) == len(JobStatus)
    palette = QApplication.palette()
    assert len({status_color(s, palette).name() for s in JobStatus}) == len(JobStatus)
    offline_panel.resize(900, 300)
    offline_panel.show()
    qtbot.waitExposed(offline_panel)
    image: QImage = offline_panel.table.viewport().grab().toImage()
    rect = offline_panel.table.visualRect(offline_panel.proxy.index(0, Column.STATUS))
    colors = {image.pixelColor(x, rect.center().y()).name() for x in range(rect.left(), rect.right())}
    assert len(colors) > 3  # something was painted in the status cell (badge outline, glyph, text)
    assert palette.color(QPalette.ColorRole.Base).name() in colors


def test_panel_actions_against_the_sandbox(svc: ServiceRig, arun: Any, qtbot: Any) -> None:
    service = svc.service
    arun(service.begin())
    panel = JobsPanel(
        service, svc.settings, profiles=lambda: [PROFILE], active_profile=lambda: PROFILE, confirm=lambda *_: True
    )  # Cancel asks first: say yes
    qtbot.addWidget(panel)
    long = arun(service.start(PROFILE, SLOW_ID, {"minutes": 60}))
    paused = arun(service.start(PROFILE, APPROVAL_ID, {"amount": 7}))
    svc.drive(arun, 5)
    assert panel.model.rowCount() == 2
    panel.select_job(long.id)
    panel.cancel_action.trigger()
    qtbot.waitUntil(lambda: svc.sb.state.runs[long.run_id].forced_status == "cancelled")
    svc.drive(arun, 5)
    assert panel.model.jobs()[panel.model.row_of(long.id)].status is JobStatus.CANCELLED  # type: ignore[index]
    with qtbot.waitSignal(panel.dialog_opened) as opened:
        panel.show_job(paused.id)  # what clicking its notification does
    dialog = opened.args[0]
    assert isinstance(dialog, ResumeDialog)
    dialog.editor.setPlainText('{"approved": true, "comment": "ok"}')
    with qtbot.waitSignal(service.info, timeout=5000):
        dialog.accept()
    svc.drive(arun, 5)
    statuses = {j.status for j in panel.model.jobs()}
    assert panel.model.rowCount() == 3 and JobStatus.COMPLETED in statuses
    receipt = arun(svc.client.execute_async(ECHO_ID, {"from": "web"}))
    with qtbot.waitSignal(panel.dialog_opened) as opened:
        panel.adopt_action.trigger()
    adopt = opened.args[0]
    adopt.workflow.setText(ECHO_ID)
    adopt.run.setText(receipt.run_id)
    with qtbot.waitSignal(service.info, timeout=5000):
        adopt.accept()
    assert panel.model.row_of(service.tracker.store.find(PROFILE, receipt.run_id).id) is not None  # type: ignore[union-attr]


def test_hold_banner_explains_and_offers_a_retry_except_for_retry_after(offline_panel: JobsPanel) -> None:
    from simdesk.core.scheduler import Hold

    service = offline_panel.service
    service._held("Demo", Hold(NOW + 30, "Rate limited by Sim: slow down", "rate"))
    assert offline_panel.hold_banner.isVisibleTo(offline_panel)
    assert "Checking again in 30 s" in offline_panel.hold_label.text()
    assert not offline_panel.hold_retry.isVisibleTo(offline_panel)
    service._held("Work", Hold(NOW + 300, "Your API key was rejected.", "problem"))
    assert offline_panel.hold_retry.isVisibleTo(offline_panel) and "“Work”" in offline_panel.hold_label.text()
    service._held("Demo", None)
    service._held("Work", None)
    assert not offline_panel.hold_banner.isVisibleTo(offline_panel)


def test_the_table_sorts_and_the_model_passes_qtmodeltester(offline_panel: JobsPanel, qtmodeltester: Any) -> None:
    offline_panel.table.sortByColumn(Column.STATUS, Qt.SortOrder.AscendingOrder)
    order = [offline_panel.proxy.job(offline_panel.proxy.index(r, 0)).status for r in range(4)]  # type: ignore[union-attr]
    assert order == [JobStatus.RUNNING, JobStatus.PAUSED, JobStatus.COMPLETED, JobStatus.FAILED]
    qtmodeltester.check(offline_panel.proxy)
