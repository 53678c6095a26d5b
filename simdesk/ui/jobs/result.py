"""The result of a background run: what happened, its output as a JSON tree, copy and save.

The output shown is the copy in the job store, so it is there even after Sim has deleted the
run (async results are kept for about a day). Non-modal: several results can be open at once.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from simdesk.core.jobs import format as fmt
from simdesk.core.jobs.model import Job, JobStatus
from simdesk.ui.json_view import JsonTreeView

log = logging.getLogger("simdesk.ui.jobs")

SavePath = Callable[[QWidget, str], str | None]


def ask_save_path(parent: QWidget, suggested: str) -> str | None:
    """The platform's "Save as" dialog; ``None`` when cancelled."""
    path, _ = QFileDialog.getSaveFileName(parent, "Save the run's output", suggested, "JSON (*.json)")
    return path or None


def result_document(job: Job) -> dict[str, Any]:
    """What Copy and Save write: the output plus enough to know which run it was."""
    return {
        "workflowId": job.workflow_id,
        "workflowName": job.workflow_name or None,
        "runId": job.run_id,
        "profile": job.profile,
        "status": job.status.value,
        "startedAt": job.started_at,
        "endedAt": job.ended_at,
        "cost": job.cost,
        "error": {"code": job.error_code, "message": job.error} if job.error else None,
        "output": job.output,
    }


class JobResultDialog(QDialog):
    """Shows one job's outcome. ``save_path`` picks the file (tests pass their own)."""

    def __init__(self, job: Job, parent: QWidget | None = None, *, save_path: SavePath = ask_save_path) -> None:
        super().__init__(parent)
        self.setObjectName("jobResultDialog")
        self.setWindowTitle(f"Result · {job.display_name}")
        self.resize(640, 520)
        self.job = job
        self._save_path = save_path

        facts = QFormLayout()
        now = time.time()
        facts.addRow("Workflow:", QLabel(job.display_name))
        facts.addRow("Run:", _selectable(job.run_id))
        facts.addRow("Status:", QLabel(job.status.label + (f" ({job.error_code})" if job.error_code else "")))
        if job.started_at or job.created_at:
            facts.addRow("Started:", QLabel(fmt.clock_time(job.started_at or job.created_at, now)))
        if job.status.is_final and job.elapsed(now) is not None:
            facts.addRow("Took:", QLabel(fmt.duration(job.elapsed(now))))
        if job.cost is not None:
            facts.addRow("Cost:", QLabel(fmt.cost(job.cost)))
        self.error_label = QLabel(job.error or "")
        self.error_label.setObjectName("jobError")
        self.error_label.setWordWrap(True)
        self.error_label.setVisible(bool(job.error))
        self.note_label = QLabel(job.note or "")
        self.note_label.setWordWrap(True)
        self.note_label.setProperty("muted", True)
        self.note_label.setVisible(bool(job.note))

        self.tree = JsonTreeView(self)
        self.tree.setAccessibleName("Run output")
        self.empty = QLabel(_empty_text(job))
        self.empty.setWordWrap(True)
        self.empty.setProperty("muted", True)
        has_output = job.output is not None
        if has_output:
            self.tree.set_value(job.output)
        self.tree.setVisible(has_output)
        self.empty.setVisible(not has_output)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton("Copy JSON")
        self.copy_button.setObjectName("copyResult")
        self.save_button = QPushButton("Save…")
        self.save_button.setObjectName("saveResult")
        for button in (self.copy_button, self.save_button):
            buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy)
        self.save_button.clicked.connect(self.save)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(facts)
        layout.addWidget(self.error_label)
        layout.addWidget(self.note_label)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.empty, 1)
        layout.addWidget(buttons)

    def text(self) -> str:
        """The JSON that Copy and Save produce."""
        return json.dumps(result_document(self.job), indent=2, ensure_ascii=False)

    def copy(self) -> None:
        """Put the result JSON on the clipboard."""
        QGuiApplication.clipboard().setText(self.text())

    def save(self) -> Path | None:
        """Ask for a file and write the result JSON to it; returns the path written."""
        suggested = f"{(self.job.workflow_name or 'run').replace(' ', '-').lower()}-{self.job.run_id}.json"
        chosen = self._save_path(self, suggested)
        if not chosen:
            return None
        path = Path(chosen)
        try:
            path.write_text(self.text() + "\n", encoding="utf-8")
        except OSError as exc:
            log.warning("could not save %s: %s", path, exc)
            self.note_label.setText(f"Could not save {path.name}: {exc.strerror or exc}")
            self.note_label.setVisible(True)
            return None
        return path


def _selectable(text: str) -> QLabel:
    label = QLabel(text)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _empty_text(job: Job) -> str:
    if job.status is JobStatus.FAILED:
        return "The run failed before producing an output."
    if not job.status.is_final:
        return "The run has not finished yet; its output will appear here when it does."
    if job.status is JobStatus.UNKNOWN:
        return "Sim no longer has this run and no output was stored before it was deleted."
    return "The run finished without an output."
