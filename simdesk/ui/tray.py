"""The tray icon: how many runs are active, the latest runs, and the system notifications.

The icon is the app icon with a badge showing the number of queued and running jobs; its tooltip
says the same in words. The menu lists the latest runs (each with its status shape and word;
choosing one opens it), then "Show simdesk", the pause switch and Quit. Notifications chosen by
:class:`~simdesk.services.notifications.JobNotifier` go to the desktop's notification service
(:class:`~simdesk.services.desktop_notifications.DesktopNotifications`) when the session bus has
one, else out with ``QSystemTrayIcon.showMessage``; clicking one opens its job. Where the desktop
has neither, ``unshown`` carries the text instead, so the composition root can put it in the
status bar.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QMenu, QSystemTrayIcon, QWidget

from simdesk.core.jobs import format as fmt
from simdesk.core.jobs.model import Job, JobStatus
from simdesk.services.desktop_notifications import DesktopNotifications
from simdesk.services.jobs.service import JobService, latest
from simdesk.services.notifications import JobNotifier
from simdesk.ui.jobs.badges import paint_glyph, status_color
from simdesk.ui.theme import ROLES, Role

MENU_SIZE = 8
MESSAGE_MS = 10_000
_ICON_SIZE = 64


def badged_icon(base: QIcon, count: int) -> QIcon:
    """``base`` with a round badge holding ``count`` (no badge at 0; "99+" above 99)."""
    pixmap = QPixmap(_ICON_SIZE, _ICON_SIZE)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    base.paint(painter, 0, 0, _ICON_SIZE, _ICON_SIZE)
    if count > 0:
        text = str(count) if count < 100 else "99+"
        side = _ICON_SIZE * (0.56 if len(text) < 3 else 0.7)
        badge = QRectF(_ICON_SIZE - side, 0, side, _ICON_SIZE * 0.56)
        # the tray's own background is unknown: the same colours on either theme
        painter.setPen(QColor(ROLES[Role.TRAY_BADGE_TEXT].light))
        painter.setBrush(QColor(ROLES[Role.TRAY_BADGE_BG].light))
        painter.drawRoundedRect(badge, badge.height() / 2, badge.height() / 2)
        font = QFont()
        font.setBold(True)
        font.setPixelSize(int(badge.height() * 0.72))
        painter.setFont(font)
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)
    painter.end()
    return QIcon(pixmap)


def status_icon(status: JobStatus) -> QIcon:
    """A small icon with the status's shape, for menu entries."""
    pixmap = QPixmap(32, 32)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    paint_glyph(painter, QRectF(4, 4, 24, 24), status, status_color(status, QApplication.palette()))
    painter.end()
    return QIcon(pixmap)


def tooltip(active: int, paused: bool) -> str:
    """The tray's tooltip: how many runs are going."""
    text = "simdesk — " + ("no runs active" if active == 0 else f"{active} run{'s' if active != 1 else ''} active")
    return text + (" (checking paused)" if paused else "")


class JobsTray(QObject):
    """The tray icon and its menu.

    Signals:
        open_job(str job_id): the user chose a run (menu or notification).
        show_window(): the user clicked the icon or chose "Show simdesk".
        quit_requested(): "Quit" in the menu.
        unshown(str text): a notification that could not be shown (no tray on this desktop).
    """

    open_job = Signal(str)
    show_window = Signal()
    quit_requested = Signal()
    unshown = Signal(str)

    def __init__(
        self,
        service: JobService,
        notifier: JobNotifier,
        base_icon: QIcon,
        parent: QObject | None = None,
        *,
        now: Callable[[], float] = time.time,
        desktop: DesktopNotifications | None = None,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self.desktop = desktop
        if desktop is not None:
            desktop.clicked.connect(self.open_job.emit)
        self._base = base_icon
        self._now = now
        self.tray = QSystemTrayIcon(self)
        self.tray.setObjectName("jobsTray")
        # parented to the window when there is one, so the menu goes with it (a QMenu is a window)
        self.menu = QMenu(parent if isinstance(parent, QWidget) else None)
        self.menu.setObjectName("jobsTrayMenu")
        self.tray.setContextMenu(self.menu)
        self.last_notified: str | None = None
        self.shown: list[tuple[str, str, str]] = []  # (title, message, job id), newest last
        self._rebuild = QTimer(self)
        self._rebuild.setSingleShot(True)
        self._rebuild.setInterval(200)  # coalesce a poll's many changes into one menu rebuild
        self._rebuild.timeout.connect(self.rebuild_menu)
        service.active_count_changed.connect(lambda _n: self.update_icon())
        service.paused_changed.connect(lambda _p: self.update_icon())
        service.paused_changed.connect(lambda _p: self._rebuild.start())
        for signal in (service.jobs_reset, service.jobs_changed, service.jobs_removed):
            signal.connect(lambda *_: self._rebuild.start())
        notifier.notify.connect(self.notify)
        self.tray.messageClicked.connect(self._message_clicked)
        self.tray.activated.connect(self._activated)
        self.update_icon()
        self.rebuild_menu()
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.tray.show()

    def update_icon(self) -> None:
        """Badge and tooltip from the service's active count."""
        count = self._service.active_count
        self.tray.setIcon(badged_icon(self._base, count))
        self.tray.setToolTip(tooltip(count, self._service.paused))

    def rebuild_menu(self) -> None:
        """The latest runs, then the app's entries."""
        self.menu.clear()
        jobs = latest(self._service.jobs(), MENU_SIZE)
        if not jobs:
            empty = self.menu.addAction("No background runs yet")
            empty.setEnabled(False)
        for job in jobs:
            action = self.menu.addAction(status_icon(job.status), self._entry(job))
            action.setData(job.id)
            action.triggered.connect(lambda _c=False, job_id=job.id: self.open_job.emit(job_id))
        self.menu.addSeparator()
        self.menu.addAction("Show simdesk", self.show_window.emit)
        pause = QAction("Pause checking", self.menu)
        pause.setCheckable(True)
        pause.setChecked(self._service.paused)
        pause.toggled.connect(self._service.set_paused)
        self.menu.addAction(pause)
        self.menu.addSeparator()
        self.menu.addAction("Quit simdesk", self.quit_requested.emit)

    def _entry(self, job: Job) -> str:
        text = f"{job.display_name} — {job.status.label}"
        if job.status.is_active:
            text += f" · {fmt.duration(job.elapsed(self._now()))}"
        elif job.progress and job.status is not JobStatus.COMPLETED:
            text += f" · {job.progress}"
        return text

    def notify(self, title: str, message: str, job_id: str, status: str) -> None:
        """Show a system notification for a job, or a summary when ``job_id`` is "" (or hand it
        to ``unshown``)."""
        self.last_notified = job_id or None
        self.shown.append((title, message, job_id))
        if self.desktop is not None and self.desktop.ready:
            self.desktop.notify(title, message, job_id)
        elif QSystemTrayIcon.isSystemTrayAvailable() and QSystemTrayIcon.supportsMessages():
            shape = status_icon(JobStatus(status)) if status else badged_icon(self._base, 0)
            self.tray.showMessage(title, message, shape, MESSAGE_MS)
        else:
            self.unshown.emit(f"{title}: {message}")

    def _message_clicked(self) -> None:
        if self.last_notified:
            self.open_job.emit(self.last_notified)
        else:  # a summary of many runs: just bring the window (and its jobs panel) up
            self.show_window.emit()

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.DoubleClick):
            self.show_window.emit()

    def hide(self) -> None:
        """Remove the icon (at quit)."""
        self.tray.hide()
