"""A run's trace as a waterfall: time on the x-axis, one bar per span, children indented under
their parent, parallel branches as overlapping bars on rows side by side, loop iterations grouped
under their loop (a click on the triangle folds a group).

Painted by hand and only the rows in view (a 2 000-span trace costs what 40 rows cost); laid
out once per trace or fold (:func:`simdesk.core.trace.waterfall_rows`). Clicking a row selects
its span (``span_selected``); the tooltip gives duration, cost, tokens, model and status.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QMouseEvent, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QScrollArea, QToolTip, QWidget

from simdesk.core.trace import Row, Span, Trace, waterfall_rows
from simdesk.models.logs import duration_text
from simdesk.ui.theme import ROLES, SPAN_BAR, SPAN_BAR_OTHER, Role, is_dark, role_color

ROW_H = 22
HEADER_H = 24
LABEL_W = 260
INDENT = 14
MIN_BAR_W = 2


def span_tooltip(span: Span) -> str:
    """Duration, cost, tokens, model and status of a span, one per line."""
    lines = [f"{span.name} ({span.type})", f"duration {duration_text(span.duration_ms)}", f"status {span.status}"]
    if span.cost is not None:
        lines.append(f"cost {span.cost:.4f}")
    if span.tokens is not None:
        lines.append(f"tokens {span.tokens:,}")
    if span.model:
        lines.append(f"model {span.model}")
    if span.error:
        lines.append(f"error: {span.error[:200]}")
    return "\n".join(lines)


class TraceWaterfall(QWidget):
    """The waterfall itself (put it in a :class:`QScrollArea`, as :func:`waterfall_area` does)."""

    span_selected = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("traceWaterfall")
        self.setMouseTracking(True)
        self.trace = Trace(())
        self.rows: list[Row] = []
        self.collapsed: set[str] = set()
        self.selected: str | None = None
        self._total = 1.0

    def set_trace(self, trace: Trace) -> None:
        self.trace = trace
        self.collapsed = set()
        self.selected = None
        self._total = max(trace.duration_ms, 1.0)
        self.relayout()

    def relayout(self) -> None:
        self.rows = waterfall_rows(self.trace, frozenset(self.collapsed))
        self.setMinimumHeight(HEADER_H + ROW_H * len(self.rows))
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(LABEL_W + 480, HEADER_H + ROW_H * max(1, len(self.rows)))

    # --- geometry ------------------------------------------------------------------------

    def label_width(self) -> int:
        """The name column: up to :data:`LABEL_W`, never more than a third of a narrow view."""
        return max(120, min(LABEL_W, self.width() // 3))

    def _x(self, ms: float, width: int) -> int:
        label = self.label_width()
        span_w = max(1, width - label - 70)  # room for the duration text after the longest bar
        return label + round(ms / self._total * span_w)

    def row_at(self, y: int) -> int | None:
        row = (y - HEADER_H) // ROW_H
        return row if y >= HEADER_H and 0 <= row < len(self.rows) else None

    def select(self, span_id: str | None) -> None:
        self.selected = span_id
        span = self.trace.find(span_id) if span_id else None
        if span is not None:
            self.span_selected.emit(span)
        self.update()

    # --- events --------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        pos = event.position().toPoint()
        index = self.row_at(pos.y())
        if index is None:
            return
        row = self.rows[index]
        triangle = 4 + row.depth * INDENT
        if row.has_children and triangle <= pos.x() <= triangle + INDENT:
            self.collapsed.symmetric_difference_update({row.span.span_id})
            self.relayout()
            return
        self.select(row.span.span_id)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        index = self.row_at(event.position().toPoint().y())
        if index is None:
            QToolTip.hideText()
            return
        QToolTip.showText(event.globalPosition().toPoint(), span_tooltip(self.rows[index].span), self)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            self._paint(painter, event.rect())
        finally:
            painter.end()

    def _paint(self, p: QPainter, clip: QRect) -> None:
        palette = self.palette()
        dark = is_dark(palette)
        width = self.width()
        text = palette.color(QPalette.ColorRole.Text)
        faint = palette.color(QPalette.ColorRole.PlaceholderText)
        p.fillRect(clip, palette.color(QPalette.ColorRole.Base))
        metrics = QFontMetrics(self.font())
        first = max(0, (clip.top() - HEADER_H) // ROW_H)
        last = min(len(self.rows), (clip.bottom() - HEADER_H) // ROW_H + 1)
        grid = QColor(faint)
        grid.setAlpha(60)
        highlight = palette.color(QPalette.ColorRole.Highlight)
        highlight.setAlpha(70)
        for index in range(first, last):
            row = self.rows[index]
            span = row.span
            top = HEADER_H + index * ROW_H
            if span.span_id == self.selected:
                p.fillRect(0, top, width, ROW_H, highlight)
            x = 4 + row.depth * INDENT
            p.setPen(faint)
            if row.has_children:
                p.drawText(
                    QRect(x, top, INDENT, ROW_H),
                    Qt.AlignmentFlag.AlignCenter,
                    "▸" if span.span_id in self.collapsed else "▾",
                )
            p.setPen(role_color(Role.RUN_ERROR_TEXT, palette) if span.failed else text)
            label_w = self.label_width()
            label = metrics.elidedText(span.name, Qt.TextElideMode.ElideRight, label_w - x - INDENT - 6)
            p.drawText(QRect(x + INDENT, top, label_w, ROW_H), Qt.AlignmentFlag.AlignVCenter, label)
            x0, x1 = self._x(span.start_ms, width), self._x(span.end_ms, width)
            shade = ROLES[Role.SPAN_FAILED] if span.failed else SPAN_BAR.get(span.type, SPAN_BAR_OTHER)
            colour = shade.color(palette)
            if dark:
                colour = colour.lighter(125)
            p.fillRect(x0, top + 5, max(MIN_BAR_W, x1 - x0), ROW_H - 10, colour)
            p.setPen(faint)
            p.drawText(QPoint(max(x0, x1) + 4, top + ROW_H - 7), duration_text(span.duration_ms))
        self._paint_axis(p, width, text, grid, metrics)

    def _paint_axis(self, p: QPainter, width: int, text: QColor, grid: QColor, metrics: QFontMetrics) -> None:
        p.fillRect(0, 0, width, HEADER_H, self.palette().color(QPalette.ColorRole.Window))
        p.setPen(text)
        p.drawText(
            QRect(6, 0, self.label_width(), HEADER_H), Qt.AlignmentFlag.AlignVCenter, f"{len(self.rows):,} spans"
        )
        if not self.rows:
            return
        room = self._x(self._total, width) - self._x(0, width)
        ticks = max(1, min(4, room // 80))  # a label needs about 80 px
        first = 0 if room >= 80 else 1  # too narrow for two labels: only the run's length
        for i in range(first, ticks + 1):
            ms = self._total * i / ticks
            x = self._x(ms, width)
            p.setPen(grid)
            p.drawLine(x, HEADER_H - 4, x, HEADER_H + ROW_H * len(self.rows))
            p.setPen(text)
            label = duration_text(ms)
            p.drawText(QPoint(min(x + 2, width - metrics.horizontalAdvance(label) - 2), HEADER_H - 8), label)


def waterfall_area(parent: QWidget | None = None) -> tuple[QScrollArea, TraceWaterfall]:
    """A scroll area holding a waterfall that fills its width."""
    area = QScrollArea(parent)
    area.setWidgetResizable(True)
    view = TraceWaterfall()
    area.setWidget(view)
    return area, view
