"""The workflows browser and the run console in the composed app: docks, the active profile,
F5, "Run in background" handed to the job tracker, and the chosen workspace kept per profile
across a restart, a rename and a removal."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
from PySide6.QtCore import QCoreApplication, QEvent, Qt

from simdesk.app import AppContext, compose
from simdesk.app.workbench import Workbench
from simdesk.core.paths import AppPaths
from simdesk.core.profiles import Profile
from simdesk.sandbox import demo
from simdesk.sandbox.server import RunningSandbox
from simdesk.services.run_modes import RunRequest
from tests.support.app import MemoryKeyring, shut_down


@pytest.fixture
def app_ctx(qapp: Any, qloop: Any, arun: Any, tmp_path: Path, sandbox: RunningSandbox) -> Iterator[AppContext]:
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    ctx = compose(qapp, AppPaths.under(tmp_path / "data").ensure())
    ctx.start(environ={"SIM_API_KEY": sandbox.api_key, "SIM_BASE_URL": sandbox.base_url}, check=False)
    try:
        yield ctx
    finally:
        arun(ctx.shutdown(), timeout=10_000)
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        keyring.set_keyring(previous)


def test_panels_fill_their_docks_and_follow_the_active_profile(app_ctx: AppContext, qtbot: Any) -> None:
    ctx = app_ctx
    ctx.install_workbench()
    bench = ctx.workbench
    assert bench is not None
    assert ctx.window.dock("workflowsPanel").widget() is bench.panel
    assert ctx.window.dock("runConsole").widget() is bench.console
    qtbot.waitUntil(lambda: "Echo" in bench.panel.visible_workflows(), timeout=10_000)
    assert bench.runs.profile == ctx.profiles.active_name()
    with qtbot.waitSignal(bench.catalogue.loading_changed, timeout=5000):
        ctx.window.refresh()  # F5 refreshes the catalogue too


def test_run_in_background_goes_to_the_job_tracker(app_ctx: AppContext, qtbot: Any) -> None:
    ctx = app_ctx
    jobs = ctx.install_jobs()
    bench = ctx.install_workbench(jobs=jobs.service)
    qtbot.waitUntil(lambda: bool(bench.catalogue.snapshot.contents), timeout=10_000)
    request = RunRequest(bench.runs.profile, demo.ECHO_ID, "Echo", "async", {"message": "bg"})
    with qtbot.waitSignal(bench.runs.finished, timeout=10_000) as done:
        assert bench.runs.start(request)
    outcome = done.args[0]
    assert outcome.status == "background" and outcome.run_id
    qtbot.waitUntil(lambda: any(j.run_id == outcome.run_id for j in jobs.service.jobs()), timeout=5000)


@pytest.fixture
def launch(qapp: Any, qloop: Any, arun: Any) -> Iterator[Callable[[AppPaths], AppContext]]:
    """``launch(paths)`` → the app started on ``paths`` (saved profiles only, no connection check),
    with the workbench installed; every one still running is shut down after the test. One
    in-memory keyring serves them all, as the system's would across restarts."""
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    running: list[AppContext] = []

    def start(paths: AppPaths) -> AppContext:
        ctx = compose(qapp, paths)
        ctx.start(environ={}, check=False)
        ctx.install_workbench()
        running.append(ctx)
        return ctx

    try:
        yield start
    finally:
        for ctx in running:
            shut_down(ctx, arun)
        keyring.set_keyring(previous)


def _bench(ctx: AppContext) -> Workbench:
    assert ctx.workbench is not None
    return ctx.workbench


def _refreshed(qtbot: Any, bench: Workbench) -> None:
    qtbot.waitUntil(lambda: not bench.catalogue.snapshot.cached and not bench.catalogue.busy, timeout=10_000)


def _save(qtbot: Any, ctx: AppContext, profile: Profile, key: str | None, replacing: str | None = None) -> None:
    with qtbot.waitSignal(ctx.profiles.saved, timeout=5000):
        ctx.profiles.save(profile, key, replacing)


def _choose_team_ops(qtbot: Any, bench: Workbench) -> None:
    box = bench.panel.workspaces
    assert box.itemText(box.currentIndex() + 1) == "Team Ops"
    with qtbot.waitSignal(bench.catalogue.loading_changed, check_params_cb=lambda busy: not busy, timeout=10_000):
        qtbot.keyClick(box, Qt.Key.Key_Down)


def _work_on_team_ops(qtbot: Any, ctx: AppContext, sandbox: RunningSandbox) -> tuple[Workbench, Profile]:
    """A saved, active profile "Work" on which the user picked Team Ops."""
    bench = _bench(ctx)
    work = Profile.create("Work", sandbox.base_url)
    _save(qtbot, ctx, work, sandbox.api_key)
    ctx.profiles.set_active("Work")
    _refreshed(qtbot, bench)
    _choose_team_ops(qtbot, bench)
    return bench, work


