"""Resume a paused run: its pause context, and a form for the input it waits for.

When the pause names its fields, each gets a line (values are read as JSON when they parse —
``true``, ``42``, ``{"a": 1}`` — else as text); otherwise, and always on request, the input is
edited as a JSON object with live validation. OK stays disabled until the input is valid.
"""

from __future__ import annotations

import json
import time
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from simdesk.core.jobs import format as fmt
from simdesk.core.jobs.model import Job
from simdesk.ui.json_view import JsonHighlighter

JSON_HINT = 'The input the workflow waits for, as a JSON object, e.g. {"approved": true, "comment": "ok"}'


def parse_field(text: str) -> Any:
    """A form value: JSON when it parses (``true``, ``3``, ``[1]``), else the text itself."""
    stripped = text.strip()
    try:
        return json.loads(stripped)
    except ValueError:
        return text


class ResumeDialog(QDialog):
    """Asks for a paused run's resume input; :meth:`value` is the input once accepted."""

    def __init__(self, job: Job, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("resumeDialog")
        self.setWindowTitle(f"Resume · {job.display_name}")
        self.resize(520, 420)
        self.job = job
        pause = job.pause

        context = QFormLayout()
        context.addRow("Workflow:", QLabel(job.display_name))
        context.addRow("Run:", QLabel(job.run_id))
        if pause is not None:
            if pause.paused_at:
                context.addRow("Paused:", QLabel(f"{fmt.ago(pause.paused_at, time.time())}"))
            if pause.kind:
                context.addRow("Waiting for:", QLabel("a person" if pause.kind == "human" else pause.kind))
            if pause.block_id:
                context.addRow("At block:", QLabel(pause.block_id))
        self.message = QLabel(pause.message if pause and pause.message else "")
        self.message.setWordWrap(True)
        self.message.setVisible(bool(pause and pause.message))

        self.fields: dict[str, QLineEdit] = {}
        form = QFormLayout()
        for name in pause.fields if pause else ():
            edit = QLineEdit()
            edit.setObjectName(f"field_{name}")
            edit.setAccessibleName(name)
            edit.textChanged.connect(self._validate)
            self.fields[name] = edit
            form.addRow(f"{name}:", edit)

        self.as_json = QCheckBox("Edit the input as JSON")
        self.as_json.setChecked(not self.fields)
        self.as_json.setVisible(bool(self.fields))
        self.editor = QPlainTextEdit()
        self.editor.setObjectName("resumeJson")
        self.editor.setAccessibleName("Resume input (JSON)")
        self.editor.setPlaceholderText(JSON_HINT)
        self.editor.setPlainText("{\n  \n}")
        self._highlighter = JsonHighlighter(self.editor.document(), self.palette(), self.editor)
        self.editor.textChanged.connect(self._validate)
        self.as_json.toggled.connect(self._switch)
        self.problem = QLabel("")
        self.problem.setObjectName("resumeProblem")
        self.problem.setWordWrap(True)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Resume")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(context)
        layout.addWidget(self.message)
        layout.addLayout(form)
        layout.addWidget(self.as_json)
        layout.addWidget(QLabel(JSON_HINT) if not self.fields else QWidget())
        layout.addWidget(self.editor, 1)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self._switch(self.as_json.isChecked())

    def _switch(self, as_json: bool) -> None:
        if as_json and self.fields:
            self.editor.setPlainText(json.dumps(self._form_value(), indent=2, ensure_ascii=False))
        self.editor.setVisible(as_json)
        for edit in self.fields.values():
            edit.setEnabled(not as_json)
        self._validate()

    def _form_value(self) -> dict[str, Any]:
        return {name: parse_field(edit.text()) for name, edit in self.fields.items() if edit.text().strip()}

    def value(self) -> dict[str, Any] | None:
        """The resume input, or ``None`` while it is not a valid JSON object."""
        if not self.as_json.isChecked():
            return self._form_value()
        try:
            data = json.loads(self.editor.toPlainText())
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def _validate(self) -> None:
        value = self.value()
        problem = ""
        if value is None:
            try:
                json.loads(self.editor.toPlainText())
                problem = "The input must be a JSON object: {…}."
            except ValueError as exc:
                problem = f"Not valid JSON yet: {exc}"
        self.problem.setText(problem)
        self.problem.setVisible(bool(problem))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(value is not None)
