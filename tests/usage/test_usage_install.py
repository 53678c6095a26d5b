"""The meter in the composed app: dock, status bar, one budget per profile, pausing, warnings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QApplication

from simdesk.app import AppContext
from simdesk.core.paths import AppPaths
from simdesk.sandbox.server import RunningSandbox
from simdesk.services.usage import SPEND_WARNINGS
from simdesk.ui.placeholder import PanelPlaceholder
from simdesk.ui.usage_meter.panel import UsageMeterPanel

MakeApp = Callable[..., AppContext]


def started(qtbot: Any, make_app: MakeApp, app_paths: AppPaths, sandbox: RunningSandbox) -> AppContext:
    ctx = make_app(app_paths)
    usage = ctx.install_usage()
    ctx.profiles.use_demo(sandbox.base_url, sandbox.api_key)
    service = usage.service
    assert service is not None
    qtbot.waitUntil(lambda: service.state.refreshed_at is not None, timeout=5000)
    return ctx


def test_nothing_is_built_before_the_first_paint(make_app: MakeApp, app_paths: AppPaths, memory_keyring: Any) -> None:
    ctx = make_app(app_paths)
    assert ctx.usage is None and ctx.jobs is None and ctx.workbench is None
    assert isinstance(ctx.window.dock("usageMeter").widget(), PanelPlaceholder)
    assert ctx.window.status.rates.isVisibleTo(ctx.window.status)


def test_the_meter_fills_its_dock_and_the_status_bar(
    qtbot: Any, make_app: MakeApp, app_paths: AppPaths, sandbox: RunningSandbox, memory_keyring: Any
) -> None:
    ctx = started(qtbot, make_app, app_paths, sandbox)
    assert ctx.usage is not None
    panel = ctx.window.dock("usageMeter").widget()
    assert isinstance(panel, UsageMeterPanel)
    assert panel.profile_label.text() == "Demo" and panel.plan_label.text() == "free plan"
    summary = ctx.usage.summary
    assert summary is not None
    assert summary.isVisibleTo(ctx.window.status) and not ctx.window.status.rates.isVisibleTo(ctx.window.status)
    assert summary.text().startswith("● ")
    client = ctx.pool.cached("Demo")
    assert client is not None and client.budget is not None  # one budget per profile, shared by all panels
    qtbot.waitUntil(lambda: ctx.usage is not None and ctx.usage.history is not None, timeout=3000)
    assert (app_paths.data / "usage.sqlite").exists()


def test_minimising_pauses_the_refresh(
    qtbot: Any, make_app: MakeApp, app_paths: AppPaths, sandbox: RunningSandbox, memory_keyring: Any
) -> None:
    ctx = started(qtbot, make_app, app_paths, sandbox)
    assert ctx.usage is not None
    service = ctx.usage.service
    assert service is not None
    ctx.window.setWindowState(Qt.WindowState.WindowMinimized)
    QApplication.sendEvent(ctx.window, QEvent(QEvent.Type.WindowStateChange))
    assert service.paused
    ctx.window.setWindowState(Qt.WindowState.WindowNoState)
    with qtbot.waitSignal(service.refreshing, timeout=3000):
        QApplication.sendEvent(ctx.window, QEvent(QEvent.Type.WindowStateChange))
    assert not service.paused


def test_warning_lines_are_saved_and_warnings_reach_the_user(
    qtbot: Any, make_app: MakeApp, app_paths: AppPaths, sandbox: RunningSandbox, memory_keyring: Any
) -> None:
    sandbox.state.set_cost(0.81 * 20)
    ctx = make_app(app_paths)
    usage = ctx.install_usage()
    with qtbot.waitSignal(ctx.messages.info, check_params_cb=lambda text: "$16.20 of $20.00" in text, timeout=5000):
        ctx.profiles.use_demo(sandbox.base_url, sandbox.api_key)
    assert usage.service is not None
    usage.service.set_thresholds(spend_levels=(0.25, 0.9))
    assert ctx.settings.get(SPEND_WARNINGS) == "25, 90"


def test_after_the_first_paint_the_job_tracker_lends_the_meter_its_tray(
    qtbot: Any, make_app: MakeApp, app_paths: AppPaths, sandbox: RunningSandbox, memory_keyring: Any
) -> None:
    ctx = make_app(app_paths)
    assert isinstance(ctx.window.dock("jobsPanel").widget(), PanelPlaceholder)
    ctx.install_after_paint()  # what run_app does once the window is painted
    assert ctx.jobs is not None and ctx.window.dock("jobsPanel").widget() is ctx.jobs.panel
    assert ctx.usage is not None and ctx.workbench is not None
    tray = ctx.jobs.tray.tray
    assert ctx.usage.tray is tray
    ctx.profiles.use_demo(sandbox.base_url, sandbox.api_key)
    qtbot.waitUntil(lambda: "— usage —" in tray.toolTip(), timeout=5000)
    assert tray.toolTip().startswith("simdesk — no runs active")
    bench = ctx.workbench
    # the workbench follows the same profile; let its first load end before the app quits
    qtbot.waitUntil(lambda: bool(bench.catalogue.snapshot.contents) and not bench.catalogue.busy, timeout=10_000)
