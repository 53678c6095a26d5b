"""The logs panel: every run of a workspace, whoever started it, with filters, paging and live mode,
and the selected run's trace (or two runs compared) beside the table.

Filters by workflow, trigger and time range go to the server (a new query); status and text
filter the rows held (instantly, also offline). Scrolling to the end reads the next page. Live
mode polls for new runs at background priority, and "updated … ago" says how fresh the rows are.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from simdesk.core.jobs import format as fmt
from simdesk.core.logs_query import STATUSES, TRIGGERS, LogQuery
from simdesk.core.trace import Trace
from simdesk.core.usage import LogEntry
from simdesk.models.logs import Column, LogsProxy, LogsTableModel
from simdesk.services.logs import LogsService
from simdesk.ui.run_compare import RunCompare
from simdesk.ui.run_detail import RunDetail

COLUMN_WIDTHS = {Column.STARTED: 72, Column.TRIGGER: 68, Column.STATUS: 78, Column.DURATION: 64, Column.COST: 50}
RANGES = (
    ("Any time", None),
    ("Last hour", 1.0),
    ("Last 24 hours", 24.0),
    ("Last 7 days", 168.0),
    ("Last 30 days", 720.0),
)


class LogsPanel(QWidget):
    """The panel; the actions of its run detail are re-emitted for the window to carry out."""

    rerun_requested = Signal(object, object)
    track_requested = Signal(object)
    open_in_sim_requested = Signal(object)

    def __init__(
        self, service: LogsService, *, now: Callable[[], float] = time.time, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("logsPanel")
        self.service = service
        self._now = now
        self.workspace_id: str | None = None
        self.model = LogsTableModel(now, self)
        self.proxy = LogsProxy(self.model, self)
        self._compare_ids: tuple[str, str] | None = None
        self._details: dict[str, tuple[LogEntry, Trace]] = {}

        self.workflow = QComboBox()
        self.workflow.addItem("All workflows", "")
        self.trigger = QComboBox()
        self.trigger.addItem("All triggers", "")
        for name in TRIGGERS:
            self.trigger.addItem(name, name)
        self.status = QComboBox()
        self.status.addItem("Any status", "")
        for name in STATUSES:
            self.status.addItem(name, name)
        self.range = QComboBox()
        for label, hours in RANGES:
            self.range.addItem(label, hours)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search run id, workflow, trigger…")
        self.search.setClearButtonEnabled(True)
        self.live = QCheckBox("Live")
        self.live.setToolTip("Show new runs as they happen (a few requests a minute, never ahead of your own)")
        self.refresh = QPushButton("Refresh")
        self.updated = QLabel("not loaded yet")
        self.updated.setObjectName("logsUpdated")
        filters = QHBoxLayout()
        for combo in (self.workflow, self.trigger, self.status, self.range):
            # sized by the panel, not by the longest workflow name
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(3)
            filters.addWidget(combo, 1)
        bar = QHBoxLayout()
        bar.addWidget(self.search, 2)
        bar.addWidget(self.live)
        bar.addWidget(self.refresh)
        bar.addWidget(self.updated, 1)
        self.count = QLabel("")
        bar.addWidget(self.count)

        self.table = QTableView()
        self.table.setObjectName("logsTable")
        self.table.setModel(self.proxy)
        header = self.table.horizontalHeader()
        header.setSortIndicatorShown(True)
        header.setSectionsClickable(True)
        header.setSortIndicator(Column.STARTED, Qt.SortOrder.DescendingOrder)
        header.sortIndicatorChanged.connect(self._sort)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)  # never measure 10 000 rows
        for column, width in COLUMN_WIDTHS.items():
            header.resizeSection(column, width)
        header.setSectionResizeMode(Column.WORKFLOW, QHeaderView.ResizeMode.Stretch)
        self.more = QPushButton("Load more")
        self.more.setEnabled(False)
        self.compare_button = QPushButton("Compare")
        self.compare_button.setEnabled(False)
        self.compare_button.setToolTip("Select two runs to compare them side by side")
        self.message = QLabel("")
        self.message.setObjectName("logsMessage")
        self.message.setWordWrap(True)
        self.message.hide()
        below = QHBoxLayout()
        below.addWidget(self.more)
        below.addWidget(self.compare_button)
        below.addStretch(1)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(filters)
        left_layout.addLayout(bar)
        left_layout.addWidget(self.message)
        left_layout.addWidget(self.table, 1)
        left_layout.addLayout(below)

        self.detail = RunDetail()
        self.comparison = RunCompare()
        self.right = QTabWidget()
        self.right.addTab(self.detail, "Run")
        self.right.addTab(self.comparison, "Compare")
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.right)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        self.splitter = splitter
        self._user_split = False
        splitter.splitterMoved.connect(lambda *_: setattr(self, "_user_split", True))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(splitter)

        for combo in (self.workflow, self.trigger, self.range, self.status):  # status: the server filters failures
            combo.currentIndexChanged.connect(self._query_changed)
        self.search.textChanged.connect(self._local_filter_changed)
        self.live.toggled.connect(self.service.set_live)
        self.refresh.clicked.connect(self._query_changed)
        self.more.clicked.connect(lambda: self.service.fetch_more())
        self.compare_button.clicked.connect(self.compare_selected)
        self.table.verticalScrollBar().valueChanged.connect(self._scrolled)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.detail.rerun_requested.connect(self.rerun_requested)
        self.detail.track_requested.connect(self.track_requested)
        self.detail.open_in_sim_requested.connect(self.open_in_sim_requested)

        service.rows_reset.connect(self._reset)
        service.rows_added.connect(self._added)
        service.more_available.connect(self.more.setEnabled)
        service.updated.connect(lambda _at: self._show_updated())
        service.failed.connect(self._failed)
        service.loading.connect(lambda on: self.refresh.setEnabled(not on))
        service.detail_ready.connect(self._detail_ready)
        service.detail_failed.connect(self._detail_failed)
        self._ticker = QTimer(self)
        self._ticker.setInterval(5000)
        self._ticker.timeout.connect(self._show_updated)
        self._ticker.start()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if not self._user_split:  # the table gets more than half of a narrow panel, 40 % of a wide one
            width = self.splitter.width()
            left = width * 11 // 20 if width < 1200 else width * 2 // 5
            self.splitter.setSizes([left, width - left])

    # --- the view ------------------------------------------------------------------------

    def set_workspace(self, workspace_id: str, names: Mapping[str, str]) -> None:
        """Show a workspace's logs; ``names`` (workflow id → name) fill the workflow filter."""
        self.workspace_id = workspace_id
        self.set_names(names, keep=False)
        self._query_changed()

    def set_names(self, names: Mapping[str, str], *, keep: bool = True) -> None:
        """New workflow names (the catalogue refreshed); ``keep`` the chosen workflow if still there."""
        chosen = self.workflow.currentData() if keep else ""
        self.model.set_names(names)
        self.workflow.blockSignals(True)
        self.workflow.clear()
        self.workflow.addItem("All workflows", "")
        for workflow_id, name in sorted(names.items(), key=lambda kv: kv[1].casefold()):
            self.workflow.addItem(name, workflow_id)
        self.workflow.setCurrentIndex(max(0, self.workflow.findData(chosen)))
        self.workflow.blockSignals(False)

    def query(self) -> LogQuery | None:
        if self.workspace_id is None:
            return None
        hours = self.range.currentData()
        since = datetime.fromtimestamp(self._now(), UTC) - timedelta(hours=hours) if hours else None
        workflow, trigger, status = self.workflow.currentData(), self.trigger.currentData(), self.status.currentData()
        return LogQuery(
            self.workspace_id,
            workflow_ids=(workflow,) if workflow else (),
            triggers=(trigger,) if trigger else (),
            statuses=(status,) if status else (),
            since=since,
            text=self.search.text(),
        )

    def _sort(self, column: int, order: Qt.SortOrder) -> None:
        """Newest first is the rows' own order (no comparisons on insert); others sort in the proxy."""
        newest_first = column == Column.STARTED and order == Qt.SortOrder.DescendingOrder
        self.proxy.sort(-1 if newest_first else column, order)

    def _query_changed(self) -> None:
        query = self.query()
        if query is None:
            return
        self._set_message("")
        self.proxy.set_query(query)
        # status and text are filtered here: the server is asked without them (failures aside)
        self.service.open(replace(query, text="", statuses=query.statuses if query.statuses == ("failed",) else ()))
        self._count()

    def _local_filter_changed(self) -> None:
        query = self.query()
        if query is not None:
            self.proxy.set_query(query)
            self._count()

    def _reset(self, entries: list[LogEntry], cached: bool) -> None:
        self.model.reset(entries)
        self._count()
        self._show_updated()
        if cached and entries:
            self._set_message("Showing saved runs; asking the server for fresh ones…")

    def _added(self, entries: list[LogEntry]) -> None:
        self.model.apply(entries)
        self._count()

    def _count(self) -> None:
        shown, held = self.proxy.rowCount(), self.model.rowCount()
        self.count.setText(f"{shown:,} runs" if shown == held else f"{shown:,} of {held:,} runs")

    def _show_updated(self) -> None:
        at = self.service.last_updated
        self.updated.setText("not updated yet" if at is None else f"updated {fmt.ago(at, self._now())}")
        if at is not None and self.message.text().startswith("Showing saved runs"):
            self._set_message("")

    def _failed(self, message: str) -> None:
        held = self.model.rowCount()
        self._set_message(message + (" The rows shown are the last ones saved." if held else ""))

    def _set_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def _scrolled(self, value: int) -> None:
        bar = self.table.verticalScrollBar()
        if value >= bar.maximum() - 2 and self.more.isEnabled():
            self.service.fetch_more()

    # --- selection, detail, compare ------------------------------------------------------

    def selected_entries(self) -> list[LogEntry]:
        rows = self.table.selectionModel().selectedRows()
        found = [self.proxy.entry(index) for index in rows]
        return [e for e in found if e is not None]

    def select_run(self, run_id: str) -> None:
        row = self.model.row_of(run_id)
        if row is not None:
            index = self.proxy.mapFromSource(self.model.index(row, 0))
            flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
            self.table.selectionModel().select(index, flags)
            self.table.scrollTo(index)

    def _selection_changed(self) -> None:
        chosen = self.selected_entries()
        self.compare_button.setEnabled(len(chosen) == 2)
        if len(chosen) == 1:
            self.right.setCurrentWidget(self.detail)
            self.detail.show_loading(chosen[0])
            self.service.open_run(chosen[0].run_id)

    def compare_selected(self) -> None:
        chosen = self.selected_entries()
        if len(chosen) != 2:
            return
        older, newer = sorted(chosen, key=lambda e: e.started_at or datetime.min.replace(tzinfo=UTC))
        self._compare_ids = (older.run_id, newer.run_id)
        self.right.setCurrentWidget(self.comparison)
        self.comparison.title.setText("Loading both traces…")
        for entry in (older, newer):
            if entry.run_id in self._details:
                self._maybe_compare()
            else:
                self.service.open_run(entry.run_id)

    def _detail_ready(self, entry: LogEntry, trace: Trace) -> None:
        self._details[entry.run_id] = (entry, trace)
        if len(self._details) > 64:  # a few recent runs, for compare
            self._details.pop(next(iter(self._details)))
        chosen = self.selected_entries()
        if len(chosen) == 1 and chosen[0].run_id == entry.run_id:
            self.detail.show_run(entry, trace)
        self._maybe_compare()

    def _maybe_compare(self) -> None:
        if self._compare_ids is None:
            return
        a, b = (self._details.get(i) for i in self._compare_ids)
        if a is not None and b is not None:
            self._compare_ids = None
            self.comparison.compare(a, b)

    def _detail_failed(self, run_id: str, message: str) -> None:
        if self._compare_ids is not None and run_id in self._compare_ids:
            self._compare_ids = None
            self.comparison.title.setText(f"Cannot compare: {message}")
            return
        self.detail.show_problem(run_id, message)
