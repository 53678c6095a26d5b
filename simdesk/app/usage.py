"""Wiring the usage meter into the app: service, panel, status-bar summary, warnings.

Called once by the composition root (``AppContext.install_usage``), once the window is painted
(start-up is benchmarked, and QtCharts is slow to import):
:meth:`UsageWiring.begin` builds the service, the status-bar summary
and the panel (QtCharts), opens the history database in a worker thread and starts following
the active profile. The meter pauses its refresh while the window is minimised or the app has
been in the background for :data:`IDLE_AFTER_MS`.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QGuiApplication

from simdesk.services.tasks import TaskSet

if TYPE_CHECKING:
    from PySide6.QtWidgets import QSystemTrayIcon

    from simdesk.core.paths import AppPaths
    from simdesk.core.thresholds import Crossing
    from simdesk.core.usage_history import UsageHistory
    from simdesk.services.clients import ClientPool
    from simdesk.services.messages import MessageBus
    from simdesk.services.profiles import ProfileService
    from simdesk.services.settings import Settings
    from simdesk.services.usage import UsageService
    from simdesk.ui.main_window import MainWindow
    from simdesk.ui.theme import ThemeController
    from simdesk.ui.usage_meter.panel import UsageMeterPanel
    from simdesk.ui.usage_meter.status import UsageStatusLabel

log = logging.getLogger("simdesk.ui.usage")

PANEL = "usageMeter"
HISTORY_FILE = "usage.sqlite"
IDLE_AFTER_MS = 5 * 60_000
NOTIFY_MS = 10_000
_MARK = "\n— usage —\n"


class _Watcher(QObject):
    """Tells the service when the window is minimised and when the app idles in the background."""

    def __init__(self, service: UsageService, window: MainWindow) -> None:
        super().__init__(window)
        self._service, self._window = service, window
        self._idle = QTimer(self)
        self._idle.setSingleShot(True)
        self._idle.setInterval(IDLE_AFTER_MS)
        self._idle.timeout.connect(lambda: service.set_paused("idle", True))
        window.installEventFilter(self)
        app = QGuiApplication.instance()
        if isinstance(app, QGuiApplication):
            app.applicationStateChanged.connect(self._app_state)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._window and event.type() == QEvent.Type.WindowStateChange:
            self._service.set_paused("minimised", self._window.isMinimized())
        return False

    def _app_state(self, state: Qt.ApplicationState) -> None:
        if state == Qt.ApplicationState.ApplicationActive:
            self._idle.stop()
            self._service.set_paused("idle", False)
        elif not self._idle.isActive():
            self._idle.start()


@dataclass
class UsageWiring:
    """The meter's parts: what it needs from the app, and what :meth:`begin` built."""

    paths: AppPaths
    settings: Settings
    profiles: ProfileService
    pool: ClientPool
    messages: MessageBus
    window: MainWindow
    theme: ThemeController
    tray: QSystemTrayIcon | None = None  # the job tracker's: warnings and the tooltip's usage lines
    service: UsageService | None = None
    summary: UsageStatusLabel | None = None
    panel: UsageMeterPanel | None = None
    history: UsageHistory | None = None
    _opening: asyncio.Future[UsageHistory] | None = None
    tasks: TaskSet = field(default_factory=TaskSet)

    def begin(self) -> None:
        """Build and plug in the meter, open its history and follow the active profile."""
        from simdesk.core.thresholds import ThresholdWatch, parse_levels
        from simdesk.services.usage import BUCKET_LOW, REFRESH_INTERVAL, SPEND_WARNINGS, UsageService
        from simdesk.ui.usage_meter.panel import UsageMeterPanel
        from simdesk.ui.usage_meter.status import UsageStatusLabel

        settings, theme, window = self.settings, self.theme, self.window
        watch = ThresholdWatch(parse_levels(settings.get(SPEND_WARNINGS)), settings.get(BUCKET_LOW) / 100)
        service = self.service = UsageService(interval_s=settings.get(REFRESH_INTERVAL), watch=watch, parent=window)
        self.summary = UsageStatusLabel(service, theme.colors, window.status)
        window.status.rates.hide()  # the meter's summary replaces the shell's plain rate label
        window.status.addPermanentWidget(self.summary)
        self.panel = UsageMeterPanel(service, theme.colors, dark=theme.effective == "dark")
        window.set_panel(PANEL, self.panel)
        _Watcher(service, window)

        def save_options() -> None:
            settings.set(REFRESH_INTERVAL, service.interval_s)
            settings.set(SPEND_WARNINGS, ", ".join(f"{round(v * 100)}" for v in service.watch.spend_levels))
            settings.set(BUCKET_LOW, float(round(service.watch.bucket_low * 100)))

        service.options_changed.connect(save_options)
        service.warning.connect(self._warn)
        service.changed.connect(self._tray_tooltip)
        theme.changed.connect(self._recolor)
        self.profiles.active_changed.connect(self.follow)
        self.profiles.saved.connect(
            lambda name, _session_only: self.follow(name) if name == self.profiles.active_name() else None
        )
        self._spawn(self._open_history())
        self.follow(self.profiles.active_name())

    # --- reactions -----------------------------------------------------------------------

    def follow(self, name: str) -> None:
        """Meter ``name`` (the active profile), or nothing when no profile is active."""
        if self.service is None:
            return
        if not name:
            self.service.detach()
            return
        self._spawn(self._attach(name))

    async def _attach(self, name: str) -> None:
        assert self.service is not None
        profile = self.profiles.get(name)
        if profile is None:
            self.service.detach()
            return
        try:
            client = await self.pool.client(profile)
        except Exception as exc:  # no key, keyring locked: the connection check tells the user
            log.info("no usage meter for %s: %r", name, exc)
            self.service.detach()
            return
        if self.profiles.active_name() == name:
            self.service.attach(name, client)

    def _warn(self, crossing: Crossing) -> None:
        """In the app, and as a system notification where the desktop has a tray."""
        from PySide6.QtWidgets import QSystemTrayIcon

        self.messages.send_info(crossing.text)
        tray = self.tray
        if tray is not None and QSystemTrayIcon.isSystemTrayAvailable() and QSystemTrayIcon.supportsMessages():
            kind = QSystemTrayIcon.MessageIcon.Critical if crossing.critical else QSystemTrayIcon.MessageIcon.Warning
            tray.showMessage(crossing.title, crossing.text, kind, NOTIFY_MS)

    def _tray_tooltip(self, _state: object) -> None:
        if self.tray is not None and self.summary is not None:
            self.tray.setToolTip(tray_tip(self.tray.toolTip(), self.summary.tooltip))

    def _recolor(self, effective: str) -> None:
        if self.summary is not None:
            self.summary.set_colors(self.theme.colors)
        if self.panel is not None:
            self.panel.set_colors(self.theme.colors, dark=effective == "dark")

    async def _open_history(self) -> None:
        from simdesk.core.usage_history import UsageHistory
        from simdesk.services.executors import blocking_future

        path = self.paths.data / HISTORY_FILE
        # A plain executor future (not a task, so quitting's cancel-all skips it), shielded and kept:
        # a quit while the worker thread opens the file must still close it in aclose().
        self._opening = opening = blocking_future(UsageHistory, path)
        try:
            self.history = await asyncio.shield(opening)
        except Exception:  # the meter works without history; the log says why
            log.exception("the usage history at %s could not be opened", path)
            return
        if self.history.problem is not None:
            self.messages.send_error(self.history.problem.message)
        if self.service is not None:
            self.service.set_history(self.history)

    def _spawn(self, coro: Any) -> None:
        self.tasks.spawn(coro)

    async def aclose(self) -> None:
        """Stop refreshing and close the history."""
        await self.tasks.cancel_all()
        if self.service is not None:
            await self.service.aclose()
        if self._opening is not None:
            await asyncio.wait([self._opening])
            if not self._opening.cancelled() and self._opening.exception() is None:
                self.history = self._opening.result()
        if self.history is not None:
            self.history.close()


def install_usage(
    *,
    paths: AppPaths,
    settings: Settings,
    profiles: ProfileService,
    pool: ClientPool,
    messages: MessageBus,
    window: MainWindow,
    theme: ThemeController,
    tray: QSystemTrayIcon | None = None,
) -> UsageWiring:
    """The meter's wiring for ``window``; :meth:`UsageWiring.begin` builds its parts."""
    return UsageWiring(paths, settings, profiles, pool, messages, window, theme, tray)


def tray_tip(current: str, usage: str) -> str:
    """The tray's tooltip with the meter's lines after the job tracker's own."""
    head = current.split(_MARK, 1)[0]
    return f"{head}{_MARK}{usage}" if usage else head
