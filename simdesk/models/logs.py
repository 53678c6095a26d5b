"""The logs table: every run of a workspace as immutable :class:`~simdesk.core.usage.LogEntry` rows.

As the jobs table: frozen rows in a list with a ``run id → row`` index, new rows inserted with
begin/end calls (a page at the end, live news at the top, one insert each), changed rows reported
with ``dataChanged`` over consecutive ranges. :class:`LogsProxy` sorts (by ``SortRole``: times
and numbers, not their text) and filters by the query's text and statuses, so typing in the
search box never goes to the server.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor

from simdesk.core.jobs import format as fmt
from simdesk.core.logs_query import LogQuery
from simdesk.core.runs import RunStatus
from simdesk.core.usage import LogEntry
from simdesk.models.jobs.table import changed_ranges

Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()
_DISPLAY = Qt.ItemDataRole.DisplayRole
SortRole = Qt.ItemDataRole.UserRole + 10
EntryRole = Qt.ItemDataRole.UserRole + 11


class Column(IntEnum):
    STARTED = 0
    WORKFLOW = 1
    TRIGGER = 2
    STATUS = 3
    DURATION = 4
    COST = 5


HEADERS = ("Started", "Workflow", "Trigger", "Status", "Duration", "Cost")
_ROLES = frozenset(
    {
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.ForegroundRole,
        Qt.ItemDataRole.TextAlignmentRole,
        Qt.ItemDataRole.ToolTipRole,
        SortRole,
        EntryRole,
    }
)
_COLUMN_COUNT = len(Column)  # asked for thousands of times per insert: no enum walk each time
_STATUS_COLOURS = {RunStatus.FAILED: "#d92d20", RunStatus.CANCELLED: "#b54708", RunStatus.RUNNING: "#1570ef"}


def duration_text(ms: float | None) -> str:
    """ "840 ms", "3.2 s", else the jobs table's minutes and hours; "" when unknown."""
    if ms is None:
        return ""
    if ms < 1000:
        return f"{ms:.0f} ms"
    if ms < 60_000:
        return f"{ms / 1000:.1f} s"
    return fmt.duration(ms / 1000)


def _started(entry: LogEntry) -> float:
    return entry.started_at.timestamp() if entry.started_at is not None else 0.0


class LogsTableModel(QAbstractTableModel):
    """Log rows, newest first as the server sends them."""

    def __init__(self, now: Callable[[], float] = time.time, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._now = now
        self._rows: list[LogEntry] = []
        self._row_of: dict[str, int] = {}
        self.names: Mapping[str, str] = {}

    def rowCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else _COLUMN_COUNT

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == _DISPLAY and 0 <= section < len(HEADERS):
            return HEADERS[section]
        return None

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        if role not in _ROLES or not index.isValid():  # a delegate asks ~8 roles per cell per paint
            return None
        entry = self._rows[index.row()]
        column = index.column()
        if role == _DISPLAY:
            return self._text(entry, Column(column))
        if role == SortRole:
            return self.sort_key(index.row(), index.column())
        if role == EntryRole:
            return entry
        if role == Qt.ItemDataRole.ForegroundRole and column == Column.STATUS:
            colour = _STATUS_COLOURS.get(entry.status)
            return QColor(colour) if colour else None
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (Column.DURATION, Column.COST):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and column == Column.STARTED:
            return f"{entry.started_at.isoformat() if entry.started_at else ''}\nrun {entry.run_id}"
        return None

    def _text(self, entry: LogEntry, column: Column) -> str:
        if column == Column.STARTED:
            return fmt.clock_time(_started(entry) if entry.started_at else None, self._now())
        if column == Column.WORKFLOW:
            return entry.workflow_name or self.names.get(entry.workflow_id or "", entry.workflow_id or "")
        if column == Column.TRIGGER:
            return entry.trigger or ""
        if column == Column.STATUS:
            return entry.status.value
        if column == Column.DURATION:
            return duration_text(entry.duration_ms)
        return fmt.cost(entry.cost)

    def sort_key(self, row: int, column: int) -> Any:
        entry = self._rows[row]
        if column == Column.STARTED:
            return _started(entry)
        if column == Column.DURATION:
            return entry.duration_ms if entry.duration_ms is not None else -1.0
        if column == Column.COST:
            return entry.cost if entry.cost is not None else -1.0
        return self._text(entry, Column(column)).casefold()

    # --- changes ---------------------------------------------------------------------------

    def set_names(self, names: Mapping[str, str]) -> None:
        """Workflow id → name (the list items name only the id)."""
        self.names = dict(names)
        if self._rows:
            self.dataChanged.emit(self.index(0, Column.WORKFLOW), self.index(len(self._rows) - 1, Column.WORKFLOW))

    def reset(self, entries: Iterable[LogEntry]) -> None:
        self.beginResetModel()
        self._rows = list({e.run_id: e for e in entries}.values())
        self._row_of = {e.run_id: row for row, e in enumerate(self._rows)}
        self.endResetModel()

    def apply(self, entries: Sequence[LogEntry]) -> None:
        """Update known rows and add new ones: newer than every row at the top, else at the end."""
        changed: list[int] = []
        added: dict[str, LogEntry] = {}
        for entry in entries:
            row = self._row_of.get(entry.run_id)
            if row is None:
                added[entry.run_id] = entry
            elif self._rows[row] != entry:
                self._rows[row] = entry
                changed.append(row)
        for first, last in changed_ranges(changed):
            self.dataChanged.emit(self.index(first, 0), self.index(last, _COLUMN_COUNT - 1))
        if not added:
            return
        fresh = sorted(added.values(), key=_started, reverse=True)
        newest = _started(self._rows[0]) if self._rows else float("-inf")
        if self._rows and _started(fresh[-1]) >= newest:
            self.beginInsertRows(_ROOT, 0, len(fresh) - 1)
            self._rows[:0] = fresh
            self._row_of = {e.run_id: row for row, e in enumerate(self._rows)}
        else:
            start = len(self._rows)
            self.beginInsertRows(_ROOT, start, start + len(fresh) - 1)
            for offset, entry in enumerate(fresh):
                self._rows.append(entry)
                self._row_of[entry.run_id] = start + offset
        self.endInsertRows()

    # --- lookups ---------------------------------------------------------------------------

    def entry_at(self, row: int) -> LogEntry | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, run_id: str) -> int | None:
        return self._row_of.get(run_id)

    def entries(self) -> list[LogEntry]:
        return list(self._rows)


class LogsProxy(QSortFilterProxyModel):
    """The table as shown: the query's text and statuses applied, sorted by ``SortRole``."""

    def __init__(self, source: LogsTableModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._model = source
        self._query: LogQuery | None = None
        self.setSourceModel(source)
        self.setSortRole(SortRole)
        self.setDynamicSortFilter(True)

    def set_query(self, query: LogQuery) -> None:
        if query != self._query:
            self.beginFilterChange()
            self._query = query
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        query = self._query
        if query is None or (not query.text.strip() and not query.statuses):
            return True
        entry = self._model.entry_at(source_row)
        if entry is None:
            return False
        if query.statuses and entry.status.value not in query.statuses:
            return False
        return query.matches_text(entry, self._model.names)

    def lessThan(self, left: Index, right: Index) -> bool:
        less: bool = self._model.sort_key(left.row(), left.column()) < self._model.sort_key(right.row(), right.column())
        return less

    def entry(self, index: Index) -> LogEntry | None:
        value = index.data(EntryRole) if index.isValid() else None
        return value if isinstance(value, LogEntry) else None
