"""The main window laid out at common screen sizes, with its docks rearranged and restored: no
widget of one dock overlaps another dock's, every button and label sits wholly inside its dock,
and no count or status a person reads is cut off."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QApplication,
    QDockWidget,
    QLabel,
    QWidget,
)

from simdesk.app import AppContext
from simdesk.core.paths import AppPaths
from simdesk.sandbox.server import RunningSandbox
from simdesk.ui.main_window import MainWindow

SIZES = [(1024, 600), (1024, 700), (1280, 720), (1366, 768), (1920, 1080), (2560, 1440)]
MakeApp = Callable[..., AppContext]


def _in_window(widget: QWidget, window: QWidget) -> QRect:
    return QRect(widget.mapTo(window, widget.rect().topLeft()), widget.size())


def _scrolled(widget: QWidget, dock: QDockWidget) -> bool:
    """Inside a scroll area's viewport (clipped by scrolling, not by the dock)."""
    parent = widget.parentWidget()
    while parent is not None and parent is not dock:
        grand = parent.parentWidget()
        if isinstance(grand, QAbstractScrollArea) and parent is grand.viewport():
            return True
        parent = grand
    return False


def _visible(root: QWidget | None) -> list[QWidget]:
    if root is None:
        return []
    found = [root, *root.findChildren(QWidget)]
    # a collapsed splitter pane is moved out of sight, still "visible": what counts is what shows
    return [w for w in found if w.isVisible() and not w.isWindow() and not w.visibleRegion().isEmpty()]


def _shown(dock: QDockWidget) -> list[QWidget]:
    """The dock's content widgets placed by the dock (those scrolled inside a view are clipped by it)."""
    return [w for w in _visible(dock.widget()) if not _scrolled(w, dock)]


def _cut(label: QLabel) -> bool:
    """A one-line label whose text is wider than the label."""
    text = label.text()
    if not text or label.wordWrap() or label.textFormat() == Qt.TextFormat.RichText or "<" in text:
        return False
    room = label.contentsRect().width() - 2 * label.margin() - max(0, label.indent())
    return max(label.fontMetrics().horizontalAdvance(line) for line in text.split("\n")) > room


def layout_problems(window: MainWindow) -> list[str]:
    problems: list[str] = []
    docks = [d for d in window.findChildren(QDockWidget) if d.isVisible() and not d.isFloating()]
    shown = {d.objectName(): [(w, _in_window(w, window)) for w in _shown(d)] for d in docks}
    for dock in docks:
        area = _in_window(dock, window)
        for widget, rect in shown[dock.objectName()]:
            name = f"{dock.objectName()}/{type(widget).__name__}({widget.objectName()!r})"
            if isinstance(widget, QAbstractButton | QLabel) and not area.contains(rect):
                problems.append(f"{name} {rect.getRect()} outside its dock {area.getRect()}")
    for widget in [w for d in docks for w in _visible(d.widget())] + _visible(window.statusBar()):
        if isinstance(widget, QLabel) and _cut(widget):
            problems.append(f"{widget.objectName() or 'label'} cut: {widget.width()} px for {widget.text()!r}")
    for i, a in enumerate(docks):
        for b in docks[i + 1 :]:
            for wa, ra in shown[a.objectName()]:
                for wb, rb in shown[b.objectName()]:
                    if ra.intersects(rb):
                        problems.append(
                            f"{a.objectName()}/{type(wa).__name__} {ra.getRect()} overlaps "
                            f"{b.objectName()}/{type(wb).__name__} {rb.getRect()}"
                        )
    return problems


@pytest.fixture
def full_app(
    qtbot: Any, make_app: MakeApp, app_paths: AppPaths, sandbox: RunningSandbox, memory_keyring: Any
) -> AppContext:
    """The whole app on the demo sandbox: every panel installed and filled, a workflow open."""
    from simdesk.sandbox import demo

    ctx = make_app(app_paths)
    ctx.install_after_paint()
    assert ctx.usage is not None and ctx.jobs is not None and ctx.workbench is not None
    ctx.profiles.use_demo(sandbox.base_url, sandbox.api_key)
    bench = ctx.workbench
    qtbot.waitUntil(lambda: ctx.usage is not None and ctx.usage.service is not None, timeout=5000)
    qtbot.waitUntil(lambda: ctx.usage.service.state.refreshed_at is not None, timeout=5000)  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: bench.panel.select(demo.STORY_ID), timeout=10_000)
    with qtbot.waitSignal(bench.catalogue.workflow_loaded, timeout=10_000):
        bench.console.open_workflow(demo.STORY_ID)
    bench.console.options.set_options({"mode": "stream", "selectedOutputs": ["Storyteller.content"]})
    with qtbot.waitSignal(bench.runs.finished, timeout=10_000):  # a streamed run: transcript and figures
        assert bench.console.run()
    with qtbot.waitSignal(bench.catalogue.workflow_loaded, timeout=10_000):
        bench.console.open_workflow(demo.ECHO_ID)
    bench.console.options.set_mode("sync")
    with qtbot.waitSignal(bench.runs.finished, timeout=10_000):  # a sync run: the output as a tree
        assert bench.console.run()
    assert not bench.console.result.tree.isHidden()
    ctx.window.show()
    qtbot.waitExposed(ctx.window)
    return ctx


def _lay_out(qtbot: Any, window: MainWindow, width: int, height: int) -> None:
    least = window.minimumSizeHint()
    assert least.width() <= width and least.height() <= height, f"the window needs {least.toTuple()}"
    window.resize(width, height)
    qtbot.waitUntil(lambda: (window.width(), window.height()) == (width, height), timeout=3000)
    QApplication.processEvents()


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_nothing_overlaps_or_is_cut_at_common_sizes(qtbot: Any, full_app: AppContext, size: tuple[int, int]) -> None:
    window = full_app.window
    _lay_out(qtbot, window, *size)
    assert layout_problems(window) == []


@pytest.mark.parametrize("size", [(1024, 600), (1366, 768)], ids=["1024x600", "1366x768"])
def test_rearranged_maximised_and_restored_docks_still_fit(
    qtbot: Any, full_app: AppContext, size: tuple[int, int]
) -> None:
    window = full_app.window
    _lay_out(qtbot, window, *size)
    # Jobs under Workflows on the left, Usage as a tab of the console
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, window.dock("jobsPanel"))
    window.tabifyDockWidget(window.dock("runConsole"), window.dock("usageMeter"))
    _lay_out(qtbot, window, *size)
    assert layout_problems(window) == []
    window.dock("usageMeter").raise_()
    QApplication.processEvents()
    assert layout_problems(window) == []

    window.showMaximized()
    QApplication.processEvents()
    window.showNormal()
    _lay_out(qtbot, window, *size)
    assert layout_problems(window) == []

    window.reset_layout()
    _lay_out(qtbot, window, *size)
    assert layout_problems(window) == []
