"""Scrolling the Usage panel with the wheel never changes a setting (it changed "Refresh every"
from 60 to 55 s): an unfocused spin box or combo box passes the wheel to the panel's scroll area."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QComboBox, QScrollArea, QSpinBox, QWidget

from simdesk.app import AppContext
from simdesk.core.paths import AppPaths
from simdesk.sandbox.server import RunningSandbox
from simdesk.ui.usage_meter.panel import UsageMeterPanel
from tests.usage.test_usage_install import started

MakeApp = Callable[..., AppContext]


def _wheel(widget: QWidget, notches: int) -> None:
    """One wheel turn over the middle of ``widget``, as the mouse sends it."""
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(
        centre, QPointF(widget.mapToGlobal(centre.toPoint())), QPoint(0, 0), QPoint(0, 120 * notches),
        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False,
    )  # fmt: skip
    QApplication.sendEvent(widget, event)


def test_the_wheel_scrolls_the_usage_panel_and_changes_no_setting(
    qtbot: Any, make_app: MakeApp, app_paths: AppPaths, sandbox: RunningSandbox, memory_keyring: Any
) -> None:
    ctx = started(qtbot, make_app, app_paths, sandbox)
    ctx.window.resize(1024, 600)
    ctx.window.show()
    qtbot.waitExposed(ctx.window)
    panel = ctx.window.dock("usageMeter").widget()
    assert isinstance(panel, UsageMeterPanel)
    interval = panel.findChild(QSpinBox, "usageInterval")
    ranges = panel.findChild(QComboBox, "usageRange")
    assert interval is not None and ranges is not None
    scroll = next(a for a in panel.findChildren(QScrollArea) if a.isAncestorOf(interval))
    scroll.setFixedHeight(120)  # short enough that the panel scrolls
    qtbot.waitUntil(lambda: scroll.verticalScrollBar().maximum() > 0, timeout=3000)
    interval.clearFocus()
    before, index = interval.value(), ranges.currentIndex()
    assert not interval.hasFocus()
    scroll.verticalScrollBar().setValue(scroll.verticalScrollBar().maximum())
    at = scroll.verticalScrollBar().value()

    _wheel(interval, 1)
    _wheel(ranges, 1)
    assert interval.value() == before and ranges.currentIndex() == index
    assert scroll.verticalScrollBar().value() < at  # the panel scrolled instead
    assert interval.focusPolicy() == Qt.FocusPolicy.StrongFocus  # the wheel does not focus it either

    interval.setFocus()  # clicked or tabbed into: the wheel is the user's intent
    qtbot.waitUntil(interval.hasFocus, timeout=3000)
    _wheel(interval, 1)
    assert interval.value() == before + interval.singleStep()
