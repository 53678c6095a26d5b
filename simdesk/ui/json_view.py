"""JSON for people: a collapsible tree of a run's output, and a syntax highlighter for editors.

The tree fills lazily: a node's children are made when it is first expanded, and big arrays and
objects show their first :data:`PAGE` entries with a "show more" row, so a 20 000-row output opens
at once. Sim's placeholder for values too large to inline (``__simLargeValueRef``, sim-api.md §1)
is shown as one row with its size and preview, never as a link.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QEvent, QObject, QRegularExpression, Qt
from PySide6.QtGui import QColor, QFont, QPalette, QSyntaxHighlighter, QTextCharFormat, QTextDocument
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

from simdesk.core.input_form import json_type
from simdesk.ui.theme import JSON_TOKEN, Role, role_color

PAGE = 200
_VALUE = Qt.ItemDataRole.UserRole + 1
_MORE = Qt.ItemDataRole.UserRole + 2  # (container, next offset) on a "show more" row
_LARGE = "__simLargeValueRef"


def json_colors(palette: QPalette) -> dict[str, QColor]:
    """Token colours that read well on the palette's base colour (light or dark)."""
    return {token: shade.color(palette) for token, shade in JSON_TOKEN.items()}


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def summary(value: Any) -> str:
    """One line for a value: scalars as JSON, containers by their size."""
    if isinstance(value, dict):
        if value.get(_LARGE) is True:
            size = value.get("size")
            preview = value.get("preview")
            text = f"⟨large value, {_size(int(size))}⟩" if isinstance(size, int | float) else "⟨large value⟩"
            return text + (f" preview: {str(preview)[:60]}" if preview is not None else "")
        return f"{{…}} {len(value)} key{'s' if len(value) != 1 else ''}"
    if isinstance(value, list):
        return f"[…] {len(value)} item{'s' if len(value) != 1 else ''}"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 500 else text[:499] + "…"


def kind(value: Any) -> str:
    """The JSON type name of a value (Sim's large-value placeholder is named as such)."""
    if isinstance(value, dict) and value.get(_LARGE) is True:
        return "large value"
    return json_type(value)


def _expandable(value: Any) -> bool:
    large = isinstance(value, dict) and value.get(_LARGE) is True
    return isinstance(value, list | dict) and bool(value) and not large


