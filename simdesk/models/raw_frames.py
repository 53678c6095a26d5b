"""The raw-frames inspector's table: the newest frames of a run, as Sim sent them.

Bounded (the oldest rows leave as new ones arrive; every frame stays in the run history), and
fed in batches, one insert per paint, so a fast stream costs one model update per frame of video.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from simdesk.core.json_text import loads
from simdesk.core.text import shorten

PayloadRole = Qt.ItemDataRole.UserRole + 1
COLUMNS = ("Time", "Frame", "Block", "Data")
_Index = QModelIndex | QPersistentModelIndex


def frame_kind(payload: str) -> tuple[str, str]:
    """(kind, block id) of a frame payload, cheaply (no full parse for chunks)."""
    if payload.startswith('{"blockId":') and '"chunk":' in payload[:200] and '"event"' not in payload[:200]:
        end = payload.find('","chunk":')
        return "chunk", payload[12:end] if end > 0 else ""
    try:
        frame = loads(payload)
    except ValueError:  # malformed or nested too deep for the parser
        return "unreadable", ""
    if not isinstance(frame, dict):
        return str(frame), ""
    kind = frame.get("event") or "chunk"
    if kind == "tool":
        kind = f"tool {frame.get('phase', '')}".strip()
    return str(kind), str(frame.get("blockId") or "")


class RawFramesModel(QAbstractTableModel):
    """Time · kind · block · payload of the newest ``capacity`` frames."""

    def __init__(self, capacity: int = 5000) -> None:
        super().__init__()
        self.capacity = capacity
        self._rows: deque[tuple[float, str, str, str]] = deque()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt API
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt API
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        at, kind, block, payload = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            column = index.column()
            if column == 0:
                return f"{at:.3f} s"
            if column == 1:
                return kind
            if column == 2:
                return block
            return shorten(payload)
        if role == PayloadRole:
            return payload
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 3:
            return payload[:2000]
        return None

    def clear(self) -> None:
        """Forget every row."""
        self.beginResetModel()
        self._rows.clear()
        self.endResetModel()

    def extend(self, frames: Iterable[tuple[float, str]]) -> None:
        """Append frames (oldest rows drop out past ``capacity``)."""
        new = [(at, *frame_kind(payload), payload) for at, payload in frames][-self.capacity :]
        if not new:
            return
        overflow = len(self._rows) + len(new) - self.capacity
        if overflow > 0:
            self.beginRemoveRows(QModelIndex(), 0, overflow - 1)
            for _ in range(overflow):
                self._rows.popleft()
            self.endRemoveRows()
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
        self._rows.extend(new)
        self.endInsertRows()