def test_the_chosen_workspace_is_reopened_after_a_restart(
    launch: Callable[[AppPaths], AppContext], qtbot: Any, arun: Any, tmp_path: Path, sandbox: RunningSandbox
) -> None:
    paths = AppPaths.under(tmp_path / "data").ensure()
    ctx = launch(paths)
    _work_on_team_ops(qtbot, ctx, sandbox)
    shut_down(ctx, arun)  # settings synced, stores closed

    again = launch(paths)  # the workbench shows the cached catalogue as it is installed
    bench = _bench(again)
    assert (again.profiles.active_name(), bench.catalogue.snapshot.cached) == ("Work", True)
    assert (bench.panel.workspaces.currentText(), bench.panel.visible_workflows()) == ("Team Ops", ["Ticket Triage"])
    _refreshed(qtbot, bench)
    assert bench.panel.workspaces.currentText() == "Team Ops"


def test_the_choice_follows_a_renamed_profile_and_goes_with_a_removed_one(
    launch: Callable[[AppPaths], AppContext], qtbot: Any, tmp_path: Path, sandbox: RunningSandbox
) -> None:
    ctx = launch(AppPaths.under(tmp_path / "data").ensure())
    bench, work = _work_on_team_ops(qtbot, ctx, sandbox)

    _save(qtbot, ctx, dataclasses.replace(work, name="Renamed"), None, replacing="Work")
    assert ctx.profiles.active_name() == "Renamed"
    _refreshed(qtbot, bench)  # nothing cached under the new name: straight from the server
    assert bench.panel.workspaces.currentText() == "Team Ops"
    assert bench.catalogue.memory.get("Work") is None

    _save(qtbot, ctx, Profile.create("Other", sandbox.base_url), sandbox.api_key)
    with qtbot.waitSignal(ctx.profiles.removed, timeout=5000):
        ctx.profiles.remove("Renamed")
    assert bench.catalogue.memory.get("Renamed") is None
    # a new profile given the freed name (another server, say) starts on its own first workspace
    _save(qtbot, ctx, Profile.create("Renamed", sandbox.base_url), sandbox.api_key)
    ctx.profiles.set_active("Renamed")
    _refreshed(qtbot, bench)
    assert bench.panel.workspaces.currentText() == "Demo Workspace"


def test_a_new_default_workspace_outranks_the_last_pick(
    launch: Callable[[AppPaths], AppContext], qtbot: Any, tmp_path: Path, sandbox: RunningSandbox
) -> None:
    ctx = launch(AppPaths.under(tmp_path / "data").ensure())
    bench, work = _work_on_team_ops(qtbot, ctx, sandbox)
    assert bench.catalogue.memory.get("Work") == demo.WS_TEAM

    _save(qtbot, ctx, work, None, replacing="Work")  # saved again, same default: the pick stays
    assert bench.catalogue.memory.get("Work") == demo.WS_TEAM
    with qtbot.waitSignal(ctx.profiles.default_workspace_changed, timeout=5000):
        _save(qtbot, ctx, dataclasses.replace(work, default_workspace_id=demo.WS_DEMO), None, replacing="Work")
    assert bench.catalogue.memory.get("Work") is None
    _refreshed(qtbot, bench)
    assert bench.panel.workspaces.currentText() == "Demo Workspace"


@pytest.mark.parametrize("end", ["completed", "cancelled"])
def test_the_console_and_recent_runs_follow_a_background_run_to_its_end(
    app_ctx: AppContext, qtbot: Any, sandbox: RunningSandbox, end: str
) -> None:
    ctx = app_ctx
    jobs = ctx.install_jobs()
    bench = ctx.install_workbench(jobs=jobs.service)
    jobs.begin()
    qtbot.waitUntil(lambda: bench.panel.select(demo.SLOW_ID), timeout=10_000)
    with qtbot.waitSignal(bench.catalogue.workflow_loaded, timeout=10_000):
        bench.console.open_workflow(demo.SLOW_ID)
    bench.console.options.set_mode("async")
    with qtbot.waitSignal(bench.runs.finished, timeout=10_000):
        assert bench.console.run()
    assert bench.console.result.pill.text() == "↻ Running in background"
    qtbot.waitUntil(lambda: bench.panel.recent.item(0).text().startswith("↻ Running in background"), timeout=5000)
    # the clock keeps going while the job runs (it said "0.1 s" for ever)
    with qtbot.waitSignal(bench.runs.progress, timeout=5000, check_params_cb=lambda p: p.running and p.elapsed_s >= 1):
        pass
    job = next(j for j in jobs.service.jobs() if j.run_id == bench.runs.run_id)
    if end == "completed":
        sandbox.clock.advance(400)  # type: ignore[attr-defined]  # the report takes 3 minutes
        jobs.service.request_refresh([job.id])
    else:
        jobs.service.request_cancel([job.id])
    words = {"completed": "✓ Completed", "cancelled": "■ Cancelled"}[end]
    qtbot.waitUntil(lambda: bench.console.result.pill.text() == words, timeout=10_000)
    assert bench.console.timing.text().startswith(words.split()[1])
    qtbot.waitUntil(lambda: bench.panel.recent.item(0).text().startswith(words), timeout=5000)
    record = bench.runs.history.get(bench.runs.header.key)  # type: ignore[union-attr]
    assert record is not None and record.status == end


