"""The workflows browser and the run console in the composed app: docks, the active profile,
F5, and "Run in background" handed to the job tracker."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
from PySide6.QtCore import QCoreApplication, QEvent

from simdesk.app import AppContext, compose
from simdesk.core.paths import AppPaths
from simdesk.sandbox import demo
from simdesk.sandbox.server import RunningSandbox
from simdesk.services.run_modes import RunRequest
from tests.app.conftest import MemoryKeyring


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
    ctx.install_jobs()  # before the workbench, as after the first paint
    ctx.install_workbench()
    bench = ctx.workbench
    assert bench is not None and ctx.jobs is not None
    qtbot.waitUntil(lambda: bool(bench.catalogue.snapshot.contents), timeout=10_000)
    request = RunRequest(bench.runs.profile, demo.ECHO_ID, "Echo", "async", {"message": "bg"})
    with qtbot.waitSignal(bench.runs.finished, timeout=10_000) as done:
        assert bench.runs.start(request)
    outcome = done.args[0]
    assert outcome.status == "background" and outcome.run_id
    qtbot.waitUntil(lambda: any(j.run_id == outcome.run_id for j in ctx.jobs.service.jobs()), timeout=5000)
