"""The Jobs table's Progress cell: a bar with the reported progress, or a moving stripe.

Sim tells how far a run is only when the workflow's output carries a ``progress`` value (see
:func:`simdesk.core.jobs.model.progress_hint`); many workflows never do. So an active run without one
gets an indeterminate stripe that moves with the table's once-a-second tick (the cell is
repainted with the elapsed time), which shows the run is alive without inventing a figure.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from simdesk.core.jobs.model import Job, JobStatus
from simdesk.models.jobs.table import JobRole
from simdesk.ui.jobs.badges import status_color

_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*%")
STRIPE_STEPS = 6  # positions the stripe takes, one per tick


def percent_of(hint: str | None) -> float | None:
    """The percentage in a progress hint ("7/12 · 58%" → 58.0), or ``None``."""
    match = _PERCENT.search(hint or "")
    return min(100.0, float(match.group(1))) if match else None


def stripe_step(job: Job, now: float) -> int:
    """Where the stripe of an active run without progress is (moves one step a second)."""
    return int(job.elapsed(now) or 0) % STRIPE_STEPS


class ProgressDelegate(QStyledItemDelegate):
    """Paints a progress bar (with its text) or, for an active run that reports none, a stripe."""

    def __init__(self, now: Callable[[], float], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._now = now

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        job = index.data(JobRole)
        if not isinstance(job, Job):
            super().paint(painter, option, index)
            return
        self.initStyleOption(option, index)
        text = option.text
        percent = percent_of(job.progress)
        active = job.status in (JobStatus.QUEUED, JobStatus.RUNNING)
        if percent is None and not active:
            super().paint(painter, option, index)
            return
        option.text = ""
        style = option.widget.style() if option.widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, option.widget)
        rect = QRectF(option.rect).adjusted(4, 0, -4, 0)
        bar = QRectF(rect.x(), rect.center().y() - 3, min(rect.width(), 56.0), 6)
        color = status_color(job.status, option.palette)
        if option.state & QStyle.StateFlag.State_Selected:  # on the selection colour, the text colour reads
            color = option.palette.color(QPalette.ColorRole.HighlightedText)
        track = QColor(color)
        track.setAlphaF(0.18)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(track)
        painter.drawRoundedRect(bar, 3, 3)
        painter.setBrush(color)
        if percent is not None:
            painter.drawRoundedRect(QRectF(bar.x(), bar.y(), bar.width() * percent / 100, bar.height()), 3, 3)
        else:
            now = self._now()
            width = bar.width() / 3
            x = bar.x() + (bar.width() - width) * stripe_step(job, now) / (STRIPE_STEPS - 1)
            painter.drawRoundedRect(QRectF(x, bar.y(), width, bar.height()), 3, 3)
        if text and rect.width() > bar.width() + 30:
            selected = bool(option.state & QStyle.StateFlag.State_Selected)
            role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
            painter.setPen(option.palette.color(role))
            painter.setFont(option.font)
            text_box = QRectF(bar.right() + 6, rect.y(), rect.right() - bar.right() - 6, rect.height())
            align = int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft)
            painter.drawText(
                text_box, align, option.fontMetrics.elidedText(text, Qt.TextElideMode.ElideRight, int(text_box.width()))
            )
        painter.restore()
