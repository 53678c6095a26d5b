"""The run console (``runConsole``): input, run modes, the live transcript, the result, the wire view.

Layout, top to bottom: the workflow's name and deployment badge with the mode and the Run / Stop
buttons (Stop never moves: it sits in the same place whether a run is going or not); the input
(form or JSON), presets and stream options; the transcript with the result under it, or the raw
frames; and the timing strip with copy and save actions.

The widget only talks to :class:`~simdesk.services.runs.RunService` and (optionally)
:class:`~simdesk.services.catalogue.CatalogueService`; it never awaits network calls itself.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from simdesk.core.input_form import from_jsonable, to_jsonable
from simdesk.core.meter import money
from simdesk.core.outline import WorkflowOutline
from simdesk.core.transcript import Outcome
from simdesk.models.raw_frames import PayloadRole, RawFramesModel
from simdesk.models.workflow_tree import badge_of
from simdesk.services.catalogue import CatalogueService, LoadedWorkflow
from simdesk.services.run_modes import RunRequest
from simdesk.services.runs import RunHeader, RunProgress, RunService
from simdesk.ui.input_form import InputForm
from simdesk.ui.json_view import JsonHighlighter
from simdesk.ui.result_view import ResultView, pill_style
from simdesk.ui.run_options import RUN_LABELS, RunOptions
from simdesk.ui.stream_view import TranscriptView
from simdesk.ui.theme import set_tone

FRAMES_SHOWN = 2000  # newest frames in the live inspector (all are in the history and the saved transcript)
NO_INDICATOR = "QToolButton::menu-indicator { image: none; width: 0px; }"
NO_OUTPUTS = (
    "No outputs chosen: Sim will send the answer whole at the end. Pick outputs to stream "
    "(they are offered after the first run)."
)
_BADGE_STATUS = {"Deployed": "completed", "Needs redeploy": "paused", "Not deployed": "failed"}


def timing_text(progress: RunProgress) -> str:
    """The timing strip's text."""
    t = progress.timing
    parts = [progress.status, f"{progress.elapsed_s:.1f} s"]
    if t.ttfc_ms is not None:
        parts.append(f"first chunk {t.ttfc_ms:.0f} ms")
    if t.chunks:
        rate = t.chunks_per_s
        parts.append(f"{t.chunks:,} chunks" + (f" · {rate:,.0f}/s" if rate else ""))
    if progress.server_duration_ms is not None:
        parts.append(f"server {progress.server_duration_ms / 1000:.2f} s")
    if progress.cost is not None:
        parts.append(money(progress.cost))
    return "  ·  ".join(parts)


def waiting_text(seconds: float) -> str:
    """The line shown while a stream waits for its first frame: "Waiting for the first output · 41 s"."""
    whole = int(seconds)
    minutes, secs = divmod(whole, 60)
    return f"Waiting for the first output · {f'{minutes} min {secs:02d} s' if minutes else f'{secs} s'}"


