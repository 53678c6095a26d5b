"""The Batches panel (``batchesPanel``): one workflow over a table of inputs, with live progress.

At the top, the batch shown (a list of every stored batch) and "New batch…"; below it the
batch's progress (a bar, done / failed / running / waiting, throughput, ETA and cost) with
Pause, Resume and Cancel; then its rows as a table, filterable by status and text, with "Retry
failed rows", "Open in console" and "Export…". Everything goes through
:class:`~simdesk.services.batches.BatchService`; the panel holds no batch logic of its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from simdesk.core.batch_store import Batch, BatchState, RowState
from simdesk.core.jobs import format as fmt
from simdesk.models.batch_rows import BatchRowsModel, Fixed
from simdesk.services.batch_runner import BatchProgress
from simdesk.services.batches import BatchService
from simdesk.ui.batch_new import ChooseFile, NewBatchDialog, choose_table
from simdesk.ui.jobs.panel import Confirm, ask

SaveAs = Callable[[QWidget, str], str]
FILTERS: tuple[tuple[str, tuple[RowState, ...]], ...] = (
    ("All rows", ()),
    ("Done", (RowState.DONE,)),
    ("Failed", (RowState.FAILED, RowState.INVALID)),
    ("Running", (RowState.SENDING,)),
    ("Waiting", (RowState.WAITING,)),
    ("Cancelled", (RowState.CANCELLED,)),
)
STATE_WORDS = {
    BatchState.READY: "ready",
    BatchState.RUNNING: "running",
    BatchState.PAUSED: "paused",
    BatchState.CANCELLED: "cancelled",
    BatchState.FINISHED: "finished",
}
FIXED_WIDTHS = {Fixed.ROW: 56, Fixed.STATUS: 84, Fixed.DURATION: 76, Fixed.COST: 64}
EMPTY_HINT = (
    "Run one workflow once per row of a table: choose “New batch…”, pick a CSV, TSV, JSON Lines or "
    "JSON file (or paste rows from a spreadsheet), check which column fills each input, and start. "
    "Batches survive restarts; a stopped one continues where it was."
)


def _is_paths(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, Path) for v in value)


def save_results(parent: QWidget, suggested: str) -> str:
    """The save dialog for results (tests pass their own)."""
    path, _ = QFileDialog.getSaveFileName(
        parent, "Export results", suggested, "CSV (*.csv);;JSON Lines (*.jsonl);;Excel (*.xlsx)"
    )
    return path


def progress_line(progress: BatchProgress) -> str:
    """ "done 420 · failed 3 · running 8 · waiting 569"."""
    return f"done {progress.done} · failed {progress.failed} · running {progress.running} · waiting {progress.waiting}"


def pace_line(progress: BatchProgress) -> str:
    """ "12.5 rows/s · ETA 45 s · cost 0.120" (what is known)."""
    parts = []
    if progress.rows_per_s > 0:
        parts.append(f"{progress.rows_per_s:.3g} rows/s")
    if progress.eta_s is not None and progress.state is BatchState.RUNNING:
        parts.append(f"ETA {fmt.duration(progress.eta_s)}")
    parts.append(f"cost {progress.counts.cost:.3f}")
    return " · ".join(parts)


def compact_line(progress: BatchProgress) -> str:
    """The status bar's words for a running batch: "Batch 420/1000 · 3 failed"."""
    text = f"Batch {progress.counts.settled}/{progress.counts.total}"
    return text + (f" · {progress.failed} failed" if progress.failed else "")


