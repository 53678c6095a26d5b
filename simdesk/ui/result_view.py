"""The end of a run: its status, the error with its code and request id, and the output as a tree."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from simdesk.core.meter import money
from simdesk.core.transcript import Outcome
from simdesk.ui.json_view import JsonTreeView
from simdesk.ui.theme import RUN_PILL, RUN_PILL_OTHER, Role, role, set_tone

_WORDS = {
    "completed": "✓ Completed",
    "failed": "✗ Failed",
    "paused": "⏸ Paused",
    "cancelled": "■ Cancelled",
    "interrupted": "⚠ Interrupted",
    "background": "↻ Running in background",
    "running": "● Running",
}


def pill_style(status: str, palette: QPalette) -> str:
    """Stylesheet of a status pill for ``status`` (the text says the status too, never the colour alone)."""
    fill = RUN_PILL.get(status, RUN_PILL_OTHER).on(palette)
    return (
        f"background: {fill}; color: {role(Role.PILL_TEXT, palette)}; border-radius: 9px;"
        " padding: 2px 10px; font-weight: 600;"
    )


def status_words(status: str) -> str:
    """The pill's text."""
    return _WORDS.get(status, status.capitalize())


class ResultView(QWidget):
    """Shows an :class:`Outcome` (hidden until there is one)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("resultView")
        self.pill = QLabel()
        self.pill.setObjectName("statusPill")
        self.facts = QLabel()
        self.facts.setObjectName("resultFacts")
        self.facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.facts.setWordWrap(True)
        self.error = QLabel()
        self.error.setObjectName("resultError")
        self.error.setWordWrap(True)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.note = QLabel()
        self.note.setObjectName("resultNote")
        self.note.setWordWrap(True)
        self.note.setEnabled(False)
        self.tree = JsonTreeView()
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.pill)
        top.addWidget(self.facts, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.error)
        layout.addWidget(self.note)
        layout.addWidget(self.tree, 100)
        layout.addStretch(1)  # takes the room when there is no output tree; the labels keep their height
        for label in (self.pill, self.facts, self.error, self.note):
            label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.outcome: Outcome | None = None
        self._streamed = False
        self._block_names: Mapping[str, str] = {}
        self.show_outcome(None)

    def show_outcome(self, outcome: Outcome | None, *, streamed_text: bool = False) -> None:
        """Show ``outcome`` (``None`` clears). ``streamed_text`` notes that the answer text is in
        the transcript above (Sim leaves streamed text out of the final output)."""
        self.outcome = outcome
        self._streamed = streamed_text
        if outcome is None:
            self.pill.setText("")
            self.pill.setStyleSheet("")
            self.facts.setText("")
            self.error.hide()
            self.note.hide()
            self.tree.set_value(None)
            self.tree.hide()
            return
        self.pill.setText(status_words(outcome.status))
        self.pill.setStyleSheet(pill_style(outcome.status, self.palette()))
        facts = []
        if outcome.run_id:
            facts.append(f"run {outcome.run_id}")
        if outcome.duration_ms is not None:
            facts.append(f"server {outcome.duration_ms / 1000:.2f} s")
        if outcome.cost is not None:
            facts.append(f"cost {money(outcome.cost)}")
        self.facts.setText(" · ".join(facts))
        # A cancel is what the person asked for: Sim's "Cancelled / code CANCELLED" is no error
        asked = outcome.status == "cancelled" and outcome.error_code in (None, "CANCELLED")
        if outcome.error and not asked:
            parts = [outcome.error]
            if outcome.error_code:
                parts.append(f"code {outcome.error_code}")
            if outcome.request_id:
                parts.append(f"x-request-id {outcome.request_id}")
            self.error.setText("\n".join(parts))
            set_tone(self.error, "error")
            self.error.show()
        else:
            self.error.hide()
        note = outcome.note or ""
        if streamed_text and outcome.ok:
            streamed = "Streamed answer text is in the transcript (Sim does not repeat it here)."
            note = f"{note}\n{streamed}" if note else streamed
        self.note.setText(note)
        self.note.setVisible(bool(note))
        self.tree.set_value(outcome.output, labels=self._block_names)
        empty = outcome.output in (None, {}, []) and (streamed_text or outcome.output is None)
        self.tree.setVisible(not empty)

    def set_block_names(self, names: Mapping[str, str]) -> None:
        """Block id → name: an output keyed by block id (selected outputs of blocks that do not
        stream, ``{"<blockId>": {"<path>": value}}``) shows the blocks' names."""
        self._block_names = dict(names)
        if self.outcome is not None and isinstance(self.outcome.output, dict):
            self.tree.set_value(self.outcome.output, labels=self._block_names)

    def changeEvent(self, event: QEvent) -> None:
        """A theme switch repaints the status pill and the error in the new colours."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self.outcome is not None:
            self.show_outcome(self.outcome, streamed_text=self._streamed)

    def output(self) -> Any:
        """The shown output value."""
        return self.outcome.output if self.outcome else None
