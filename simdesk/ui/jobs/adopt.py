""" "Track a run by id": adopt a run started elsewhere (the web UI, a script, a webhook)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

HINT = (
    "Paste the run id (Sim calls it runId or executionId; the web UI shows it in the run's logs) "
    "and the id of its workflow. simdesk then follows the run like one it started."
)


class AdoptDialog(QDialog):
    """Asks for a profile, a workflow id and a run id."""

    def __init__(
        self,
        profiles: Sequence[str],
        active_profile: str,
        known_workflows: Sequence[str] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("adoptDialog")
        self.setWindowTitle("Track a run by id")
        hint = QLabel(HINT)
        hint.setWordWrap(True)
        hint.setProperty("muted", True)
        self.profile = QComboBox()
        self.profile.setAccessibleName("Profile")
        self.profile.addItems(list(profiles))
        if active_profile in profiles:
            self.profile.setCurrentText(active_profile)
        self.workflow = QLineEdit()
        self.workflow.setObjectName("adoptWorkflow")
        self.workflow.setAccessibleName("Workflow id")
        self.workflow.setPlaceholderText("3b1f7c92-8d4e-4a6b-9c0d-5e2f8a714b36")
        self.workflow.setCompleter(QCompleter(list(known_workflows), self))
        self.run = QLineEdit()
        self.run.setObjectName("adoptRun")
        self.run.setAccessibleName("Run id")
        self.run.setPlaceholderText("run id")
        form = QFormLayout()
        form.addRow("&Profile:", self.profile)
        form.addRow("&Workflow id:", self.workflow)
        form.addRow("&Run id:", self.run)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Track")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        for edit in (self.workflow, self.run):
            edit.textChanged.connect(self._validate)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self._validate()

    def values(self) -> tuple[str, str, str]:
        """``(profile, workflow id, run id)``, trimmed."""
        return self.profile.currentText(), self.workflow.text().strip(), self.run.text().strip()

    def _validate(self) -> None:
        profile, workflow, run = self.values()
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(bool(profile and workflow and run))
