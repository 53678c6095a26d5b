"""The main window: docks and placeholders, demo mode against a live sandbox, menus, shortcuts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QAbstractButton, QApplication, QComboBox, QDockWidget, QLabel, QLineEdit, QWidget

from simdesk.app import AppContext
from simdesk.core.paths import AppPaths
from simdesk.core.profiles import DEMO_PROFILE
from simdesk.ui.main_window import ON_DEMAND_PANELS, PANEL_NAMES, PANELS
from simdesk.ui.placeholder import PanelPlaceholder
from tests.support.app import files_containing

MakeApp = Callable[..., AppContext]


def activate(qtbot: Any, window: QWidget) -> None:
    """Make ``window`` the active window (shortcuts and focus need one)."""
    window.windowHandle().requestActivate()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)


def test_window_has_the_five_panels_with_placeholders(make_app: MakeApp, app_paths: AppPaths, qtbot: Any) -> None:
    ctx = make_app(app_paths)
    ctx.start(environ={})
    qtbot.waitUntil(lambda: ctx.window.windowHandle().isExposed())
    assert PANEL_NAMES == (
        "workflowsPanel", "runConsole", "jobsPanel", "usageMeter", "logsPanel", "knowledgePanel", "workspacePanel",
        "batchesPanel",
    )  # fmt: skip
    for name in PANEL_NAMES:
        dock = ctx.window.findChild(QDockWidget, name)
        assert dock is not None and dock.widget() is not None
        if name in ON_DEMAND_PANELS:  # hidden until asked for, then a tab behind the console
            assert not dock.isVisible()
            ctx.window.focus_panel(name)
            assert dock.isVisible() and dock in ctx.window.tabifiedDockWidgets(ctx.window.dock("runConsole"))
        else:
            assert dock.isVisible() or ctx.window.tabifiedDockWidgets(dock)  # batches: a tab behind the usage meter
    # A panel whose issue has not landed yet shows a placeholder saying what will appear there.
    placeholder = PanelPlaceholder("Workflows", PANELS[0].hint, PANELS[0].icon)
    try:
        hint = placeholder.findChild(QLabel, "placeholderHint")
        assert hint is not None and hint.text().startswith("Workflows appear here")
        assert placeholder.accessibleName() == "Workflows"
    finally:
        placeholder.deleteLater()
    # No profile yet: the status bar says so instead of pretending to be connected.
    assert ctx.window.status.profile.text.text() == "No profile"
    assert ctx.window.status.connection_state() == "unknown"


def test_set_panel_replaces_the_placeholder(make_app: MakeApp, app_paths: AppPaths, qtbot: Any) -> None:
    ctx = make_app(app_paths)
    ctx.start(environ={})
    panel = QLineEdit()
    panel.setObjectName("realPanel")
    ctx.window.set_panel("jobsPanel", panel)
    assert ctx.window.dock("jobsPanel").widget() is panel
    assert panel.accessibleName() == "Jobs"
    activate(qtbot, ctx.window)
    qtbot.keyClick(ctx.window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(panel.hasFocus)


def test_demo_mode_opens_on_a_live_sandbox_and_shows_a_healthy_connection(
    make_app: MakeApp, app_paths: AppPaths, qtbot: Any
) -> None:
    ctx = make_app(app_paths)
    ctx.start(environ={}, restore=False, check=False)
    with qtbot.waitSignal(ctx.connection.status_changed, timeout=20_000) as blocker:
        sandbox = ctx.start_demo()
    name, check = blocker.args
    assert name == DEMO_PROFILE and check.ok, check.message
    assert ctx.profiles.active_name() == DEMO_PROFILE
    running = sandbox.future.result()
    active = ctx.profiles.active()
    assert active is not None and active.base_url == running.base_url
    status = ctx.window.status
    qtbot.waitUntil(lambda: status.connection_state() == "ok")
    assert status.connection.text.text().startswith("Connected")
    assert status.profile.text.text() == DEMO_PROFILE
    assert ctx.window.switcher.currentData() == DEMO_PROFILE
    # The check read the execution buckets: the rate-limit summary is filled in.
    qtbot.waitUntil(lambda: "—" not in status.rates.text())
    assert "runs" in status.rates.text()
    # The demo key lives in memory only: not in the keyring, not in any file.
    assert ctx.secrets.is_session_only(DEMO_PROFILE)
    assert files_containing(app_paths.data.parent, running.api_key) == []


def test_environment_key_gives_a_temporary_profile(
    make_app: MakeApp, app_paths: AppPaths, sandbox: Any, qtbot: Any, memory_keyring: Any
) -> None:
    ctx = make_app(app_paths)
    with qtbot.waitSignal(ctx.connection.status_changed, timeout=10_000) as blocker:
        ctx.start(environ={"SIM_API_KEY": sandbox.api_key, "SIM_BASE_URL": sandbox.base_url})
    assert blocker.args[1].ok
    active = ctx.profiles.active()
    assert active is not None and active.temporary and active.base_url == sandbox.base_url
    assert not app_paths.profiles_file.exists()  # never saved
    assert memory_keyring.store == {}  # and never put in the keyring


def test_unknown_profile_on_the_command_line_is_reported(make_app: MakeApp, app_paths: AppPaths, qtbot: Any) -> None:
    ctx = make_app(app_paths)
    ctx.start(environ={}, profile="Nope")
    assert ctx.window.notice.isVisible()
    assert "Nope" in ctx.window.notice.text.text()


def test_menus_and_shortcuts(make_app: MakeApp, app_paths: AppPaths) -> None:
    ctx = make_app(app_paths)
    ctx.start(environ={})
    window = ctx.window
    titles = [a.text() for a in window.menuBar().actions()]
    assert titles == ["&File", "&View", "&Help"]
    assert window.quit_action.shortcut() == QKeySequence("Ctrl+Q")
    assert window.profiles_action.shortcut() == QKeySequence("Ctrl+,")
    assert window.refresh_action.shortcut() == QKeySequence("F5")
    focus_keys = sorted(a.shortcut().toString() for a in window.actions() if a.text().startswith("Go to "))
    assert focus_keys == [f"Ctrl+{n}" for n in range(1, len(PANELS) + 1)]


@pytest.mark.parametrize(("key", "panel"), [(Qt.Key.Key_1, "workflowsPanel"), (Qt.Key.Key_4, "usageMeter")])
def test_ctrl_number_focuses_a_panel(
    make_app: MakeApp, app_paths: AppPaths, qtbot: Any, key: Qt.Key, panel: str
) -> None:
    ctx = make_app(app_paths)
    ctx.start(environ={})
    ctx.window.dock(panel).hide()
    activate(qtbot, ctx.window)
    qtbot.keyClick(ctx.window, key, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: ctx.window.dock(panel).widget().hasFocus())
    assert ctx.window.dock(panel).isVisible()


def _interactive(root: QWidget) -> list[QWidget]:
    kinds = (QAbstractButton, QLineEdit, QComboBox, QDockWidget)
    return [w for w in root.findChildren(QWidget) if isinstance(w, kinds) and not type(w).__name__.startswith("_")]


def test_every_interactive_widget_has_an_accessible_name(make_app: MakeApp, app_paths: AppPaths, qtbot: Any) -> None:
    ctx = make_app(app_paths)
    ctx.start(environ={})
    dialog = ctx.window.open_profiles()
    window = ctx.window
    # The shell's own parts; each panel's tests check the panel.
    roots = [window.toolbar, window.notice, window.status, window.menuBar(), dialog]
    roots += [d for d in (window.dock(n) for n in PANEL_NAMES) if isinstance(d.widget(), PanelPlaceholder)]
    unnamed = []
    for root in roots:
        for widget in [root, *_interactive(root)] if isinstance(root, QDockWidget) else _interactive(root):
            text = widget.text() if isinstance(widget, QAbstractButton) else ""
            action_text = ""
            if hasattr(widget, "defaultAction") and widget.defaultAction() is not None:
                action_text = widget.defaultAction().text()
            if widget.objectName().startswith("qt_"):
                continue  # Qt's own title-bar and overflow buttons carry built-in accessible names
            if not (widget.accessibleName() or text or action_text):
                unnamed.append(f"{type(widget).__name__}({widget.objectName()!r})")
    assert unnamed == []
    tips = [w for w in _interactive(dialog) if isinstance(w, QLineEdit | QComboBox) and not w.toolTip()]
    assert tips == []


def test_theme_switch_from_the_view_menu_repaints_and_is_remembered(
    make_app: MakeApp, app_paths: AppPaths, qapp: Any
) -> None:
    from simdesk.services.settings import THEME
    from simdesk.ui.theme import DARK, LIGHT

    ctx = make_app(app_paths)
    ctx.start(environ={})
    dark = next(a for a in ctx.window.theme_actions.actions() if a.data() == "dark")
    dark.trigger()
    assert ctx.theme.effective == "dark"
    assert qapp.palette().window().color().name() == DARK.window
    assert ctx.settings.get(THEME) == "dark"
    assert dark.isChecked()
    light = next(a for a in ctx.window.theme_actions.actions() if a.data() == "light")
    light.trigger()
    assert qapp.palette().window().color().name() == LIGHT.window


def test_every_shipped_icon_renders(qapp: Any) -> None:
    from PySide6.QtCore import QSize

    from simdesk.core.paths import APP_ID
    from simdesk.ui.icons import app_icon, icon, icon_names

    names = icon_names()
    assert APP_ID in names and {"workflows", "console", "jobs", "meter", "refresh", "quit"} <= set(names)
    for name in names:
        image = (app_icon() if name == APP_ID else icon(name)).pixmap(QSize(32, 32)).toImage()
        opaque = sum(1 for x in range(32) for y in range(32) if image.pixelColor(x, y).alpha() > 0)
        assert opaque > 20, f"{name}.svg rendered (almost) nothing"


def test_an_icon_is_rendered_once_per_colour_and_size(qapp: Any) -> None:
    from PySide6.QtCore import QSize

    from simdesk.ui.icons import icon

    first = icon("refresh", "#112233").pixmap(QSize(20, 20))
    again = icon("refresh", "#112233").pixmap(QSize(20, 20))
    assert again.cacheKey() == first.cacheKey()  # the same pixmap, from QPixmapCache
    recoloured = icon("refresh", "#aa0000").pixmap(QSize(20, 20))  # a theme switch re-renders
    assert recoloured.cacheKey() != first.cacheKey() and recoloured.toImage() != first.toImage()
