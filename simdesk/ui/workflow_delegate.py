"""Draws a workflow row: name (★ when pinned), runs and last run below, a deployment badge right."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from simdesk.models.workflow_tree import (
    GROUP,
    WORKFLOW,
    Badge,
    DetailRole,
    FavouriteRole,
    KindRole,
    StatusRole,
)
from simdesk.ui.theme import WORKFLOW_BADGE

_Index = QModelIndex | QPersistentModelIndex


class WorkflowDelegate(QStyledItemDelegate):
    """Two-line workflow rows with a badge; folders and groups as plain rows."""

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:
        base = super().sizeHint(option, index)
        if index.data(KindRole) == WORKFLOW:
            line = QFontMetrics(option.font).height()
            return QSize(base.width(), line * 2 + 10)
        return QSize(base.width(), max(base.height(), QFontMetrics(option.font).height() + 8))

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        kind = index.data(KindRole)
        if kind != WORKFLOW:
            if kind == GROUP:
                option.font.setBold(True)
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        text, opt.text = opt.text, ""
        style = opt.widget.style() if opt.widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        palette: QPalette = opt.palette
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        rect = opt.rect.adjusted(6, 4, -6, -4)
        painter.save()
        # the badge, right-aligned on the first line
        badge = Badge(index.data(StatusRole) or Badge.UNKNOWN.value)
        small = QFont(opt.font)
        small.setPointSizeF(max(7.0, opt.font.pointSizeF() * 0.85))
        metrics = QFontMetrics(small)
        badge_w = metrics.horizontalAdvance(badge.value) + 14
        line_h = QFontMetrics(opt.font).height()
        badge_rect = QRect(rect.right() - badge_w, rect.top() + 1, badge_w, line_h - 1)
        # the badge's text names the state, so colour is never the only cue
        shades = WORKFLOW_BADGE.get(badge.value, WORKFLOW_BADGE["Unknown"])
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(shades.fill.color(palette))
        painter.drawRoundedRect(badge_rect, 7, 7)
        painter.setFont(small)
        painter.setPen(shades.text.color(palette))
        painter.drawText(badge_rect, Qt.AlignmentFlag.AlignCenter, badge.value)
        # the name
        name_font = QFont(opt.font)
        name_font.setWeight(QFont.Weight.DemiBold)
        painter.setFont(name_font)
        painter.setPen(palette.color(role))
        star = "★ " if index.data(FavouriteRole) else ""
        name_rect = QRect(rect.left(), rect.top(), rect.width() - badge_w - 8, line_h)
        elided = QFontMetrics(name_font).elidedText(star + text, Qt.TextElideMode.ElideRight, name_rect.width())
        painter.drawText(name_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, elided)
        # the muted second line
        painter.setFont(small)
        muted = palette.color(role if selected else QPalette.ColorRole.PlaceholderText)
        painter.setPen(muted)
        detail_rect = QRect(rect.left(), rect.top() + line_h + 1, rect.width(), line_h)
        detail = metrics.elidedText(str(index.data(DetailRole) or ""), Qt.TextElideMode.ElideRight, detail_rect.width())
        painter.drawText(detail_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, detail)
        painter.restore()
