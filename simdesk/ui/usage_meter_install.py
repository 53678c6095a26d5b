"""Wiring the usage meter into the app (issue 7): service, panel, status-bar summary, warnings.

Called once by the composition root (``simdesk.app.compose``), like the job tracker's
``install_jobs``. At compose time it only builds the cheap parts (the service and the status-bar
summary); :meth:`UsageWiring.begin`, once the window is painted, builds the panel (QtCharts),
opens the history database in a worker thread and starts following the active profile. The
meter pauses its refresh while the window is minimised or the app has been in the background
for :data:`IDLE_AFTER_MS`.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QSystemTrayIcon

from simdesk.core.thresholds import Crossing, ThresholdWatch, parse_levels
from simdesk.core.usage_history import UsageHistory
from simdesk.services.blocking import run_blocking
from simdesk.services.usage import BUCKET_LOW, REFRESH_INTERVAL, SPEND_WARNINGS, UsageService
from simdesk.ui.usage_meter_status import UsageStatusLabel

if TYPE_CHECKING:
    from simdesk.core.paths import AppPaths
    from simdesk.services.clients import ClientPool
    from simdesk.services.messages import MessageBus
    from simdesk.services.profiles import ProfileService
    from simdesk.services.settings import Settings
    from simdesk.ui.main_window import MainWindow
    from simdesk.ui.theme import ThemeController
    from simdesk.ui.usage_meter import UsageMeterPanel

log = logging.getLogger("simdesk.ui.usage")

PANEL = "usageMeter"
HISTORY_FILE = "usage.sqlite"
IDLE_AFTER_MS = 5 * 60_000
NOTIFY_MS = 10_000


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
    """The meter's parts, as installed."""

    service: UsageService
    summary: UsageStatusLabel
    paths: AppPaths
    window: MainWindow
    theme: ThemeController
    follow: Any  # (name: str) -> None, the active-profile follower
    active_name: Any  # () -> str
    panel: UsageMeterPanel | None = None
    history: UsageHistory | None = None
    tasks: set[asyncio.Future[Any]] = field(default_factory=set)

    def begin(self) -> None:
        """Build the panel, open the history and follow the active profile (after first paint)."""
        from simdesk.ui.usage_meter import UsageMeterPanel  # QtCharts loads here, not at start-up

        self.panel = UsageMeterPanel(self.service, self.theme.colors, dark=self.theme.effective == "dark")
        self.window.set_panel(PANEL, self.panel)
        self._spawn(self._open_history())
        self.follow(self.active_name())

    async def _open_history(self) -> None:
        path = self.paths.data / HISTORY_FILE
        try:
            self.history = await run_blocking(UsageHistory, path)
        except Exception:  # the meter works without history; the log says why
            log.exception("the usage history at %s could not be opened", path)
            return
        self.service.set_history(self.history)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def aclose(self) -> None:
        """Stop refreshing and close the history."""
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.service.aclose()
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
    """Build the meter's cheap parts and plug them into ``window``; :meth:`UsageWiring.begin` does the rest."""
    watch = ThresholdWatch(parse_levels(settings.get(SPEND_WARNINGS)), settings.get(BUCKET_LOW) / 100)
    service = UsageService(interval_s=settings.get(REFRESH_INTERVAL), watch=watch, parent=window)
    summary = UsageStatusLabel(service, theme.colors, window.status)
    window.status.rates.hide()  # the meter's summary replaces the shell's plain rate label
    window.status.addPermanentWidget(summary)
    _Watcher(service, window)

    def save_options() -> None:
        settings.set(REFRESH_INTERVAL, service.interval_s)
        settings.set(SPEND_WARNINGS, ", ".join(f"{round(v * 100)}" for v in service.watch.spend_levels))
        settings.set(BUCKET_LOW, float(round(service.watch.bucket_low * 100)))

    def warn(crossing: Crossing) -> None:
        messages.send_info(crossing.text)
        if tray is not None and QSystemTrayIcon.isSystemTrayAvailable() and QSystemTrayIcon.supportsMessages():
            icon = QSystemTrayIcon.MessageIcon.Critical if crossing.critical else QSystemTrayIcon.MessageIcon.Warning
            tray.showMessage(crossing.title, crossing.text, icon, NOTIFY_MS)

    def recolor(effective: str) -> None:
        summary.set_colors(theme.colors)
        if wiring.panel is not None:
            wiring.panel.set_colors(theme.colors, dark=effective == "dark")

    async def attach(name: str) -> None:
        profile = profiles.get(name)
        if profile is None:
            service.detach()
            return
        try:
            client = await pool.client(profile)
        except Exception as exc:  # no key, keyring locked: the connection check tells the user
            log.info("no usage meter for %s: %r", name, exc)
            service.detach()
            return
        if profiles.active_name() == name:
            service.attach(name, client)

    def follow(name: str) -> None:
        if not name:
            service.detach()
            return
        wiring._spawn(attach(name))

    service.options_changed.connect(save_options)
    service.warning.connect(warn)
    theme.changed.connect(recolor)
    wiring = UsageWiring(service, summary, paths, window, theme, follow, profiles.active_name)
    profiles.active_changed.connect(follow)
    profiles.saved.connect(lambda name, _session_only: follow(name) if name == profiles.active_name() else None)
    if tray is not None:
        service.changed.connect(lambda _state: tray.setToolTip(_tray_tip(tray.toolTip(), summary.tooltip)))
    return wiring


_MARK = "\n— usage —\n"


def _tray_tip(current: str, usage: str) -> str:
    """The tray's tooltip with the meter's lines after the job tracker's own first line."""
    head = current.split(_MARK, 1)[0]
    return f"{head}{_MARK}{usage}" if usage else head