class RunConsole(QWidget):
    """Runs one workflow at a time and shows how it goes.

    Signals:
        message(str): something to tell the user in the status bar (copied, saved, …).
    """

    message = Signal(str)

    def __init__(
        self, runs: RunService, catalogue: CatalogueService | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("runConsole")
        self.runs = runs
        self.catalogue = catalogue
        self.workflow: LoadedWorkflow | None = None
        self._pending_input: dict[str, Any] | None = None  # a reopened run's, for when its workflow opens
        self._pending_options: dict[str, Any] | None = None
        self._build()
        self._wire()
        self.set_workflow(None)

    # --- building ------------------------------------------------------------------------

    def _build(self) -> None:
        self.title = QLabel("No workflow chosen")
        self.title.setObjectName("consoleTitle")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.title.setFont(font)
        self.badge = QLabel()
        self.badge.setObjectName("deployBadge")
        self.options = RunOptions()
        self.run_button = QPushButton(RUN_LABELS["stream"])
        self.run_button.setObjectName("runButton")
        self.run_button.setDefault(True)
        self.run_button.setToolTip("Run (Ctrl+Enter)")
        self.stop_button = QPushButton("■ Stop")
        self.stop_button.setObjectName("stopButton")
        self.stop_button.setToolTip("Cancel the run on Sim and close the stream (Esc)")
        self.stop_button.setEnabled(False)
        header = QHBoxLayout()
        header.addWidget(self.title)
        header.addWidget(self.badge)
        header.addStretch(1)
        header.addWidget(self.options.modes)
        header.addSpacing(6)
        header.addWidget(self.run_button)
        header.addWidget(self.stop_button)

        self.notice = QLabel()
        self.notice.setObjectName("consoleNotice")
        self.notice.setWordWrap(True)
        set_tone(self.notice, "hint")
        self.notice.hide()

        self.form = InputForm()
        self.presets = QComboBox()
        self.presets.setObjectName("presetBox")
        self.presets.setMinimumWidth(140)
        self.save_preset_button = QToolButton()
        self.save_preset_button.setText("Save preset…")
        self.delete_preset_button = QToolButton()
        self.delete_preset_button.setText("Delete")
        preset_row = QHBoxLayout()
        preset_row.addWidget(QLabel("Preset"))
        preset_row.addWidget(self.presets, 1)
        preset_row.addWidget(self.save_preset_button)
        preset_row.addWidget(self.delete_preset_button)
        # On a short screen the input form scrolls (presets and options stay in sight) rather
        # than pushing the console past its dock.
        input_scroll = QScrollArea()
        input_scroll.setObjectName("inputScroll")
        input_scroll.setWidgetResizable(True)
        input_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        input_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        input_scroll.setWidget(self.form)
        line = self.fontMetrics().height()
        input_scroll.setMinimumHeight(line * 2)
        input_panel = self.input_panel = QWidget()
        input_layout = QVBoxLayout(input_panel)
        input_layout.setContentsMargins(0, 0, 0, 0)
        input_layout.addWidget(input_scroll, 1)
        input_layout.addLayout(preset_row)
        input_layout.addWidget(self.options)

        self.transcript = TranscriptView()
        self.follow_button = QToolButton()
        self.follow_button.setText("↓ Follow the stream")
        self.follow_button.setObjectName("followButton")
        self.follow_button.hide()
        self.run_notices = QLabel()
        self.run_notices.setObjectName("runNotices")
        self.run_notices.setWordWrap(True)
        self.run_notices.hide()
        self.result = ResultView()
        self.waiting = QLabel()
        self.waiting.setObjectName("waitingForOutput")
        waiting_hint = self.waiting_hint = QLabel(
            "Sim answers a stream only once the workflow has its first output (an agent may think or "
            "call tools for minutes first). Stop cancels the run."
        )
        waiting_hint.setObjectName("placeholderHint")
        waiting_hint.setWordWrap(True)
        self.waiting_box = QWidget()
        waiting_layout = QVBoxLayout(self.waiting_box)
        waiting_layout.setContentsMargins(10, 8, 10, 8)
        waiting_layout.addWidget(self.waiting)
        waiting_layout.addWidget(waiting_hint)
        self.waiting_box.hide()
        live = QWidget()
        live_layout = QVBoxLayout(live)
        live_layout.setContentsMargins(0, 0, 0, 0)
        live_layout.addWidget(self.waiting_box)
        live_layout.addWidget(self.run_notices)
        live_layout.addWidget(self.transcript, 1)
        live_layout.addWidget(self.follow_button, 0, Qt.AlignmentFlag.AlignRight)
        self.output_split = QSplitter(Qt.Orientation.Vertical)
        self.output_split.addWidget(live)
        self.output_split.addWidget(self.result)
        self.output_split.setStretchFactor(0, 3)
        self.output_split.setStretchFactor(1, 2)

        self.frames_model = RawFramesModel()
        self.frames_table = QTableView()
        self.frames_table.setObjectName("rawFrames")
        self.frames_table.setModel(self.frames_model)
        self.frames_table.verticalHeader().hide()
        self.frames_table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.frames_table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.frames_table.setWordWrap(False)
        self.frames_table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.frame_detail = QPlainTextEdit()
        self.frame_detail.setReadOnly(True)
        self.frame_detail.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.frame_detail.setMaximumHeight(140)
        self.frame_detail.setPlaceholderText("Select a frame to see it in full")
        self._frame_highlighter = JsonHighlighter(self.frame_detail.document(), self.palette(), self.frame_detail)
        frames_page = self.frames_page = QWidget()
        frames_layout = QVBoxLayout(frames_page)
        frames_layout.setContentsMargins(0, 0, 0, 0)
        frames_layout.addWidget(self.frames_table, 1)
        frames_layout.addWidget(self.frame_detail)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("outputTabs")
        self.tabs.addTab(self.output_split, "Transcript")
        self.tabs.addTab(frames_page, "Raw frames")

        self.timing = QLabel("Ready")
        self.timing.setObjectName("timingStrip")
        self.timing.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.timing.setWordWrap(True)  # a narrow console wraps the figures rather than cutting them
        self.copy_button = QToolButton()
        self.copy_button.setText("Copy output")
        self.copy_button.setObjectName("copyOutput")
        self.copy_as = QToolButton()
        self.copy_as.setText("Copy as ▾")
        self.copy_as.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.copy_as)
        menu.addAction("cURL", lambda: self.copy_snippet("curl"))
        menu.addAction("Python (simstudio-sdk)", lambda: self.copy_snippet("python"))
        menu.addAction("sim CLI", lambda: self.copy_snippet("cli"))
        self.copy_as.setMenu(menu)
        self.copy_as.setStyleSheet(NO_INDICATOR)
        self.save_button = QToolButton()
        self.save_button.setText("Save ▾")
        self.save_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        save_menu = QMenu(self.save_button)
        save_menu.addAction("Transcript as JSON…", lambda: self._ask_save("json"))
        save_menu.addAction("Transcript as Markdown…", lambda: self._ask_save("markdown"))
        self.save_button.setMenu(save_menu)
        self.save_button.setStyleSheet(NO_INDICATOR)
        strip = QHBoxLayout()
        strip.addWidget(self.timing, 1)
        strip.addWidget(self.copy_button)
        strip.addWidget(self.copy_as)
        strip.addWidget(self.save_button)

        self.split = QSplitter(Qt.Orientation.Vertical)
        self.split.setObjectName("consoleSplit")
        for view in (self.transcript, self.result.tree, self.frames_table, self.frame_detail):  # they scroll
            view.setMinimumHeight(line * 2 + 8)
        self.split.addWidget(input_panel)
        self.split.addWidget(self.tabs)
        self.split.setStretchFactor(0, 2)
        self.split.setStretchFactor(1, 5)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.notice)
        layout.addWidget(self.split, 1)
        layout.addLayout(strip)

    def _wire(self) -> None:
        self.run_button.clicked.connect(self.run)
        self.stop_button.clicked.connect(self.stop)
        QShortcut(QKeySequence("Ctrl+Return"), self, self.run)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.stop)
        self.options.mode_changed.connect(lambda mode: self.run_button.setText(RUN_LABELS[mode]))
        self.options.outputs.textChanged.connect(self._outputs_edited)
        self.copy_button.clicked.connect(self.copy_output)
        self.form.changed.connect(self._input_edited)
        self.presets.activated.connect(self._load_preset)
        self.save_preset_button.clicked.connect(self._ask_preset_name)
        self.delete_preset_button.clicked.connect(self._ask_delete_preset)
        self.presets.currentIndexChanged.connect(self._preset_chosen)
        self.follow_button.clicked.connect(self.transcript.follow)
        self.transcript.following_changed.connect(self._following)
        self.transcript.notices_changed.connect(self._run_notices)
        self.frames_table.selectionModel().currentRowChanged.connect(self._frame_selected)
        runs = self.runs
        runs.started.connect(self._started)
        runs.changed.connect(self.transcript.apply)
        runs.frames.connect(self._frames_arrived)
        self.tabs.currentChanged.connect(lambda _i: self._sync_frames())
        runs.progress.connect(self._progress)
        runs.finished.connect(self._finished)
        runs.notice.connect(self.show_notice)
        runs.busy_changed.connect(self._busy)
        runs.outline_changed.connect(self._outline)
        runs.cleared.connect(self._cleared)
        if self.catalogue is not None:
            self.catalogue.workflow_loaded.connect(self.set_workflow)
            self.catalogue.workflow_failed.connect(self._workflow_failed)

    # --- the workflow --------------------------------------------------------------------

    def open_workflow(self, workflow_id: str) -> None:
        """Ask the catalogue for a workflow's inputs; the form appears when they arrive.

        A workflow already shown, or already on its way, is left as it is (a double click is a
        click and then an activation: the input typed so far must survive both)."""
        if self.catalogue is None or workflow_id in (self._opening, self.workflow and self.workflow.id):
            return
        self._opening = workflow_id
        self.catalogue.load_workflow(workflow_id)

    _opening = ""

    def open_with_input(self, workflow_id: str, values: Mapping[str, Any]) -> None:
        """Open a workflow with ``values`` in its form (a run from the logs, to be run again); an
        open workflow takes them at once (opening it again is a no-op, so nothing would)."""
        self.load_input(workflow_id, values)

    def set_workflow(self, loaded: LoadedWorkflow | None) -> None:
        """Build the form for ``loaded`` and restore its last input and options."""
        self._keep_options()
        self.workflow = loaded
        self._opening = ""
        self._input_problem = False
        self._options_profile = self.runs.profile
        has = loaded is not None
        widgets = (self.run_button, self.form, self.options, self.options.modes, self.presets, self.save_preset_button)
        for widget in widgets:
            widget.setEnabled(has and (widget is not self.run_button or not self.runs.running))
        if loaded is None:
            self.title.setText("Click a workflow in the list to open it")
            self.badge.hide()
            self.form.set_inputs((), free_form=True)
            return
        self.title.setText(loaded.name or loaded.id)
        self.title.setToolTip(loaded.id)
        badge = badge_of(loaded.detail.summary, loaded.status)
        self.badge.setText(badge.value)
        self.badge.setStyleSheet(pill_style(_BADGE_STATUS.get(badge.value, "cancelled"), self.palette()))
        self.badge.show()
        self.form.set_inputs(loaded.detail.inputs, free_form=loaded.legacy)
        self._fit_input(len(loaded.detail.inputs), loaded.legacy)
        profile = self.runs.profile
        options = self.runs.presets.options(profile, loaded.id)
        self.options.set_options(options)
        self.options.set_outline(self.runs.outline(loaded.id), fill_defaults=True)
        self.result.set_block_names(self.runs.outline(loaded.id).names())
        self.runs.prefetch_outline(loaded.id, loaded.detail.summary.workspace_id)
        header = self.runs.header
        if not self.runs.running and (
            header is None or header.workflow_id != loaded.id or header.profile != profile
        ):  # this workflow's own last run, or an empty console
            self.runs.open_last_of(loaded.id)
        restore = self._pending_input
        if restore is None or self._pending_for != loaded.id:
            restore = self.runs.presets.last_input(profile, loaded.id)
        elif self._pending_options is not None:
            self.options.set_options(self._pending_options)
        self._pending_input = self._pending_options = None
        if restore:
            self.form.set_values(from_jsonable(restore))
        self._refresh_presets()
        notes = []
        if loaded.cached:
            notes.append("Offline: the form comes from the cached catalogue.")
        if not loaded.detail.summary.is_deployed and loaded.status is not None and not loaded.status.is_deployed:
            notes.append("This workflow is not deployed: Sim will refuse to run it until it is.")
        if notes:
            self.show_notice(" ".join(notes))
        else:
            self.notice.hide()

    _pending_for = ""
    _options_profile = ""

    def _keep_options(self) -> None:
        """Remember the shown workflow's options (outputs typed but not yet run included) before
        another workflow replaces them."""
        if self.workflow is not None and self._options_profile:
            self.runs.remember_options(self._options_profile, self.workflow.id, self.options.options())

    def load_input(self, workflow_id: str, values: Mapping[str, Any]) -> None:
        """Put ``values`` in the form of ``workflow_id`` (opening that workflow first if needed),
        ready to run: a batch row or a past run the person wants to try again."""
        if self.workflow is not None and self.workflow.id == workflow_id:
            self.form.set_values(from_jsonable(values))
            return
        self._pending_input = dict(values)
        self._pending_for = workflow_id
        self.open_workflow(workflow_id)

    def _fit_input(self, fields: int, free_form: bool) -> None:
        """Give the input as much height as its fields need (the transcript gets the rest)."""
        total = max(self.split.height(), 400)
        line = self.fontMetrics().height()
        wanted = line * 9 if free_form or not fields else line * 4 + fields * (line + 16) + 40
        below = self.presets.sizeHint().height() + self.options.sizeHint().height() + 12  # presets, options
        wanted = min(max(wanted, line * 7) + below, max(total // 2, total - line * 8))
        self.split.setSizes([wanted, total - wanted])

    def _outputs_edited(self, text: str) -> None:
        """The "no outputs" banner goes once outputs are filled in (typed, picked or learnt)."""
        if text.strip() and self.notice.text() == NO_OUTPUTS:
            self.notice.hide()

    def _workflow_failed(self, workflow_id: str, message: str) -> None:
        self._opening = ""
        self.show_notice(f"Cannot open {workflow_id}: {message}")

    def _outline(self, workflow_id: str, outline: WorkflowOutline) -> None:
        if self.workflow is not None and self.workflow.id == workflow_id:
            self.options.set_outline(outline, fill_defaults=True)
            self.result.set_block_names(outline.names())

    # --- running -------------------------------------------------------------------------

    def request(self) -> RunRequest | None:
        """The run the form describes, or ``None`` (with the problems marked) if it is invalid."""
        if self.workflow is None:
            return None
        parsed = self.form.parsed()
        if not parsed.ok:
            self.show_notice(parsed.summary())
            self._input_problem = True
            return None
        options = self.options.options()
        return RunRequest(
            profile=self.runs.profile,
            workflow_id=self.workflow.id,
            workflow_name=self.workflow.name,
            mode=options["mode"],
            values=parsed.values,
            selected_outputs=tuple(options["selectedOutputs"]),
            include_thinking=options["includeThinking"],
            include_tool_calls=options["includeToolCalls"],
            execution_timeout_s=options["executionTimeoutSeconds"],
        )

    def run(self) -> bool:
        """Check the input and start the run; False if nothing was sent."""
        if self.runs.running:
            return False
        request = self.request()
        if request is None:
            return False
        self.notice.hide()
        if request.mode == "stream" and not request.selected_outputs:
            self.show_notice(NO_OUTPUTS)
        return self.runs.start(request)

    _input_problem = False  # the notice shows the input's problems: re-checked on each edit

    def _input_edited(self) -> None:
        """Once the input was refused, each edit checks it again: the notice follows the fixes and
        goes when nothing is left to fix."""
        if not self._input_problem:
            return
        self._input_problem = False  # marking the fields may emit ``changed`` again
        parsed = self.form.parsed()
        if parsed.ok:
            self.notice.hide()
        else:
            self.show_notice(parsed.summary())
            self._input_problem = True

    def stop(self) -> None:
        """Stop the run (cancel on Sim, close the stream, wait for Sim's word)."""
        if self.runs.stop():
            self.stop_button.setEnabled(False)
            self.stop_button.setText("Stopping…")

    def _busy(self, busy: bool) -> None:
        self.run_button.setEnabled(not busy and self.workflow is not None)
        if not busy:  # nothing streams any more: there is nothing to follow
            self.follow_button.hide()
        self.stop_button.setEnabled(busy)
        self.stop_button.setText("■ Stop")

    def _started(self, header: RunHeader) -> None:
        self._show_transcript()
        self.tabs.setCurrentIndex(0)
        streaming = header.mode == "stream"
        total = max(self.output_split.height(), 200)
        self.output_split.setSizes([total, 0] if streaming else [0, total])  # the result shows when it comes
        if not header.live:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(header.started_at))
            self.show_notice(f"Reopened the run of {header.workflow_name} from {when} (from the local history).")
            # the run's input and options come back with it, ready to run again or to change
            options = {**header.options, "mode": header.mode}
            if self.workflow is None or self.workflow.id != header.workflow_id:
                self._pending_options = options
            else:
                self.options.set_options(options)
            self.load_input(header.workflow_id, header.input)

    def _cleared(self) -> None:
        """No run to show: an empty transcript, result and wire view."""
        self._show_transcript()
        self.timing.setText("Ready")

    def _show_transcript(self) -> None:
        """Show the service's transcript from scratch, with no result yet and the frames to reload."""
        self.transcript.reset(self.runs.transcript)
        self.result.show_outcome(None)
        self._frames_stale = True
        self._sync_frames()
        self.frame_detail.clear()
        self.run_notices.hide()

    _frames_stale = True

    def _frames_arrived(self, _groups: object) -> None:
        """New raw frames: the table reloads from the service when it is shown (at most once a
        paint, and not at all while hidden)."""
        self._frames_stale = True
        self._sync_frames()

    def _sync_frames(self) -> None:
        if self.tabs.currentWidget() is self.frames_page and self._frames_stale:
            self.frames_model.clear()
            self.frames_model.extend(self.runs.raw_frames(FRAMES_SHOWN))
            self._frames_stale = False
            self.frames_table.scrollToBottom()

    def _progress(self, progress: RunProgress) -> None:
        self.timing.setText(timing_text(progress) if self.runs.header is not None else "Ready")
        waiting = progress.waiting_s
        if progress.held:  # not sent yet: the account's limit holds it here, not Sim's workflow
            self.waiting.setText(progress.held)
        elif waiting is not None:
            self.waiting.setText(waiting_text(waiting))
        self.waiting_hint.setVisible(not progress.held)
        self.waiting_box.setVisible(waiting is not None or bool(progress.held))

    def _finished(self, outcome: Outcome) -> None:
        streamed = bool(self.runs.transcript.blocks)
        self.result.show_outcome(outcome, streamed_text=streamed)
        total = max(self.output_split.height(), 200)
        if not streamed:
            self.output_split.setSizes([0, total])
        elif self.result.tree.isHidden():  # just the status, the error and the notes
            below = min(self.result.minimumSizeHint().height() + 8, total // 2)
            self.output_split.setSizes([total - below, below])
        else:
            self.output_split.setSizes([total * 3 // 5, total * 2 // 5])

    def _following(self, following: bool) -> None:
        self.follow_button.setVisible(not following and self.runs.running)

    def _run_notices(self, text: str) -> None:
        self.run_notices.setText(text)
        set_tone(self.run_notices, "error")
        self.run_notices.setVisible(bool(text))

    def show_notice(self, text: str) -> None:
        """Show a hint above the input."""
        self._input_problem = False
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    def _frame_selected(self, current: Any, _previous: Any) -> None:
        payload = current.data(PayloadRole) if current.isValid() else None
        if not payload:
            self.frame_detail.clear()
            return
        try:
            self.frame_detail.setPlainText(json.dumps(json.loads(payload), indent=2, ensure_ascii=False))
        except ValueError:
            self.frame_detail.setPlainText(payload)

    # --- presets -------------------------------------------------------------------------

    def _refresh_presets(self) -> None:
        self.presets.clear()
        self.presets.addItem("— choose a preset —", None)
        if self.workflow is not None:
            for name in self.runs.presets.names(self.runs.profile, self.workflow.id):
                self.presets.addItem(name, name)
        self._preset_chosen()

    def _preset_chosen(self, _index: int = -1) -> None:
        """Delete acts on the chosen preset, so it is off while none is."""
        self.delete_preset_button.setEnabled(bool(self.presets.currentData()))

    def _load_preset(self, index: int) -> None:
        name = self.presets.itemData(index)
        if self.workflow is None or not name:
            return
        values = self.runs.presets.get(self.runs.profile, self.workflow.id, name)
        if values is not None:
            self.form.set_values(from_jsonable(values))

    def _ask_preset_name(self) -> None:
        name, ok = QInputDialog.getText(self, "Save preset", "Name for this input:")
        if ok and name.strip():
            self.save_preset(name)

    def save_preset(self, name: str) -> bool:
        """Save the current (valid) input as preset ``name``."""
        if self.workflow is None:
            return False
        parsed = self.form.parsed()
        if not parsed.ok:
            self.show_notice(parsed.summary())
            return False
        try:
            self.runs.presets.save(self.runs.profile, self.workflow.id, name, to_jsonable(parsed.values))
        except ValueError as exc:
            self.show_notice(str(exc))
            return False
        self._refresh_presets()
        self.presets.setCurrentIndex(self.presets.findData(name.strip()))
        self.message.emit(f"Saved preset “{name.strip()}”")
        return True

    def _ask_delete_preset(self) -> None:
        name = self.presets.currentData()
        if not name:
            return
        answer = QMessageBox.question(
            self, "Delete preset", f"Delete the preset “{name}”? Its saved input cannot be brought back."
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.delete_preset()

    def delete_preset(self) -> None:
        """Delete the chosen preset."""
        name = self.presets.currentData()
        if self.workflow is not None and name:
            self.runs.presets.delete(self.runs.profile, self.workflow.id, name)
            self._refresh_presets()

    # --- copy and save -------------------------------------------------------------------

    def copy_snippet(self, kind: str) -> str:
        """Copy a cURL / Python / CLI command for the shown run (key masked); returns it."""
        text = self.runs.snippet(kind)
        if text:
            QGuiApplication.clipboard().setText(text)
            self.message.emit("Copied (the API key is masked)")
        return text

    def copy_output(self) -> asyncio.Future[str]:
        """Copy the answer text (all of it) or the output JSON."""
        return self.runs.copy_output(self._to_clipboard)

    def _to_clipboard(self, text: str) -> None:
        QGuiApplication.clipboard().setText(text)
        self.message.emit(f"Copied {len(text):,} characters")

    def _ask_save(self, fmt: str) -> None:
        suffix = "json" if fmt == "json" else "md"
        path, _ = QFileDialog.getSaveFileName(self, "Save transcript", f"transcript.{suffix}")
        if path:
            self.save_transcript(path, fmt)

    def save_transcript(self, path: str, fmt: str) -> asyncio.Future[bool]:
        """Write the complete transcript to ``path`` (``json`` or ``markdown``); a failure shows
        as a notice (the service's)."""
        return self.runs.save_transcript(path, fmt, lambda where: self.message.emit(f"Saved the transcript to {where}"))
