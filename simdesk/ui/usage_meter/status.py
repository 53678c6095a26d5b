"""The status bar's usage summary: the tightest bucket and its refill, coloured as it runs low.

E.g. "● Runs & streams 12/100 · refill 0:42 · 3 waiting". The dot and the text take the level's
colour (ok / low / critical); the words say the same, and the tooltip (also meant for the tray
icon) lists every bucket, the spend and the queue.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from simdesk.core.meter import Level, MeterState, summary
from simdesk.services.usage import UsageService
from simdesk.ui.theme import LIGHT, Colors
from simdesk.ui.usage_meter.bar import level_color


class UsageStatusLabel(QLabel):
    """Follows a :class:`UsageService`; ``tooltip_changed`` users (the tray) read :attr:`tooltip`."""

    def __init__(self, service: UsageService, colors: Colors = LIGHT, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("usageSummary")
        self.setAccessibleName("Rate limits")
        self._colors = colors
        self.level = Level.UNKNOWN
        self.tooltip = ""
        service.changed.connect(self.show_state)
        self.show_state(service.state)

    def set_colors(self, colors: Colors) -> None:
        self._colors = colors
        self._paint()

    def show_state(self, state: MeterState) -> None:
        if not state.profile:
            text, level, tip = "Limits: —", Level.UNKNOWN, "No profile selected."
        else:
            text, level, tip = summary(state)
        self.level, self.tooltip = level, tip
        self.setText(f"● {text}")
        self.setToolTip(tip)
        self.setAccessibleDescription(f"{text}. {tip}")
        self._paint()

    def _paint(self) -> None:
        color = level_color(self._colors, self.level) if self.level is not Level.OK else self._colors.muted
        if self.level is Level.OK:
            self.setStyleSheet(f"QLabel {{ color: {self._colors.muted}; padding: 0 6px; }}")
        else:
            self.setStyleSheet(f"QLabel {{ color: {color}; padding: 0 6px; }}")