def test_a_background_run_reopened_from_the_history_is_followed_too(
    app_ctx: AppContext, qtbot: Any, sandbox: RunningSandbox
) -> None:
    ctx = app_ctx
    jobs = ctx.install_jobs()
    bench = ctx.install_workbench(jobs=jobs.service)
    jobs.begin()
    qtbot.waitUntil(lambda: bench.panel.select(demo.SLOW_ID), timeout=10_000)
    for step, workflow_id in enumerate((demo.SLOW_ID, demo.ECHO_ID, demo.SLOW_ID)):  # away and back again
        with qtbot.waitSignal(bench.catalogue.workflow_loaded, timeout=10_000):
            bench.console.open_workflow(workflow_id)
        if step == 0:
            bench.console.options.set_mode("async")
            with qtbot.waitSignal(bench.runs.finished, timeout=10_000):
                assert bench.console.run()
        if step == 1:
            qtbot.waitUntil(lambda: bench.runs.header is None, timeout=5000)
    qtbot.waitUntil(lambda: bench.runs.header is not None and not bench.runs.header.live, timeout=5000)
    assert bench.console.result.pill.text() == "↻ Running in background"
    with qtbot.waitSignal(bench.runs.progress, timeout=5000, check_params_cb=lambda p: p.running):
        pass  # still counting
    job = next(j for j in jobs.service.jobs() if j.run_id == bench.runs.run_id)
    sandbox.clock.advance(400)  # type: ignore[attr-defined]  # the report takes 3 minutes
    jobs.service.request_refresh([job.id])
    qtbot.waitUntil(lambda: bench.console.result.pill.text() == "✓ Completed", timeout=10_000)
    assert bench.console.result.output() is not None


def test_batches_in_the_app_use_the_open_workflow_show_progress_and_open_rows_in_the_console(
    app_ctx: AppContext, qtbot: Any, tmp_path: Path
) -> None:
    from simdesk.ui.batches_panel import BatchesPanel

    ctx = app_ctx
    jobs = ctx.install_jobs()
    ctx.install_batches(ctx.install_workbench(jobs=jobs.service), jobs)  # as after the first paint
    bench, wiring = ctx.workbench, ctx.batches
    assert bench is not None and wiring is not None
    panel = ctx.window.dock("batchesPanel").widget()
    assert isinstance(panel, BatchesPanel) and panel is wiring.panel
    bench.console.open_workflow(demo.ECHO_ID)
    qtbot.waitUntil(lambda: bench.console.workflow is not None, timeout=10_000)
    dialog = panel.new_batch()
    assert dialog is not None and dialog.workflow_id() == demo.ECHO_ID  # the console's workflow
    table = tmp_path / "rows.csv"
    table.write_text("message\n" + "".join(f"hello {i}\n" for i in range(12)))
    qtbot.waitUntil(lambda: dialog.shape is not None, timeout=10_000)
    dialog.set_file(table)
    qtbot.waitUntil(dialog.start_button.isEnabled, timeout=10_000)
    shown: list[str] = []  # what the status bar said while the batch ran (after its own slot)
    wiring.service.progress_changed.connect(
        lambda _p: shown.append(wiring.status.text()) if wiring.status.isVisibleTo(ctx.window.status) else None
    )
    dialog.start_button.click()
    qtbot.waitUntil(lambda: bool(wiring.service.active), timeout=10_000)
    batch_id = wiring.service.active[0].batch_id
    wiring.service.pause(batch_id)  # held for a moment, so the status bar shows it
    qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    assert shown[-1].startswith("Batch ") and shown[-1].split(" ")[1].endswith("/12")
    with qtbot.waitSignal(wiring.service.batch_ended, timeout=20_000):
        wiring.service.resume(batch_id)
    # the end is told: in the status bar when the window is in front, else as a notification
    qtbot.waitUntil(lambda: "Batch finished" in ctx.window.status.message.text(), timeout=5000)
    assert "12 done" in ctx.window.status.message.text()
    qtbot.waitUntil(lambda: not wiring.status.isVisibleTo(ctx.window.status))
    panel.table.selectRow(3)
    assert panel.open_selected()
    qtbot.waitUntil(lambda: bench.console.form.parsed().values.get("message") == "hello 3", timeout=5000)
