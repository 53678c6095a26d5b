"""The main window: docks for the panels, toolbar with the profile switcher, menus, status bar.

It composes what :mod:`simdesk.app` injects and owns no business logic: it forwards user actions to
service slots and shows what service signals report. Panels are installed later with
:meth:`MainWindow.set_panel`; until then each dock shows a placeholder.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QByteArray, QSize, Qt, QUrl, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QDialog, QDockWidget, QMainWindow, QToolBar, QWidget

from simdesk.core.paths import AppPaths
from simdesk.core.profiles import Profile
from simdesk.services.connection import ConnectionService
from simdesk.services.messages import MessageBus
from simdesk.services.profiles import ProfileService
from simdesk.services.settings import (
    THEME,
    WINDOW_GEOMETRY,
    WINDOW_STATE,
    WINDOW_STATE_VERSION,
    Settings,
    as_bytes,
)
from simdesk.ui.icons import app_icon, icon
from simdesk.ui.notice_bar import NoticeBar
from simdesk.ui.placeholder import PanelPlaceholder
from simdesk.ui.profile_switcher import ProfileSwitcher
from simdesk.ui.status_bar import MainStatusBar
from simdesk.ui.theme import ThemeController, ThemeMode

if TYPE_CHECKING:  # type-only here: dialogs load when first opened, result types with the client
    from simdesk.core.rates import RateLimitState
    from simdesk.core.usage import ConnectionCheck
    from simdesk.ui.about_dialog import AboutDialog
    from simdesk.ui.profile_dialog import ProfileDialog
    from simdesk.ui.session_key_dialog import SessionKeyDialog

log = logging.getLogger("simdesk.ui.main_window")


@dataclass(frozen=True, slots=True)
class PanelSpec:
    """A dock the window always has: its object name, title, icon and placeholder text."""

    object_name: str
    title: str
    icon: str
    hint: str
    area: Qt.DockWidgetArea


PANELS: tuple[PanelSpec, ...] = (
    PanelSpec(
        "workflowsPanel",
        "Workflows",
        "workflows",
        "Workflows appear here once a profile is connected: browse folders, search, and pick one to run.",
        Qt.DockWidgetArea.LeftDockWidgetArea,
    ),
    PanelSpec(
        "runConsole",
        "Run console",
        "console",
        "Runs stream here: each block's output, thinking and tool calls, as they arrive.",
        Qt.DockWidgetArea.RightDockWidgetArea,
    ),
    PanelSpec(
        "jobsPanel",
        "Jobs",
        "jobs",
        "Runs started with “Run in background” are followed here until they finish, even across restarts.",
        Qt.DockWidgetArea.BottomDockWidgetArea,
    ),
    PanelSpec(
        "usageMeter",
        "Usage",
        "meter",
        "Rate limits and usage for the active profile appear here, with time to reset.",
        Qt.DockWidgetArea.BottomDockWidgetArea,
    ),
    PanelSpec(
        "logsPanel",
        "Logs",
        "logs",
        "Every run of a workspace appears here, whoever started it: filter, follow live, open a trace.",
        Qt.DockWidgetArea.RightDockWidgetArea,
    ),
    PanelSpec(
        "knowledgePanel",
        "Knowledge",
        "folder",
        "The workspace's knowledge bases appear here: documents with their tags, and search.",
        Qt.DockWidgetArea.RightDockWidgetArea,
    ),
    PanelSpec(
        "workspacePanel",
        "Workspace",
        "profiles",
        "The workspace's members, your permission level and its MCP servers appear here.",
        Qt.DockWidgetArea.RightDockWidgetArea,
    ),
    PanelSpec(
        "batchesPanel",
        "Batches",
        "batches",
        "Run one workflow over a table of inputs (CSV, JSON Lines…) and follow every row here.",
        Qt.DockWidgetArea.BottomDockWidgetArea,
    ),
)
PANEL_NAMES = tuple(p.object_name for p in PANELS)
# Tabs behind the console that start hidden: their tables, traces and search forms need more height
# than a 1024x600 window leaves beside the console, the jobs and the usage meter. View → Show …,
# their Ctrl+number or Go to … opens them, as a tab behind the console.
ON_DEMAND_PANELS = ("logsPanel", "knowledgePanel", "workspacePanel")


class MainWindow(QMainWindow):
    """The window. Everything it uses is passed in.

    Signals:
        refresh_requested(): F5 / View → Refresh; panels reload, the connection is re-checked.
        quit_requested(): the user asked to quit (Ctrl+Q, or closing the window).
    """

    refresh_requested = Signal()
    quit_requested = Signal()

    def __init__(
        self,
        settings: Settings,
        profiles: ProfileService,
        connection: ConnectionService,
        messages: MessageBus,
        theme: ThemeController,
        paths: AppPaths,
        version: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowTitle("simdesk")
        self.setWindowIcon(app_icon())
        self.setAccessibleName("simdesk")
        self.setDockOptions(
            QMainWindow.DockOption.AnimatedDocks
            | QMainWindow.DockOption.AllowTabbedDocks
            | QMainWindow.DockOption.AllowNestedDocks
        )
        self.resize(1180, 760)
        self._settings = settings
        self._profiles = profiles
        self._connection = connection
        self._messages = messages
        self._theme = theme
        self._paths = paths
        self._version = version
        self._docks: dict[str, QDockWidget] = {}
        self._default_state = QByteArray()
        self.profile_dialog: ProfileDialog | None = None
        self.about_dialog: AboutDialog | None = None
        self.shortcuts_dialog: QDialog | None = None
        self.session_dialog: SessionKeyDialog | None = None
        self._quitting = False

        self.notice = NoticeBar(theme.colors, self)
        self.status = MainStatusBar(theme.colors, self)
        self.setStatusBar(self.status)
        self._build_actions()
        self._build_toolbar()
        self.addToolBarBreak()
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.notice)
        self._build_docks()
        self._build_menus()
        self._default_state = self.saveState(WINDOW_STATE_VERSION)
        self._connect_services()
        self._on_active_changed(profiles.active_name())

    # --- building ----------------------------------------------------------------------------------

    def _action(self, text: str, icon_name: str, tip: str, shortcut: QKeySequence | str | None = None) -> QAction:
        action = QAction(icon(icon_name), text, self) if icon_name else QAction(text, self)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setToolTip(f"{tip} ({QKeySequence(shortcut).toString(QKeySequence.SequenceFormat.NativeText)})")
        return action

    def _build_actions(self) -> None:
        self.profiles_action = self._action("&Profiles…", "profiles", "Add, edit, test or remove profiles", "Ctrl+,")
        self.profiles_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.profiles_action.triggered.connect(self.open_profiles)
        self.import_action = self._action(
            "&Import from sim CLI…", "import", "Import profiles from the official sim CLI; keys go to the keyring"
        )
        self.import_action.triggered.connect(lambda: self._profiles.import_from_cli(False))
        self.quit_action = self._action("&Quit", "quit", "Quit simdesk", "Ctrl+Q")
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.quit_action.triggered.connect(self.request_quit)
        self.refresh_action = self._action("&Refresh", "refresh", "Reload panels and re-check the connection", "F5")
        self.refresh_action.triggered.connect(self.refresh)
        self.test_action = self._action("&Test connection", "connect", "Check the active profile's server and key")
        self.test_action.triggered.connect(self.check_connection)
        self.reset_layout_action = self._action("Reset &layout", "layout", "Put every panel back where it started")
        self.reset_layout_action.triggered.connect(self.reset_layout)
        self.log_folder_action = self._action("Open &log folder", "folder", "Show simdesk's log files")
        self.log_folder_action.triggered.connect(self.open_log_folder)
        self.shortcuts_action = self._action("&Keyboard shortcuts", "info", "Every key simdesk binds")
        self.shortcuts_action.triggered.connect(self.open_shortcuts)
        self.about_action = self._action("&About simdesk", "info", "Version and file locations")
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        self.about_action.triggered.connect(self.open_about)

    def _build_toolbar(self) -> None:
        bar = QToolBar("Main toolbar", self)
        bar.setObjectName("mainToolbar")
        bar.setAccessibleName("Main toolbar")
        bar.setIconSize(QSize(18, 18))
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        bar.setMovable(False)
        self.switcher = ProfileSwitcher(self._profiles, bar)
        bar.addWidget(self.switcher)
        bar.addAction(self.test_action)
        bar.addAction(self.refresh_action)
        bar.addSeparator()
        bar.addAction(self.profiles_action)
        self.toolbar = bar
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)

    def _build_docks(self) -> None:
        for number, spec in enumerate(PANELS, start=1):
            dock = QDockWidget(spec.title, self)
            dock.setObjectName(spec.object_name)
            dock.setAccessibleName(spec.title)
            dock.setFeatures(
                QDockWidget.DockWidgetFeature.DockWidgetMovable
                | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                | QDockWidget.DockWidgetFeature.DockWidgetClosable
            )
            dock.setWidget(PanelPlaceholder(spec.title, spec.hint, spec.icon, dock))
            toggle = dock.toggleViewAction()
            toggle.setText(f"Show {spec.title}")
            toggle.setToolTip(f"Show or hide the {spec.title} panel")
            focus = QAction(icon(spec.icon), f"Go to {spec.title}", self)
            focus.setShortcut(QKeySequence(f"Ctrl+{number}"))
            focus.setToolTip(f"Move the keyboard focus to the {spec.title} panel (Ctrl+{number})")
            focus.triggered.connect(lambda _=False, name=spec.object_name: self.focus_panel(name))
            self.addAction(focus)
            dock.setProperty("focusAction", focus)
            self._docks[spec.object_name] = dock
            self.addDockWidget(spec.area, dock)
        # Workflows on the left, the console filling the rest; jobs and usage (with batches in a tab) below it.
        self.splitDockWidget(self._docks["runConsole"], self._docks["jobsPanel"], Qt.Orientation.Vertical)
        self.splitDockWidget(self._docks["jobsPanel"], self._docks["usageMeter"], Qt.Orientation.Horizontal)
        # batches share the usage meter's place: a tab there costs no height (the jobs are taller)
        self.tabifyDockWidget(self._docks["usageMeter"], self._docks["batchesPanel"])
        self._docks["usageMeter"].raise_()
        self.resizeDocks(
            [self._docks["workflowsPanel"], self._docks["runConsole"]], [320, 860], Qt.Orientation.Horizontal
        )
        self.resizeDocks([self._docks["runConsole"], self._docks["jobsPanel"]], [440, 220], Qt.Orientation.Vertical)
        self.resizeDocks([self._docks["jobsPanel"], self._docks["usageMeter"]], [560, 300], Qt.Orientation.Horizontal)
        # the logs, knowledge and workspace panels share the console's place, as tabs behind it
        for name in ON_DEMAND_PANELS:
            self.tabifyDockWidget(self._docks["runConsole"], self._docks[name])
        self._docks["runConsole"].raise_()
        for name in ON_DEMAND_PANELS:
            self._docks[name].hide()

    def _build_menus(self) -> None:
        menus = self.menuBar()
        menus.setAccessibleName("Menu bar")
        file_menu = menus.addMenu("&File")
        file_menu.addAction(self.profiles_action)
        file_menu.addAction(self.import_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)

        view = menus.addMenu("&View")
        view.addAction(self.refresh_action)
        view.addAction(self.test_action)
        view.addSeparator()
        for dock in self._docks.values():
            view.addAction(dock.toggleViewAction())
        view.addSeparator()
        for dock in self._docks.values():
            view.addAction(dock.property("focusAction"))
        view.addSeparator()
        theme_menu = view.addMenu(icon("theme"), "&Theme")
        self.theme_actions = QActionGroup(self)
        self.theme_actions.setExclusive(True)
        choices = ((ThemeMode.SYSTEM, "Follow &system"), (ThemeMode.LIGHT, "&Light"), (ThemeMode.DARK, "&Dark"))
        for mode, label in choices:
            action = QAction(label, self, checkable=True)
            action.setData(mode.value)
            action.setToolTip(f"Use the {mode.value} theme")
            action.setChecked(self._theme.mode == mode)
            self.theme_actions.addAction(action)
            theme_menu.addAction(action)
        self.theme_actions.triggered.connect(lambda action: self.set_theme(action.data()))
        view.addAction(self.reset_layout_action)

        help_menu = menus.addMenu("&Help")
        help_menu.addAction(self.shortcuts_action)
        help_menu.addAction(self.log_folder_action)
        help_menu.addSeparator()
        help_menu.addAction(self.about_action)

    def _connect_services(self) -> None:
        self._profiles.active_changed.connect(self._on_active_changed)
        self._profiles.profiles_changed.connect(self._on_profiles_changed)
        self._profiles.key_store_unavailable.connect(self._on_import_key_store_unavailable)
        self._profiles.imported.connect(self._messages.send_info)
        self._profiles.failed.connect(self._on_profile_failed)
        self._connection.checking.connect(self._on_checking)
        self._connection.status_changed.connect(self._on_status)
        self._connection.failed.connect(self._on_check_failed)
        self._connection.rate_limit_changed.connect(self._on_rate_limit)
        self._messages.error.connect(self.show_error)
        self._messages.info.connect(self.status.show_news)
        self._theme.changed.connect(self._on_theme_changed)
        for kind, text in self._messages.recent:  # reported before the window existed
            if kind == "error":
                self.show_error(text)

    # --- panels ---------------------------------------------------------------------------------------

    def dock(self, object_name: str) -> QDockWidget:
        """The dock named ``object_name`` (one of :data:`PANEL_NAMES`)."""
        return self._docks[object_name]

    def set_panel(self, object_name: str, widget: QWidget) -> None:
        """Install a real panel in place of the placeholder (the old widget is deleted)."""
        dock = self._docks[object_name]
        old = dock.widget()
        widget.setParent(dock)
        dock.setWidget(widget)
        if widget.accessibleName() == "":
            widget.setAccessibleName(dock.windowTitle())
        if old is not None and old is not widget:
            old.deleteLater()

    def focus_panel(self, object_name: str) -> None:
        """Show the panel, raise it among tabs, and give it the keyboard focus."""
        dock = self._docks[object_name]
        dock.show()
        dock.raise_()
        widget = dock.widget()
        if widget is not None:
            target = widget.focusProxy() or widget
            target.setFocus(Qt.FocusReason.ShortcutFocusReason)

    # --- state --------------------------------------------------------------------------------------------

    def restore_layout(self) -> bool:
        """Restore geometry and dock layout from the last run; False when there was none."""
        geometry = as_bytes(self._settings.get(WINDOW_GEOMETRY))
        state = as_bytes(self._settings.get(WINDOW_STATE))
        restored = False
        # the docks first: the window's minimum size depends on them, and a geometry restored
        # against the default layout's larger minimum would keep the default height
        if not state.isEmpty():
            restored = self.restoreState(state, WINDOW_STATE_VERSION)
        layout = self.layout()
        if layout is not None:  # the minimum follows the restored docks only once the layout re-runs
            layout.activate()
        if not geometry.isEmpty():
            restored = self.restoreGeometry(geometry) and (restored or state.isEmpty())
        # restoreState brings back the notice bar's saved visibility; show it only for a message
        # of this run.
        self.notice.setVisible(bool(self.notice.text.text()))
        return restored

    def save_layout(self) -> None:
        """Remember geometry and dock layout for the next start."""
        notice_visible = self.notice.isVisible()
        self.notice.hide()
        self._settings.set(WINDOW_GEOMETRY, self.saveGeometry())
        self._settings.set(WINDOW_STATE, self.saveState(WINDOW_STATE_VERSION))
        self._settings.sync()
        self.notice.setVisible(notice_visible)

    def reset_layout(self) -> None:
        """Put the docks back as built."""
        self.restoreState(self._default_state, WINDOW_STATE_VERSION)
        for name, dock in self._docks.items():
            dock.setVisible(name not in ON_DEMAND_PANELS)
        self.notice.hide()

    # --- actions ----------------------------------------------------------------------------------------

    def request_quit(self) -> None:
        """Ask the app to quit (it saves the layout and shuts down cleanly). Idempotent."""
        if not self._quitting:
            self._quitting = True
            self.save_layout()
            self.quit_requested.emit()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._quitting:
            # Closing the window quits; the app closes the window itself once it shut down.
            event.ignore()
            self.request_quit()
            return
        for dialog in (self.profile_dialog, self.about_dialog, self.session_dialog):
            if dialog is not None:
                dialog.close()
        super().closeEvent(event)

    def refresh(self) -> None:
        self.check_connection()
        self.refresh_requested.emit()

    def check_connection(self) -> None:
        name = self._profiles.active_name()
        if name:
            self._connection.check(name)

    def open_profiles(self) -> ProfileDialog:
        """Show the profile editor (one instance, non-modal)."""
        if self.profile_dialog is None:
            from simdesk.ui.profile_dialog import ProfileDialog

            self.profile_dialog = ProfileDialog(self._profiles, self._connection, self._theme.colors, self)
            self.profile_dialog.finished.connect(self._profile_dialog_closed)
        self.profile_dialog.show()
        self.profile_dialog.raise_()
        self.profile_dialog.activateWindow()
        return self.profile_dialog

    def _profile_dialog_closed(self) -> None:
        if self.profile_dialog is not None:
            self.profile_dialog.deleteLater()
            self.profile_dialog = None

    def open_shortcuts(self) -> QDialog:
        """Help → Keyboard shortcuts (one dialog, raised when open)."""
        if self.shortcuts_dialog is None:
            from simdesk.ui.shortcuts import ShortcutsDialog

            self.shortcuts_dialog = ShortcutsDialog(self)
        self.shortcuts_dialog.show()
        self.shortcuts_dialog.raise_()
        return self.shortcuts_dialog

    def open_about(self) -> AboutDialog:
        if self.about_dialog is None:
            from simdesk.ui.about_dialog import AboutDialog

            self.about_dialog = AboutDialog(self._version, self._paths, self)
        self.about_dialog.show()
        self.about_dialog.raise_()
        return self.about_dialog

    def open_log_folder(self) -> None:
        self._paths.logs.mkdir(parents=True, exist_ok=True)
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(self._paths.logs))):
            self._messages.send_info(f"The logs are in {self._paths.logs}")

    def set_theme(self, mode: str) -> None:
        self._settings.set(THEME, mode)
        self._theme.set_mode(mode)

    def show_error(self, text: str) -> None:
        """Show ``text`` in the notice bar (non-modal)."""
        self.notice.show_message(text)

    # --- service signals -----------------------------------------------------------------------------

    def _on_active_changed(self, name: str) -> None:
        profile = self._profiles.get(name) if name else None
        self._show_profile(profile)
        check = self._connection.status(name) if name else None
        if check is not None:
            self.status.set_check(check)
        elif profile is None:
            self.status.set_no_connection("Not connected")
        else:
            self.status.set_no_connection()

    def _show_profile(self, profile: Profile | None) -> None:
        self.status.set_profile(profile)
        # Qt adds " — simdesk" (the application's display name) to a window title by itself
        self.setWindowTitle(profile.name if profile is not None else "simdesk")
        self.test_action.setEnabled(profile is not None)

    def _on_profiles_changed(self) -> None:
        self._show_profile(self._profiles.active())

    def _on_checking(self, name: str) -> None:
        if name == self._profiles.active_name():
            self.status.set_checking()

    def _on_status(self, name: str, check: object) -> None:
        if name == self._profiles.active_name() and check is not None:
            self.status.set_check(cast("ConnectionCheck", check))

    def _on_check_failed(self, name: str, message: str) -> None:
        if name != self._profiles.active_name():
            return
        self.status.set_failed(message)
        self.show_error(message)

    def _on_rate_limit(self, name: str, state: object) -> None:
        if name == self._profiles.active_name() and state is not None:
            self.status.update_rate(cast("RateLimitState", state))

    def _on_profile_failed(self, message: str) -> None:
        if self.profile_dialog is None:
            self.show_error(message)

    def _on_import_key_store_unavailable(self, profile: object, message: str) -> None:
        if profile is not None:
            return  # a profile save: the profile dialog asks about it
        from simdesk.ui.session_key_dialog import SessionKeyDialog

        dialog = SessionKeyDialog(message, subject="the imported profiles", parent=self)
        self.session_dialog = dialog

        def finished(result: int) -> None:
            self.session_dialog = None
            dialog.deleteLater()
            if result == QDialog.DialogCode.Accepted:
                self._profiles.import_from_cli(True)

        dialog.finished.connect(finished)
        dialog.open()

    def _on_theme_changed(self, _effective: str) -> None:
        self.status.set_colors(self._theme.colors)
        self.notice.set_colors(self._theme.colors)
        if self.profile_dialog is not None:
            self.profile_dialog.set_colors(self._theme.colors)
        for action in self.theme_actions.actions():
            action.setChecked(action.data() == self._theme.mode.value)
