"""One run from the logs: its header, actions, trace waterfall, the selected span's input and
output, and the run's final output, error and cost by model.

The widget shows what :class:`~simdesk.services.logs.LogsService` delivers (``show_run``) or why
it could not (``show_problem``: a forgotten run, a workspace the key cannot read); a trace with
malformed spans still shows what could be read, with a line saying what was dropped. Actions are
signals (re-run in the console, track as a job, open in Sim's web UI) or done here (copy the id,
copy the trace as JSON).
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt, Signal, SignalInstance
from PySide6.QtGui import QGuiApplication, QResizeEvent
from PySide6.QtWidgets import (
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from simdesk.core.jobs import format as fmt
from simdesk.core.logs_query import is_live
from simdesk.core.trace import Span, Trace
from simdesk.core.usage import LogEntry
from simdesk.models.logs import duration_text
from simdesk.ui.json_view import JsonTreeView
from simdesk.ui.trace_waterfall import span_tooltip, waterfall_area

NARROW_PX = 640


class RunDetail(QWidget):
    """The detail pane of the logs panel (also usable on its own, e.g. in a dialog)."""

    rerun_requested = Signal(object, object)  # LogEntry, the run's input (None when unseen)
    track_requested = Signal(object)  # LogEntry
    open_in_sim_requested = Signal(object)  # LogEntry

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("runDetail")
        self.entry: LogEntry | None = None
        self.trace = Trace(())

        self.header = QLabel("Pick a run to see its trace.")
        self.header.setObjectName("runDetailHeader")
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.header.setWordWrap(True)
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notice = QLabel()
        self.notice.setObjectName("runDetailNotice")
        self.notice.setWordWrap(True)
        self.notice.hide()

        # a toolbar: in a narrow dock the actions that do not fit go behind its » menu
        actions = QToolBar("Run actions")
        actions.setObjectName("runActions")
        actions.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.rerun = actions.addAction("Re-run with this input")
        self.track = actions.addAction("Track as job")
        self.copy_id = actions.addAction("Copy id")
        self.copy_trace = actions.addAction("Copy trace JSON")
        self.open_sim = actions.addAction("Open in Sim")
        for action in (self.rerun, self.track, self.copy_id, self.copy_trace, self.open_sim):
            action.setEnabled(False)
        self.rerun.triggered.connect(lambda: self._emit(self.rerun_requested, self.trace.run_input()))
        self.track.triggered.connect(lambda: self._emit(self.track_requested))
        self.open_sim.triggered.connect(lambda: self._emit(self.open_in_sim_requested))
        self.copy_id.triggered.connect(self._copy_id)
        self.copy_trace.triggered.connect(self._copy_trace)

        area, self.waterfall = waterfall_area()
        self.waterfall.span_selected.connect(self._show_span)
        self.span_title = QLabel("Click a span for its input and output.")
        self.span_title.setWordWrap(True)
        self.span_input = JsonTreeView()
        self.span_output = JsonTreeView()
        self.span_tabs = QTabWidget()
        self.span_tabs.addTab(self.span_output, "Output")
        self.span_tabs.addTab(self.span_input, "Input")
        self.span_pane = span_pane = QWidget()
        span_layout = QVBoxLayout(span_pane)
        span_layout.setContentsMargins(0, 0, 0, 0)
        span_layout.addWidget(self.span_title)
        span_layout.addWidget(self.span_tabs, 1)

        self.final_output = JsonTreeView()
        self.error_text = QPlainTextEdit()
        self.error_text.setReadOnly(True)
        self.costs = QTableWidget(0, 2)
        self.costs.setHorizontalHeaderLabels(["Model", "Cost"])
        self.costs.horizontalHeader().setStretchLastSection(True)
        self.costs.verticalHeader().hide()
        self.run_tabs = QTabWidget()
        self.run_tabs.addTab(self.final_output, "Final output")
        self.run_tabs.addTab(self.error_text, "Error")
        self.run_tabs.addTab(self.costs, "Cost by model")

        self.top = top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(area)
        top.addWidget(span_pane)
        top.setStretchFactor(0, 3)
        top.setStretchFactor(1, 2)
        span_pane.setMinimumWidth(160)
        top.setSizes([600, 320])
        body = QSplitter(Qt.Orientation.Vertical)
        body.addWidget(top)
        body.addWidget(self.run_tabs)
        body.setStretchFactor(0, 3)
        body.setStretchFactor(1, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.header)
        layout.addWidget(actions)
        layout.addWidget(self.notice)
        layout.addWidget(body, 1)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # a narrow pane shows the span's input and output in a tab under the waterfall, not beside it
        narrow = event.size().width() < NARROW_PX
        if narrow and self.span_pane.parent() is self.top:  # the span joins the tabs below
            self.run_tabs.insertTab(0, self.span_pane, "Span")
            self.run_tabs.setCurrentIndex(0)
        elif not narrow and self.span_pane.parent() is not self.top:
            self.run_tabs.removeTab(self.run_tabs.indexOf(self.span_pane))
            self.top.addWidget(self.span_pane)
            self.span_pane.show()  # a page taken out of a tab widget stays hidden
            self.top.setSizes([3000, 2000])  # in proportion: the waterfall keeps the most room

    # --- what is shown -------------------------------------------------------------------

    def show_loading(self, entry: LogEntry) -> None:
        self.entry = entry
        self.header.setText(self._header_html(entry) + "<br><i>Loading the trace…</i>")
        self._set_notice("")

    def show_run(self, entry: LogEntry, trace: Trace) -> None:
        self.entry, self.trace = entry, trace
        self.header.setText(self._header_html(entry))
        self.waterfall.set_trace(trace)
        problems = list(trace.problems)
        self._set_notice("Trace: " + "; ".join(problems) + "." if problems else "")
        self.final_output.set_value(entry.final_output)
        error = _error_of(entry, trace)
        self.error_text.setPlainText(error or "No error.")
        by_model = trace.cost_by_model()
        self.costs.setRowCount(len(by_model))
        for row, (model, cost) in enumerate(sorted(by_model.items(), key=lambda kv: -kv[1])):
            self.costs.setItem(row, 0, QTableWidgetItem(model))
            self.costs.setItem(row, 1, QTableWidgetItem(f"{cost:.4f}"))
        if error:
            self.run_tabs.setCurrentWidget(self.error_text)
        for action in (self.rerun, self.copy_id, self.copy_trace, self.open_sim):
            action.setEnabled(True)
        self.rerun.setEnabled(bool(entry.workflow_id))
        self.track.setEnabled(is_live(entry))
        self.track.setToolTip("" if is_live(entry) else "This run has finished: there is nothing to track.")
        blocks = trace.blocks()
        first = next((s for s in blocks if s.failed), blocks[0] if blocks else None)
        if first is not None:
            self.waterfall.select(first.span_id)

    def show_problem(self, run_id: str, message: str) -> None:
        """The run could not be opened: say why, keep nothing of another run."""
        self.trace = Trace(())
        self.waterfall.set_trace(self.trace)
        self.final_output.set_value(None)
        self.error_text.setPlainText("")
        self.costs.setRowCount(0)
        self.header.setText(f"<b>Run {_escape(run_id)}</b>")
        self.span_title.setText("")
        self.span_input.set_value(None)
        self.span_output.set_value(None)
        self._set_notice(message)
        for action in (self.rerun, self.track, self.copy_trace):
            action.setEnabled(False)
        self.copy_id.setEnabled(True)

    def _set_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    def _show_span(self, span: Span) -> None:
        self.span_title.setText(span_tooltip(span).replace("\n", " · "))
        self.span_input.set_value(span.input)
        self.span_output.set_value(span.output)

    @staticmethod
    def _header_html(entry: LogEntry) -> str:
        name = _escape(entry.workflow_name or entry.workflow_id or "workflow")
        started = entry.started_at.strftime("%Y-%m-%d %H:%M:%S") if entry.started_at else "?"
        parts = [
            entry.status.value,
            entry.trigger or "?",
            started,
            duration_text(entry.duration_ms),
            f"cost {fmt.cost(entry.cost)}",
        ]
        return (
            f"<b>{name}</b> · "
            + " · ".join(_escape(p) for p in parts if p)
            + f"<br><small>run {_escape(entry.run_id)}</small>"
        )

    # --- actions -------------------------------------------------------------------------

    def _emit(self, signal: SignalInstance, *extra: object) -> None:
        if self.entry is not None:
            signal.emit(self.entry, *extra)

    def _copy_id(self) -> None:
        if self.entry is not None:
            QGuiApplication.clipboard().setText(self.entry.run_id)

    def _copy_trace(self) -> None:
        if self.entry is not None:
            QGuiApplication.clipboard().setText(trace_json(self.entry))


def trace_json(entry: LogEntry) -> str:
    """The run's trace spans as the server sent them, indented (``[]`` when it sent none)."""
    raw: Any = entry.raw.get("traceSpans") if isinstance(entry.raw, dict) else None
    return json.dumps(raw if raw is not None else [], indent=2, ensure_ascii=False, default=str)


def _error_of(entry: LogEntry, trace: Trace) -> str | None:
    failed = [s for s in trace.blocks() if s.failed]
    if failed:
        return "\n".join(f"{s.name}: {s.error or s.status}" for s in failed)
    raw = entry.raw.get("error") if isinstance(entry.raw, dict) else None
    if isinstance(raw, str) and raw:
        return raw
    return "The run failed (the log names no error)." if entry.status.value == "failed" else None


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
