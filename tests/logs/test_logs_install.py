"""The logs explorer in the composed app: its dock follows the browser's workspace, and its actions
reach the run console (re-run with the same input) and the job tracker (a run still going)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from simdesk.api import SimClient
from simdesk.app import AppContext
from simdesk.core.logs_query import web_logs_url
from simdesk.core.paths import AppPaths
from simdesk.core.runs import RunStatus
from simdesk.core.usage import LogEntry
from simdesk.sandbox import demo
from simdesk.sandbox.server import RunningSandbox
from simdesk.ui.logs_panel import LogsPanel


@pytest.fixture
def app_ctx(
    make_app: Callable[..., AppContext], app_paths: AppPaths, memory_keyring: Any, seeded: RunningSandbox
) -> AppContext:
    ctx = make_app(app_paths)
    ctx.start(environ={"SIM_API_KEY": seeded.api_key, "SIM_BASE_URL": seeded.base_url}, check=False)
    return ctx


def test_the_logs_dock_follows_the_workspace_and_hands_runs_on(
    app_ctx: AppContext, qtbot: Any, seeded: RunningSandbox, clients: Callable[..., SimClient], arun: Any
) -> None:
    ctx = app_ctx
    jobs = ctx.install_jobs()
    ctx.install_logs(ctx.install_workbench(jobs=jobs.service), jobs)
    assert ctx.logs is not None and ctx.workbench is not None and ctx.jobs is not None
    panel = ctx.window.dock("logsPanel").widget()
    assert isinstance(panel, LogsPanel)
    qtbot.waitUntil(lambda: panel.model.rowCount() >= 100, timeout=15_000)
    assert panel.workspace_id == ctx.workbench.catalogue.workspace_id == demo.WS_DEMO
    assert panel.model.names.get(demo.ECHO_ID) == "Echo"
    qtbot.waitUntil(lambda: (ctx.paths.data / "logs.sqlite3").exists(), timeout=5000)

    console = ctx.workbench.console
    panel.rerun_requested.emit(_echo(), {"message": "again"})
    qtbot.waitUntil(lambda: console.workflow is not None and console.workflow.id == demo.ECHO_ID, timeout=10_000)
    assert console.form.parsed().values.get("message") == "again"
    panel.rerun_requested.emit(_echo(), {"message": "once more"})  # Echo already open: its form takes it
    assert console.form.parsed().values.get("message") == "once more"

    queued = arun(clients(seeded).execute_async(demo.SLOW_ID, {}))  # the manual clock keeps it going
    running = LogEntry(queued.run_id, demo.SLOW_ID, RunStatus.RUNNING, "info", "api", None, None, None, None)
    panel.track_requested.emit(running)  # a run still going becomes a tracked job
    qtbot.waitUntil(lambda: any(j.run_id == queued.run_id for j in ctx.jobs.service.jobs()), timeout=5000)


def _echo() -> LogEntry:
    return LogEntry("seeded-0-000001", demo.ECHO_ID, RunStatus.COMPLETED, "info", "api", None, None, 10.0, 0.01)


def test_open_in_sim_points_at_the_workspace_logs() -> None:
    url = web_logs_url("https://sim.example.com/", "ws 1", "run/2")
    assert url == "https://sim.example.com/workspace/ws%201/logs?executionId=run%2F2"