class JsonTreeView(QTreeWidget):
    """A read-only, lazily filled tree of one JSON value (key · value · type)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("jsonTree")
        self.setColumnCount(3)
        self.setHeaderLabels(["Key", "Value", "Type"])
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        header = self.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        self.setColumnWidth(0, 180)
        self.itemExpanded.connect(self._fill)
        self.itemActivated.connect(self._more)
        self.value: Any = None
        self._labels: Mapping[str, str] = {}

    def set_value(self, value: Any, *, expand: int = 1, labels: Mapping[str, str] | None = None) -> None:
        """Show ``value``; the first ``expand`` levels open. ``labels`` names top-level keys
        (a block id key shows as the block's name, the id in its tooltip)."""
        self.clear()
        self.value = value
        self._labels = labels or {}
        if _expandable(value):
            self._add_children(self.invisibleRootItem(), value, 0)
        else:
            self._row(self.invisibleRootItem(), "(value)", value)
        if expand:
            for i in range(self.topLevelItemCount()):
                item = self.topLevelItem(i)
                if item is not None and _expandable(item.data(0, _VALUE)) and self.topLevelItemCount() <= 50:
                    item.setExpanded(True)

    def _row(self, parent: QTreeWidgetItem, key: str, value: Any) -> QTreeWidgetItem:
        item = QTreeWidgetItem(parent, [key, summary(value), kind(value)])
        item.setData(0, _VALUE, value)
        item.setToolTip(1, summary(value))
        if _expandable(value):
            item.setChildIndicatorPolicy(QTreeWidgetItem.ChildIndicatorPolicy.ShowIndicator)
        if isinstance(value, dict) and value.get(_LARGE) is True:
            font = QFont(item.font(1))
            font.setItalic(True)
            item.setFont(1, font)
            item.setToolTip(1, "Sim stored this value separately because it is too large to send inline.")
        return item

    def _add_children(self, parent: QTreeWidgetItem, value: Any, start: int) -> None:
        items = list(value.items()) if isinstance(value, dict) else list(enumerate(value))
        labels = self._labels if parent is self.invisibleRootItem() and isinstance(value, dict) else {}
        for key, child in items[start : start + PAGE]:
            text = str(key) if isinstance(value, dict) else f"[{key}]"
            row = self._row(parent, labels.get(text) or text, child)
            if text in labels:
                row.setToolTip(0, text)
        if len(items) > start + PAGE:
            more = QTreeWidgetItem(parent, [f"… {len(items) - start - PAGE} more (double-click)", "", ""])
            more.setData(0, _MORE, (value, start + PAGE))

    def _fill(self, item: QTreeWidgetItem) -> None:
        if item.childCount() == 0:
            self._add_children(item, item.data(0, _VALUE), 0)

    def _more(self, item: QTreeWidgetItem, _column: int) -> None:
        more = item.data(0, _MORE)
        if not more:
            return
        parent = item.parent() or self.invisibleRootItem()
        parent.removeChild(item)
        self._add_children(parent, more[0], more[1])


class JsonHighlighter(QSyntaxHighlighter):
    """Colours JSON keys, strings, numbers and literals; :meth:`set_error` marks a bad spot."""

    _RULES = (
        ("key", r'"(?:[^"\\]|\\.)*"(?=\s*:)'),
        ("string", r'"(?:[^"\\]|\\.)*"'),
        ("number", r"-?\b\d+(?:\.\d+)?(?:[eE][+-]?\d+)?\b"),
        ("literal", r"\b(?:true|false|null)\b"),
        ("punct", r"[{}\[\],:]"),
    )

    def __init__(self, document: QTextDocument, palette: QPalette, follow: QWidget | None = None) -> None:
        """``follow``: the editor showing ``document``; its theme changes re-colour the text."""
        super().__init__(document)
        self._formats: dict[str, QTextCharFormat] = {}
        self._patterns = [(name, QRegularExpression(rx)) for name, rx in self._RULES]
        self._error: tuple[int, int] | None = None  # (block number, column) of a syntax error
        self.set_palette(follow.palette() if follow is not None else palette)
        if follow is not None:  # a theme switched later must not leave light colours on dark
            follow.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.PaletteChange and isinstance(watched, QWidget):
            self.set_palette(watched.palette())
        return False

    def set_palette(self, palette: QPalette) -> None:
        """Pick colours for ``palette`` (light or dark) and re-colour."""
        self._underline = role_color(Role.INVALID_UNDERLINE, palette)
        for name, color in json_colors(palette).items():
            fmt = QTextCharFormat()
            fmt.setForeground(color)
            if name == "key":
                fmt.setFontWeight(QFont.Weight.DemiBold)
            self._formats[name] = fmt
        self.rehighlight()

    def set_error(self, line: int | None, column: int | None) -> None:
        """Underline the character at 1-based ``line``/``column`` (``None`` clears)."""
        self._error = (line - 1, max(0, (column or 1) - 1)) if line else None
        self.rehighlight()

    def highlightBlock(self, text: str) -> None:
        taken = [False] * len(text)
        for name, pattern in self._patterns:
            it = pattern.globalMatch(text)
            while it.hasNext():
                match = it.next()
                start, length = match.capturedStart(), match.capturedLength()
                if any(taken[start : start + length]):
                    continue
                self.setFormat(start, length, self._formats[name])
                taken[start : start + length] = [True] * length
        if self._error and self._error[0] == self.currentBlock().blockNumber():
            fmt = QTextCharFormat()
            fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
            fmt.setUnderlineColor(self._underline)
            column = min(self._error[1], max(0, len(text) - 1))
            self.setFormat(column, max(1, len(text) - column), fmt)