class BatchesPanel(QWidget):
    """The batch list, a batch's progress and its rows.

    Signals:
        open_in_console(str workflow_id, dict input): load a row's input into the run console.
        dialog_opened(QDialog): the new-batch form was opened (tests use it).
    """

    open_in_console = Signal(str, dict)
    dialog_opened = Signal(object)

    def __init__(
        self,
        service: BatchService,
        *,
        profile: Callable[[], str],
        workflows: Callable[[], Sequence[tuple[str, str]]] = lambda: (),
        current_workflow: Callable[[], str | None] = lambda: None,
        confirm: Confirm = ask,
        choose_file: ChooseFile = choose_table,
        save_as: SaveAs = save_results,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("batchesPanel")
        self.service = service
        self._profile = profile
        self._workflows = workflows
        self._current_workflow = current_workflow
        self._confirm = confirm
        self._choose_file = choose_file
        self._save_as = save_as
        self.model = BatchRowsModel(service.store, self)
        self.last_message = ""
        self._build()
        self._wire()
        self.reload_batches()

    # --- building -------------------------------------------------------------------------------

    def _build(self) -> None:
        self.picker = QComboBox()
        self.picker.setObjectName("batchPicker")
        self.picker.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.picker.setMinimumContentsLength(24)
        self.new_button = QPushButton("New batch…")
        self.new_button.setObjectName("newBatch")
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Forget this batch and its results (not the runs on Sim)")
        top = QHBoxLayout()
        top.addWidget(self.picker, 1)
        top.addStretch(0)
        for button in (self.new_button, self.remove_button):
            button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
            top.addWidget(button)

        self.bar = QProgressBar()
        self.bar.setObjectName("batchProgress")
        self.bar.setTextVisible(True)
        self.counts_label = QLabel()
        self.counts_label.setObjectName("batchCounts")
        self.pace_label = QLabel()
        self.pace_label.setObjectName("batchPace")
        self.pause_button = QPushButton("Pause")
        self.pause_button.setToolTip("Start no new rows; rows running now finish")
        self.resume_button = QPushButton("Resume")
        self.resume_button.setToolTip("Continue with the rows not yet run")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Cancel the rows running (on Sim too) and every row not yet sent")
        controls = QHBoxLayout()
        controls.addWidget(self.bar, 1)
        controls.addWidget(self.pause_button)
        controls.addWidget(self.resume_button)
        controls.addWidget(self.cancel_button)
        figures = QHBoxLayout()
        figures.addWidget(self.counts_label)
        figures.addStretch(1)
        figures.addWidget(self.pace_label)
        self.notice = QLabel()
        self.notice.setObjectName("batchNotice")
        self.notice.setWordWrap(True)
        self.notice.hide()

        self.status_filter = QComboBox()
        self.status_filter.setObjectName("batchStatusFilter")
        for label, _states in FILTERS:
            self.status_filter.addItem(label)
        self.search = QLineEdit()
        self.search.setObjectName("batchSearch")
        self.search.setPlaceholderText("Filter rows by text in the input, output or error")
        self.search.setClearButtonEnabled(True)
        self.retry_button = QPushButton("Retry failed rows")
        self.retry_button.setObjectName("batchRetry")
        self.console_button = QPushButton("Open in console")
        self.console_button.setToolTip("Load the selected row's input into the run console")
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Save the results as CSV, JSON Lines or Excel")
        tools = QHBoxLayout()
        tools.addWidget(self.status_filter)
        tools.addWidget(self.search, 1)
        tools.addWidget(self.retry_button)
        tools.addWidget(self.console_button)
        tools.addWidget(self.export_button)

        self.table = QTableView()
        self.table.setObjectName("batchRows")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setDefaultSectionSize(130)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.model.modelReset.connect(self._fit_columns)
        self.empty = QLabel(EMPTY_HINT)
        self.empty.setObjectName("batchesEmpty")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.details = QWidget()  # everything about the batch shown (hidden while there is none)
        inner = QVBoxLayout(self.details)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.addLayout(controls)
        inner.addLayout(figures)
        inner.addWidget(self.notice)
        inner.addLayout(tools)
        inner.addWidget(self.table, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.details, 1)
        layout.addWidget(self.empty, 1)

    def _fit_columns(self) -> None:
        header = self.table.horizontalHeader()
        for column, width in FIXED_WIDTHS.items():
            header.resizeSection(column, width)

    def _wire(self) -> None:
        s = self.service
        s.batches_changed.connect(self.reload_batches)
        s.progress_changed.connect(self._progress)
        s.rows_changed.connect(self._rows_changed)
        s.ingest_progress.connect(self._ingesting)
        s.failed.connect(self._failed)
        self.picker.currentIndexChanged.connect(lambda _i: self.show_batch(self.current_id()))
        self.new_button.clicked.connect(self.new_batch)
        self.remove_button.clicked.connect(self.remove)
        self.pause_button.clicked.connect(lambda: s.pause(self.current_id()))
        self.resume_button.clicked.connect(lambda: s.resume(self.current_id()))
        self.cancel_button.clicked.connect(self.cancel)
        self.status_filter.currentIndexChanged.connect(lambda _i: self._apply_filter())
        self.search.textChanged.connect(lambda _t: self._apply_filter())
        self.retry_button.clicked.connect(self.retry_failed)
        self.console_button.clicked.connect(self.open_selected)
        self.export_button.clicked.connect(self.export)
        self.table.doubleClicked.connect(lambda _i: self.open_selected())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())

    # --- the batch shown ------------------------------------------------------------------------

    def current_id(self) -> str:
        """The id of the batch shown ("" for none)."""
        data = self.picker.currentData()
        return data if isinstance(data, str) else ""

    def reload_batches(self) -> None:
        """List every batch (keeping the one shown)."""
        shown = self.current_id()
        batches = self.service.batches()
        self.picker.blockSignals(True)
        self.picker.clear()
        for batch in batches:
            self.picker.addItem(self._title(batch), batch.id)
        found = self.picker.findData(shown) if shown else -1
        self.picker.setCurrentIndex(found if found >= 0 else 0 if batches else -1)
        self.picker.blockSignals(False)
        has = bool(batches)
        self.empty.setVisible(not has)
        self.details.setVisible(has)
        self.picker.setVisible(has)
        self.remove_button.setVisible(has)
        if self.current_id() != self.model.batch_id:
            self.show_batch(self.current_id())
        else:
            self._show_progress(self.service.progress(self.current_id()) if has else None)

    def _title(self, batch: Batch) -> str:
        state = "reading" if self.service.is_ingesting(batch.id) else STATE_WORDS[batch.state]
        when = time.strftime("%b %d %H:%M", time.localtime(batch.created_at))
        return f"{batch.workflow_name or batch.workflow_id} · {Path(batch.source).name} · {state} · {when}"

    def show_batch(self, batch_id: str) -> None:
        """Show ``batch_id`` (its progress and rows)."""
        if batch_id and self.picker.findData(batch_id) >= 0 and self.current_id() != batch_id:
            self.picker.setCurrentIndex(self.picker.findData(batch_id))  # comes back here
            return
        self.model.set_batch(batch_id)
        self._show_progress(self.service.progress(batch_id) if batch_id else None)

    def _progress(self, progress: BatchProgress) -> None:
        if progress.batch_id == self.current_id():
            self._show_progress(progress)

    def _rows_changed(self, batch_id: str) -> None:
        if batch_id == self.model.batch_id:
            self.model.refresh()

    def _ingesting(self, batch_id: str, rows: int) -> None:
        if batch_id == self.current_id():
            self._say(f"Reading the table… {rows:,} rows so far")

    def _show_progress(self, progress: BatchProgress | None) -> None:
        batch = self.service.get(progress.batch_id) if progress is not None else None
        if progress is None or batch is None:
            self.bar.setRange(0, 1)
            self.bar.setValue(0)
            self.bar.setFormat("No batch")
            self.counts_label.setText("")
            self.pace_label.setText("")
            self.notice.hide()
            self._update_buttons()
            return
        at = self.picker.findData(batch.id)
        if at >= 0:  # the state in the title follows pause, resume and the end
            self.picker.setItemText(at, self._title(batch))
        total = progress.counts.total
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(progress.counts.settled)
        self.bar.setFormat(f"{progress.counts.settled:,} of {total:,} rows")
        self.counts_label.setText(progress_line(progress))
        self.pace_label.setText(pace_line(progress))
        running = self.service.is_running(batch.id)
        if self.service.is_ingesting(batch.id):
            pass  # the reading figure stays
        elif progress.stopped_reason:
            self._say(f"Paused: {progress.stopped_reason}")
        elif batch.state is BatchState.PAUSED and not running:
            self._say("This batch was stopped before it finished. Resume continues with the rows not yet run.")
        elif progress.state is BatchState.PAUSED and progress.waiting:
            self._say("Paused: no new rows start. Resume continues with the rows not yet run.")
        else:
            self.notice.hide()
        self._update_buttons()

    def _say(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.show()

    def _update_buttons(self) -> None:
        batch_id = self.current_id()
        batch = self.service.get(batch_id) if batch_id else None
        running = batch is not None and self.service.is_running(batch_id)
        runner_paused = running and (p := self.service.progress(batch_id)) is not None and p.state is BatchState.PAUSED
        ingesting = batch is not None and self.service.is_ingesting(batch_id)
        open_states = (BatchState.READY, BatchState.PAUSED)
        self.pause_button.setEnabled(running and not runner_paused)
        self.resume_button.setEnabled(
            batch is not None and not ingesting and (runner_paused or (not running and batch.state in open_states))
        )
        self.cancel_button.setEnabled(batch is not None and not ingesting and (running or batch.state in open_states))
        self.remove_button.setEnabled(batch is not None and not running and not ingesting)
        self.retry_button.setEnabled(batch is not None and not ingesting)
        self.export_button.setEnabled(batch is not None and not ingesting)
        self.console_button.setEnabled(self._selected_row() is not None)

    def _failed(self, message: str) -> None:
        self.last_message = message
        self._say(message)

    # --- actions --------------------------------------------------------------------------------

    def new_batch(self) -> NewBatchDialog | None:
        """Open the new-batch form (on the workflow open in the console, if any)."""
        profile = self._profile()
        if not profile:
            self._failed("Choose or add a profile first: a batch runs on a profile's Sim.")
            return None
        dialog = NewBatchDialog(
            self.service, profile, list(self._workflows()), self._current_workflow(),
            choose_file=self._choose_file, parent=self,
        )  # fmt: skip
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog_opened.emit(dialog)
        dialog.open()
        return dialog

    def cancel(self) -> None:
        """Cancel the batch shown, once the person confirms."""
        batch_id = self.current_id()
        progress = self.service.progress(batch_id)
        if progress is None:
            return
        left = progress.waiting + progress.running
        text = (
            f"Cancel this batch? {progress.running} running row(s) will be cancelled on Sim and "
            f"{left - progress.running:,} row(s) not yet sent will not run."
        )
        if self._confirm(self, "Cancel batch", text):
            self.service.cancel(batch_id)

    def remove(self) -> None:
        """Forget the batch shown, once the person confirms."""
        batch_id = self.current_id()
        if batch_id and self._confirm(self, "Remove batch", "Forget this batch and its results in simdesk?"):
            self.service.delete(batch_id)

    def retry_failed(self) -> int:
        """Run the failed and cancelled rows again."""
        count = self.service.retry_failed(self.current_id())
        self._say(f"{count:,} row(s) put back in the queue." if count else "No failed rows to retry.")
        return count

    def _apply_filter(self) -> None:
        _label, states = FILTERS[self.status_filter.currentIndex()]
        self.model.set_filter(states, self.search.text())
        self._update_buttons()

    def _selected_row(self) -> Any:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return self.model.row_at(rows[0].row()) if rows else None

    def open_selected(self) -> bool:
        """Load the selected row's input into the run console."""
        row = self._selected_row()
        batch = self.service.get(self.current_id())
        if row is None or batch is None:
            return False
        # local files go to the form as their paths
        values = {k: [str(v) for v in value] if _is_paths(value) else value for k, value in row.input.items()}
        self.open_in_console.emit(batch.workflow_id, values)
        return True

    def export(self) -> None:
        """Ask where, then write the results there on a worker thread."""
        batch = self.service.get(self.current_id())
        if batch is None:
            return
        suggested = f"{batch.workflow_name or batch.workflow_id}-results.csv".replace("/", "-")
        chosen = self._save_as(self, suggested)
        if not chosen:
            return
        path = Path(chosen)
        future = self.service.export(batch.id, path)

        def done(fut: Any) -> None:
            if not fut.cancelled() and fut.exception() is None and fut.result() is not None:
                self.last_message = f"{fut.result():,} rows saved to {path.name}"
                self._say(self.last_message)

        future.add_done_callback(done)
