"""A batch's results: a ``QAbstractTableModel`` over the rows of the batch store, a page at a time.

Columns: the row number, its status, duration, cost, one column per output (flattened one level,
as the export writes them), the error and its code. A batch may have a hundred thousand rows, so
the model holds only the pages the view has asked for (``canFetchMore``/``fetchMore``) and the
store does the filtering (by status and by text in the input, output or error). ``refresh()``
re-reads the pages held; the service calls for it at most a few times a second while a batch runs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from simdesk.core.batch_export import flatten_output
from simdesk.core.batch_store import BatchRow, BatchStore, RowState
from simdesk.core.jobs import format as fmt

Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()
PAGE = 500
_OUTPUT_SAMPLE = 50
_CELL_CHARS = 300  # a cell shows this much; the tooltip has the rest (up to a limit)

RowRole = Qt.ItemDataRole.UserRole + 1  # the BatchRow itself
StateRole = Qt.ItemDataRole.UserRole + 2  # the row's RowState value ("failed")


class Fixed(IntEnum):
    """The columns before the outputs."""

    ROW = 0
    STATUS = 1
    DURATION = 2
    COST = 3


STATUS_WORDS = {
    RowState.INVALID: "invalid",
    RowState.WAITING: "waiting",
    RowState.SENDING: "running",
    RowState.DONE: "done",
    RowState.FAILED: "failed",
    RowState.CANCELLED: "cancelled",
}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


class BatchRowsModel(QAbstractTableModel):
    """The rows of one batch, filtered by status and text."""

    def __init__(self, store: BatchStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._batch_id = ""
        self._states: tuple[RowState, ...] = ()
        self._text = ""
        self._rows: list[BatchRow] = []
        self._total = 0
        self._outputs: list[str] = []

    # --- what is shown --------------------------------------------------------------------------

    @property
    def batch_id(self) -> str:
        """The batch shown ("" for none)."""
        return self._batch_id

    @property
    def total(self) -> int:
        """Rows matching the filter (loaded or not)."""
        return self._total

    @property
    def output_columns(self) -> list[str]:
        """The output columns shown."""
        return list(self._outputs)

    def set_batch(self, batch_id: str) -> None:
        """Show ``batch_id``'s rows (from the first page)."""
        self._batch_id = batch_id
        self._outputs = []
        self._reload(PAGE)

    def set_filter(self, states: Sequence[RowState] = (), text: str = "") -> None:
        """Only rows in ``states`` (all when empty) whose input, output or error contains ``text``."""
        self._states, self._text = tuple(states), text.strip()
        self._reload(PAGE)

    def refresh(self) -> None:
        """Re-read the rows held (a running batch changed some of them).

        When the same rows still match (no filter by status, say) they are updated in place, so
        the view keeps its selection and scroll position; otherwise the model is reset."""
        if not self._batch_id:
            return
        limit = max(len(self._rows), PAGE)
        fresh = self._store.rows(self._batch_id, states=self._states, text=self._text, limit=limit)
        outputs = list(self._outputs)
        self._learn_outputs(fresh)
        same = [r.number for r in fresh[: len(self._rows)]] == [r.number for r in self._rows]
        if not same or outputs != self._outputs or len(fresh) < len(self._rows):
            self.beginResetModel()
            self._rows = fresh
            self._total = self._store.count_rows(self._batch_id, states=self._states, text=self._text)
            self.endResetModel()
            return
        held = len(self._rows)
        self._rows[:] = fresh[:held]
        self._total = self._store.count_rows(self._batch_id, states=self._states, text=self._text)
        if held:
            self.dataChanged.emit(self.index(0, 0), self.index(held - 1, self.columnCount() - 1))

    def _reload(self, limit: int) -> None:
        self.beginResetModel()
        if self._batch_id:
            self._rows = self._store.rows(self._batch_id, states=self._states, text=self._text, limit=limit)
            self._total = self._store.count_rows(self._batch_id, states=self._states, text=self._text)
            self._learn_outputs(self._rows)
        else:
            self._rows, self._total = [], 0
        self.endResetModel()

    def _learn_outputs(self, rows: Sequence[BatchRow]) -> None:
        """Output columns from the first rows that have an output; new keys join at the end."""
        seen = dict.fromkeys(self._outputs)
        for row in rows[:_OUTPUT_SAMPLE] if self._outputs else rows:
            if row.output is not None:
                seen.update(dict.fromkeys(flatten_output(row.output)))
        self._outputs = list(seen)

    def row_at(self, index: int) -> BatchRow | None:
        """The row shown at ``index``."""
        return self._rows[index] if 0 <= index < len(self._rows) else None

    # --- Qt -------------------------------------------------------------------------------------

    def rowCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(Fixed) + len(self._outputs) + 2

    def canFetchMore(self, parent: Index = _ROOT) -> bool:
        return not parent.isValid() and len(self._rows) < self._total

    def fetchMore(self, parent: Index = _ROOT) -> None:
        if parent.isValid() or not self._batch_id:
            return
        more = self._store.rows(
            self._batch_id, states=self._states, text=self._text, offset=len(self._rows), limit=PAGE
        )
        if not more:
            return
        new_outputs = set(self._outputs)
        self._learn_outputs(more)
        if set(self._outputs) != new_outputs:
            self.beginResetModel()
            self._rows.extend(more)
            self.endResetModel()
            return
        self.beginInsertRows(_ROOT, len(self._rows), len(self._rows) + len(more) - 1)
        self._rows.extend(more)
        self.endInsertRows()

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        fixed = {Fixed.ROW: "Row", Fixed.STATUS: "Status", Fixed.DURATION: "Duration", Fixed.COST: "Cost"}
        if section < len(Fixed):
            return fixed[Fixed(section)]
        section -= len(Fixed)
        if section < len(self._outputs):
            return self._outputs[section]
        return ("Error", "Code")[section - len(self._outputs)] if section - len(self._outputs) < 2 else None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.row_at(index.row()) if index.isValid() else None
        if row is None:
            return None
        if role == RowRole:
            return row
        if role == StateRole:
            return row.state.value
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in (Fixed.ROW, Fixed.DURATION, Fixed.COST):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            text = self._cell(row, index.column())
            return text[:_CELL_CHARS] if role == Qt.ItemDataRole.DisplayRole else text[:4000] or None
        return None

    def _cell(self, row: BatchRow, column: int) -> str:
        if column == Fixed.ROW:
            return str(row.number)
        if column == Fixed.STATUS:
            return STATUS_WORDS[row.state]
        if column == Fixed.DURATION:
            return "" if row.duration_ms is None else fmt_ms(row.duration_ms)
        if column == Fixed.COST:
            return fmt.cost(row.cost)
        column -= len(Fixed)
        if column < len(self._outputs):
            return _text(flatten_output(row.output).get(self._outputs[column]))
        return (row.error or "") if column == len(self._outputs) else (row.error_code or "")


def fmt_ms(ms: float) -> str:
    """A row's duration: "840 ms", "3.2 s", then minutes."""
    if ms < 1000:
        return f"{ms:.0f} ms"
    if ms < 60_000:
        return f"{ms / 1000:.1f} s"
    return fmt.duration(ms / 1000)
