"""The new-batch form: a workflow, a table (a file or pasted text), the column → input mapping,
a preview of the first rows with their problems flagged, how to run them, and Start.

Nothing is sent before Start, and rows with problems are never sent: the preview shows which of
the first rows would be refused and why, with the same checks as the run form. Only the first
:data:`~simdesk.services.batch_ingest.PREVIEW_ROWS` rows are read here (on a worker thread), so a
huge file opens at once; the whole table is read after Start, off the GUI thread, with progress
in the panel.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from simdesk.core.batch_input import TableError
from simdesk.core.batch_mapping import ColumnMap, RowInput, auto_map, row_input, unused_columns
from simdesk.core.batch_store import RunMode
from simdesk.services.batch_ingest import Preview, TableSource, read_preview
from simdesk.services.batches import BatchService, ConcurrencyCap, NewBatch, WorkflowShape
from simdesk.services.executors import blocking_future

MODES = (
    ("Run", RunMode.SYNC, "Each row waits for its answer (the sync execution bucket)."),
    ("Stream", RunMode.STREAM, "Each row streams its answer (the sync execution bucket)."),
    (
        "Run in background",
        RunMode.ASYNC,
        "Each row is queued on Sim and followed until it ends (the larger async execution bucket).",
    ),
)
NO_COLUMN = "(leave empty)"
PREVIEW_SHOWN = 20
PASTE_SETTLE_MS = 400
ChooseFile = Callable[[QWidget], str]


def choose_table(parent: QWidget) -> str:
    """The file dialog (tests pass their own chooser)."""
    path, _ = QFileDialog.getOpenFileName(
        parent, "Choose a table of inputs", "", "Tables (*.csv *.tsv *.tab *.jsonl *.ndjson *.json);;All files (*)"
    )
    return path


class NewBatchDialog(QDialog):
    """Sets up one batch; ``accepted`` once it was handed to the service."""

    def __init__(
        self,
        service: BatchService,
        profile: str,
        workflows: Sequence[tuple[str, str]],
        current: str | None = None,
        *,
        choose_file: ChooseFile = choose_table,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("newBatchDialog")
        self.setWindowTitle("New batch")
        self.service = service
        self.profile = profile
        self._choose_file = choose_file
        self.shape: WorkflowShape | None = None
        self.preview: Preview | None = None
        self.mapping: ColumnMap = {}
        self.checked: list[RowInput] = []
        self.problem = ""  # why Start is off, when it is
        self._pending: dict[Callable[[Any], None], asyncio.Future[Any]] = {}
        self._build(workflows, current)
        self._wire()
        self.workflow_changed()
        self.mode_changed()

    # --- building -----------------------------------------------------------------------------

    def _build(self, workflows: Sequence[tuple[str, str]], current: str | None) -> None:
        self.workflow = QComboBox()
        self.workflow.setObjectName("batchWorkflow")
        self.workflow.setEditable(True)  # a workflow id not in the list can be typed
        self.workflow.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        typed = self.workflow.lineEdit()
        assert typed is not None  # an editable combo has one
        typed.setPlaceholderText("A workflow id")
        self.workflow_edit = typed
        for wf_id, name in workflows:
            self.workflow.addItem(f"{name} ({wf_id})" if name and name != wf_id else wf_id, wf_id)
        if current:
            found = self.workflow.findData(current)
            if found < 0:
                self.workflow.addItem(current, current)
                found = self.workflow.count() - 1
            self.workflow.setCurrentIndex(found)

        self.path = QLineEdit()
        self.path.setObjectName("batchPath")
        self.path.setPlaceholderText("CSV, TSV, JSON Lines or a JSON array")
        self.browse = QPushButton("Choose file…")
        file_tab = QWidget()
        file_row = QHBoxLayout(file_tab)
        file_row.addWidget(self.path, 1)
        file_row.addWidget(self.browse)
        self.paste = QPlainTextEdit()
        self.paste.setObjectName("batchPaste")
        self.paste.setPlaceholderText("Paste rows copied from a spreadsheet (first line: column names)")
        self.source_tabs = QTabWidget()
        self.source_tabs.addTab(file_tab, "File")
        self.source_tabs.addTab(self.paste, "Paste")
        self.source_tabs.setMaximumHeight(120)

        self.map_table = QTableWidget(0, 2)
        self.map_table.setObjectName("batchMapping")
        self.map_table.setHorizontalHeaderLabels(["Input", "Column"])
        self.map_table.verticalHeader().hide()
        self.map_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.preview_table = QTableWidget(0, 0)
        self.preview_table.setObjectName("batchPreview")
        self.preview_table.verticalHeader().hide()
        self.preview_table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.notes = QLabel()
        self.notes.setObjectName("batchNotes")
        self.notes.setWordWrap(True)
        self.notes.setTextFormat(Qt.TextFormat.PlainText)

        self.mode = QComboBox()
        self.mode.setObjectName("batchMode")
        for label, mode, tip in MODES:
            self.mode.addItem(label, mode.value)
            self.mode.setItemData(self.mode.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        self.concurrency = QSpinBox()
        self.concurrency.setObjectName("batchConcurrency")
        self.concurrency.setRange(1, 64)
        self.concurrency.setValue(4)
        self.concurrency.setSuffix(" at once")
        run_row = QHBoxLayout()
        run_row.addWidget(self.mode)
        run_row.addWidget(self.concurrency)
        run_row.addStretch(1)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.start_button = self.buttons.addButton("Start", QDialogButtonBox.ButtonRole.AcceptRole)
        self.start_button.setObjectName("batchStart")
        self.start_button.setEnabled(False)

        form = QFormLayout()
        form.addRow("Workflow", self.workflow)
        form.addRow("Rows from", self.source_tabs)
        form.addRow("Run each row", run_row)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("Which column fills each input"))
        layout.addWidget(self.map_table, 1)
        layout.addWidget(QLabel(f"The first rows (up to {PREVIEW_SHOWN}) as they would be sent"))
        layout.addWidget(self.preview_table, 2)
        layout.addWidget(self.notes)
        layout.addWidget(self.buttons)
        self.resize(760, 640)

    def _wire(self) -> None:
        self.workflow.activated.connect(lambda _i: self.workflow_changed())
        self.workflow_edit.editingFinished.connect(self.workflow_changed)
        self.browse.clicked.connect(self._browse)
        self.path.editingFinished.connect(self.source_changed)
        self._paste_timer = QTimer(self)
        self._paste_timer.setSingleShot(True)
        self._paste_timer.setInterval(PASTE_SETTLE_MS)
        self._paste_timer.timeout.connect(self.source_changed)
        self.paste.textChanged.connect(self._paste_timer.start)
        self.source_tabs.currentChanged.connect(lambda _i: self.source_changed())
        self.mode.currentIndexChanged.connect(lambda _i: self.mode_changed())
        self.buttons.rejected.connect(self.reject)
        self.start_button.clicked.connect(self.start)

    # --- inputs from the person ---------------------------------------------------------------

    def workflow_id(self) -> str:
        """The workflow chosen (its id)."""
        data = self.workflow.currentData()
        text = self.workflow.currentText().strip()
        if isinstance(data, str) and self.workflow.itemText(self.workflow.currentIndex()) == text:
            return data
        return text

    def workflow_changed(self) -> None:
        """Fetch the chosen workflow's inputs."""
        wf_id = self.workflow_id()
        if self.shape is not None and self.shape.workflow_id == wf_id:
            return
        self.shape = None
        if not wf_id:
            self._render()
            return
        self._follow(self.service.workflow_shape(self.profile, wf_id), self._got_shape)

    def _got_shape(self, shape: WorkflowShape | None) -> None:
        if shape is not None and shape.workflow_id == self.workflow_id():
            self.shape = shape
            self.mapping = {}
            self._render()

    def set_file(self, path: str | Path) -> None:
        """Use the table at ``path`` (as if chosen)."""
        self.source_tabs.setCurrentIndex(0)
        self.path.setText(str(path))
        self.source_changed()

    def set_text(self, text: str) -> None:
        """Use a pasted table."""
        self.source_tabs.setCurrentIndex(1)
        self.paste.setPlainText(text)
        self._paste_timer.stop()
        self.source_changed()

    def _browse(self) -> None:
        chosen = self._choose_file(self)
        if chosen:
            self.set_file(chosen)

    def source(self) -> TableSource | None:
        """The table chosen, if any."""
        if self.source_tabs.currentIndex() == 1:
            text = self.paste.toPlainText()
            return TableSource(text=text) if text.strip() else None
        path = self.path.text().strip()
        return TableSource(path=Path(path).expanduser()) if path else None

    def source_changed(self) -> None:
        """Read the first rows of the table chosen (on a worker thread)."""
        self.preview, self.mapping = None, {}
        source = self.source()
        if source is None:
            self.problem = ""
            self._render()
            return
        self.problem = "Reading the first rows…"
        self._render()
        self._follow(blocking_future(read_preview, source), self._got_preview, self._preview_failed)

    def _got_preview(self, preview: Preview) -> None:
        self.preview = preview
        self.problem = ""
        self._render()

    def _preview_failed(self, exc: BaseException) -> None:
        self.preview = None
        if isinstance(exc, TableError):
            self.problem = str(exc)
        elif isinstance(exc, OSError):
            self.problem = f"The table cannot be read: {exc.strerror or exc}"
        else:
            self.problem = f"The table cannot be read: {exc}"
        self._render()

    def mode_changed(self) -> None:
        """Cap the concurrency at what the plan allows in this mode."""
        self._follow(self.service.concurrency_cap(self.profile, self.run_mode()), self._got_cap)

    def _got_cap(self, cap: ConcurrencyCap) -> None:
        self.concurrency.setMaximum(cap.limit)
        self.concurrency.setToolTip(f"Rows in flight at once: at most {cap.limit}. {cap.reason}")

    def run_mode(self) -> RunMode:
        """The mode chosen."""
        return RunMode(self.mode.currentData())

    # --- what the form shows --------------------------------------------------------------------

    def _render(self) -> None:
        columns = self.preview.columns if self.preview else []
        inputs = self.shape.inputs if self.shape else ()
        if self.preview is not None and self.shape is not None and not self.mapping:
            self.mapping = auto_map(columns, inputs)
        self._render_mapping(columns)
        rows = self.preview.rows if self.preview else []
        self.checked = [row_input(inputs, self.mapping, row) for row in rows] if self.shape else []
        self._render_preview()
        notes, ready = self._notes(columns)
        self.notes.setText("\n".join(notes))
        self.start_button.setEnabled(ready)

    def _render_mapping(self, columns: list[str]) -> None:
        self.map_table.setRowCount(0)
        if self.shape is None or self.preview is None:
            return
        names = list(self.mapping)
        types = {spec.name: spec.type for spec in self.shape.inputs}
        self.map_table.setRowCount(len(names))
        for at, name in enumerate(names):
            label = QTableWidgetItem(f"{name} ({types[name]})" if name in types else name)
            label.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.map_table.setItem(at, 0, label)
            combo = QComboBox()
            combo.setObjectName(f"mapping:{name}")
            combo.addItem(NO_COLUMN, None)
            for column in columns:
                combo.addItem(column, column)
            combo.setCurrentIndex(max(0, combo.findData(self.mapping.get(name))))
            combo.currentIndexChanged.connect(lambda _i, n=name, c=combo: self.map_input(n, c.currentData()))
            self.map_table.setCellWidget(at, 1, combo)

    def map_input(self, name: str, column: str | None) -> None:
        """Fill input ``name`` from ``column`` (``None``: leave it empty)."""
        self.mapping[name] = column
        self._render_later()

    def _render_later(self) -> None:
        # a combo's signal must not rebuild the table that holds it while it is still emitting
        QTimer.singleShot(0, self, self._render)

    def _render_preview(self) -> None:
        names = list(self.mapping)
        table = self.preview_table
        table.clear()
        table.setColumnCount(len(names) + 2)
        table.setHorizontalHeaderLabels(["Row", *names, "Problems"])
        shown = self.checked[:PREVIEW_SHOWN]
        table.setRowCount(len(shown))
        tint = QColor(self.palette().color(self.palette().ColorRole.BrightText))
        tint.setAlpha(48)
        raw = {row.number: row for row in self.preview.rows} if self.preview else {}
        for at, checked in enumerate(shown):
            source = raw.get(checked.number)
            values = source.values if source is not None else {}
            cells = [str(checked.number)]
            cells += [_shown(values.get(column)) if column else "" for column in self.mapping.values()]
            cells.append(checked.summary())
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if not checked.ok:
                    item.setBackground(QBrush(tint))
                    item.setToolTip(checked.summary())
                table.setItem(at, col, item)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)

    def _notes(self, columns: list[str]) -> tuple[list[str], bool]:
        """What the person should know before Start, and whether Start may be pressed."""
        if self.problem:
            return [self.problem], False
        if self.source() is None:
            return ["Choose a file or paste a table."], False
        if self.shape is None:
            return ["Choose a workflow (its inputs are being fetched)."], False
        if self.preview is None:
            return [], False
        if not self.preview.rows:
            return ["The table has no rows: there is nothing to run."], False
        notes: list[str] = []
        unused = unused_columns(columns, self.mapping)
        if unused:
            notes.append(f"Not sent (no input takes them): {', '.join(unused)}.")
        empty = [name for name, column in self.mapping.items() if not column]
        if empty and self.shape.inputs:
            notes.append(f"No column fills: {', '.join(empty)} (sent empty).")
        if not any(self.mapping.values()):
            return [*notes, "No column fills any input: map at least one."], False
        bad = [row for row in self.checked if not row.ok]
        if bad:
            notes.append(
                f"{len(bad)} of the first {len(self.checked)} rows have problems and will not be sent "
                f"(row {bad[0].number}: {bad[0].summary()})."
            )
        if len(bad) == len(self.checked):
            return [*notes, "Every row shown has a problem: fix the mapping or the table."], False
        return notes, True

    # --- start ----------------------------------------------------------------------------------

    def new_batch(self) -> NewBatch | None:
        """The batch as set up, or ``None`` when it cannot start yet."""
        source = self.source()
        if source is None or self.shape is None or not self.start_button.isEnabled():
            return None
        return NewBatch(
            profile=self.profile, workflow_id=self.shape.workflow_id, workflow_name=self.shape.name,
            inputs=self.shape.inputs, source=source, mapping=dict(self.mapping), mode=self.run_mode(),
            concurrency=self.concurrency.value(),
        )  # fmt: skip

    def start(self) -> None:
        """Hand the batch to the service (it reads the table and starts) and close."""
        new = self.new_batch()
        if new is None:
            return
        self.service.create(new)
        self.accept()

    # --- async results --------------------------------------------------------------------------

    def _follow(
        self,
        future: asyncio.Future[Any],
        done: Callable[[Any], None],
        failed: Callable[[BaseException], None] | None = None,
    ) -> None:
        """Call ``done`` with ``future``'s result, unless a newer request of the same kind was made
        or the form closed meanwhile."""
        self._pending[done] = future

        def land(fut: asyncio.Future[Any]) -> None:
            if not shiboken6.isValid(self) or fut.cancelled() or self._pending.get(done) is not fut:
                return
            del self._pending[done]
            exc = fut.exception()
            if exc is None:
                done(fut.result())
            elif failed is not None:
                failed(exc)

        future.add_done_callback(land)


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else "" if value is None else repr(value)
    return text if len(text) <= 80 else text[:79] + "…"
