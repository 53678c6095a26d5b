"""A thin horizontal gauge: how much of a limit is left (or used), with optional warning ticks.

Painted rather than a ``QProgressBar`` so it looks the same in both themes and on every style,
and so the spend gauge can show the user's warning lines as ticks. The colour follows the level
(ok / low / critical); the figure next to it carries the meaning for people who cannot tell the
colours apart, and ``accessibleDescription`` says it in words.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from simdesk.core.meter import Level
from simdesk.ui.theme import LIGHT, Colors


def level_color(colors: Colors, level: Level) -> str:
    """The theme colour of a level."""
    return {
        Level.OK: colors.ok,
        Level.LOW: colors.warn,
        Level.CRITICAL: colors.error,
    }.get(level, colors.muted)


class MeterBar(QWidget):
    """A gauge filled to ``fraction`` (0–1) in the colour of ``level``."""

    def __init__(self, parent: QWidget | None = None, *, height: int = 8) -> None:
        super().__init__(parent)
        self._fraction: float | None = None
        self._level = Level.UNKNOWN
        self._ticks: tuple[float, ...] = ()
        self._colors = LIGHT
        self._height = height
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(60)

    def sizeHint(self) -> QSize:
        return QSize(160, self._height + 4)

    def set_colors(self, colors: Colors) -> None:
        self._colors = colors
        self.update()

    def set_value(self, fraction: float | None, level: Level, ticks: Sequence[float] = ()) -> None:
        """Fill to ``fraction`` (``None``: an empty, muted track) and draw ``ticks`` (0–1)."""
        fraction = None if fraction is None else max(0.0, min(1.0, fraction))
        if (fraction, level, tuple(ticks)) != (self._fraction, self._level, self._ticks):
            self._fraction, self._level, self._ticks = fraction, level, tuple(ticks)
            self.update()

    @property
    def fraction(self) -> float | None:
        return self._fraction

    @property
    def level(self) -> Level:
        return self._level

    def paintEvent(self, event: QPaintEvent) -> None:
        c = self._colors
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        top = (self.height() - self._height) / 2
        track = QRectF(0.5, top + 0.5, self.width() - 1.0, self._height - 1.0)
        radius = track.height() / 2
        painter.setPen(QPen(QColor(c.border), 1))
        painter.setBrush(QColor(c.alt_surface))
        painter.drawRoundedRect(track, radius, radius)
        if self._fraction:
            fill = QRectF(track)
            fill.setWidth(max(track.height(), track.width() * self._fraction))
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(level_color(c, self._level)))
            painter.drawRoundedRect(fill, radius, radius)
        if self._ticks:
            painter.setPen(QPen(QColor(c.text), 1.5))
            for tick in self._ticks:
                x = track.left() + track.width() * max(0.0, min(1.0, tick))
                painter.drawLine(int(x), int(top - 1), int(x), int(top + self._height + 1))
        painter.end()
