"""Status badges that do not rely on colour: a shape, a word, and a colour from a colour-blind-safe set.

Each status has its own drawn shape (hollow circle = queued, triangle = running, two bars =
paused, check = completed, cross = failed, slashed circle = cancelled, question mark = unknown),
so a badge reads the same in greyscale or with any colour-vision deficiency; the colours come
from the Okabe–Ito palette (darker for light backgrounds, lighter for dark ones). The label is
drawn in the normal text colour for full contrast. Shapes are painted, not taken from a font, so
they look the same on every platform.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPainterPath, QPalette, QPen
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from simdesk.core.jobs.model import JobStatus
from simdesk.models.jobs.table import StatusRole
from simdesk.ui.theme import JOB_STATUS

SHAPES = {
    JobStatus.QUEUED: "hollow circle",
    JobStatus.RUNNING: "triangle",
    JobStatus.PAUSED: "two bars",
    JobStatus.COMPLETED: "check mark",
    JobStatus.FAILED: "cross",
    JobStatus.CANCELLED: "slashed circle",
    JobStatus.UNKNOWN: "question mark",
}


def status_color(status: JobStatus, palette: QPalette) -> QColor:
    """The badge colour for ``status`` on ``palette``'s background."""
    shade = JOB_STATUS[status.value]
    return QColor(shade.dark if palette.color(QPalette.ColorRole.Base).lightness() < 128 else shade.light)


def paint_glyph(painter: QPainter, box: QRectF, status: JobStatus, color: QColor) -> None:
    """Draw the status's shape inside ``box`` (a square)."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    pen = QPen(color, max(1.5, box.width() / 7))
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    r = box.adjusted(box.width() * 0.12, box.height() * 0.12, -box.width() * 0.12, -box.height() * 0.12)
    x, y, w, h = r.x(), r.y(), r.width(), r.height()
    match status:
        case JobStatus.QUEUED:
            painter.drawEllipse(r)
        case JobStatus.RUNNING:
            path = QPainterPath(QPointF(x + w * 0.15, y))
            path.lineTo(x + w, y + h / 2)
            path.lineTo(x + w * 0.15, y + h)
            path.closeSubpath()
            painter.setBrush(color)
            painter.drawPath(path)
        case JobStatus.PAUSED:
            painter.drawLine(QPointF(x + w * 0.3, y), QPointF(x + w * 0.3, y + h))
            painter.drawLine(QPointF(x + w * 0.7, y), QPointF(x + w * 0.7, y + h))
        case JobStatus.COMPLETED:
            path = QPainterPath(QPointF(x, y + h * 0.55))
            path.lineTo(x + w * 0.38, y + h * 0.9)
            path.lineTo(x + w, y + h * 0.1)
            painter.drawPath(path)
        case JobStatus.FAILED:
            painter.drawLine(QPointF(x, y), QPointF(x + w, y + h))
            painter.drawLine(QPointF(x + w, y), QPointF(x, y + h))
        case JobStatus.CANCELLED:
            painter.drawEllipse(r)
            painter.drawLine(QPointF(x + w * 0.15, y + h * 0.85), QPointF(x + w * 0.85, y + h * 0.15))
        case JobStatus.UNKNOWN:
            font = painter.font()
            font.setBold(True)
            font.setPixelSize(max(8, int(box.height())))
            painter.setFont(font)
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, "?")
    painter.restore()


class StatusBadgeDelegate(QStyledItemDelegate):
    """Paints the status column as a badge: a rounded outline, a shape and the status word."""

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        value = index.data(StatusRole)
        try:
            status = JobStatus(value)
        except ValueError:
            super().paint(painter, option, index)
            return
        self.initStyleOption(option, index)
        style = option.widget.style() if option.widget is not None else None
        text = option.text
        option.text = ""
        if style is not None:  # selection background and focus, as for any other cell
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, option.widget)
        color = status_color(status, option.palette)
        metrics = QFontMetrics(option.font)
        height = min(option.rect.height() - 6, metrics.height() + 4)
        glyph = height - 8
        width = 8 + glyph + 5 + metrics.horizontalAdvance(text) + 10
        pill = QRectF(option.rect.x() + 4, option.rect.center().y() - height / 2 + 0.5, width, height)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if selected:  # on the selection colour a tint vanishes: draw the badge on the base colour
            fill = option.palette.color(QPalette.ColorRole.Base)
        else:
            fill = QColor(color)
            fill.setAlphaF(0.14)
        painter.setBrush(fill)
        painter.setPen(QPen(color, 1.2))
        painter.drawRoundedRect(pill, height / 2, height / 2)
        paint_glyph(painter, QRectF(pill.x() + 8, pill.y() + 4, glyph, glyph), status, color)
        painter.setPen(option.palette.color(QPalette.ColorRole.Text))
        painter.setFont(option.font)
        text_box = QRectF(pill.x() + 8 + glyph + 5, pill.y(), pill.width() - glyph - 13, pill.height())
        painter.drawText(text_box, int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft), text)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        base = super().sizeHint(option, index)
        metrics = QFontMetrics(option.font)
        return QSize(base.width() + metrics.height() + 24, max(base.height(), metrics.height() + 10))


def badge_tooltip(status: JobStatus) -> str:
    """How the badge is drawn, for the legend."""
    return f"{status.label}: {SHAPES[status]}"
