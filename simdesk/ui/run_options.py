"""How to run: the mode, the streamed outputs, the agent-event toggles and the background time cap.

The mode is a segmented control (:class:`ModeSwitch`) that the console puts beside the action
button, so the choice sits next to the label it changes. One vocabulary everywhere: "Run" (wait
for the answer), "Stream" (watch it arrive) and "Run in background" (follow it in Jobs).

The ``selectedOutputs`` picker is a comma-separated line with a menu of suggestions; the
suggestions are the outputs the workflow exposed in its past runs' trace spans (see
:mod:`simdesk.core.outline`), since Sim's API does not list a workflow's blocks. A line under the
row says what a stream will show, and flags an output that names no block of this workflow
(one typed for another workflow streams nothing).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from simdesk.core.outline import WorkflowOutline
from simdesk.ui.theme import set_tone

MODES = (("sync", "Run"), ("stream", "Stream"), ("async", "Run in background"))
MODE_WORDS = dict(MODES)
RUN_LABELS = {key: f"▶ {label}" for key, label in MODES}
MODE_TIPS = {
    "sync": "Run: wait for the whole answer (Sim's time cap for waiting applies)",
    "stream": "Stream: watch the chosen outputs arrive as the workflow produces them",
    "async": "Run in background: Sim queues the run; follow it in Jobs, even after closing simdesk",
}


class ModeSwitch(QWidget):
    """Three checkable buttons, one per mode, exactly one checked.

    Signals:
        mode_changed(str): ``stream``, ``sync`` or ``async``.
    """

    mode_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modeSwitch")
        self.setAccessibleName("Run mode")
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self.buttons: dict[str, QToolButton] = {}
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        for key, label in MODES:
            button = QToolButton()
            button.setObjectName(f"mode_{key}")
            button.setText(label)
            button.setCheckable(True)
            button.setAutoRaise(False)
            button.setToolTip(MODE_TIPS[key])
            self.group.addButton(button)
            self.buttons[key] = button
            layout.addWidget(button)
        self.buttons["stream"].setChecked(True)
        self.group.buttonToggled.connect(self._toggled)
        # The checked segment must read as chosen in both themes: the highlight colours do.
        self.setStyleSheet(
            "QToolButton { padding: 3px 10px; border: 1px solid palette(mid); background: palette(button); }"
            " QToolButton:checked { background: palette(highlight); color: palette(highlighted-text);"
            " border-color: palette(highlight); }"
            " QToolButton:disabled { color: palette(mid); }"
        )

    def mode(self) -> str:
        """The checked mode."""
        return next(key for key, button in self.buttons.items() if button.isChecked())

    def set_mode(self, mode: str) -> None:
        """Check ``mode`` (unknown modes are ignored)."""
        if mode in self.buttons:
            self.buttons[mode].setChecked(True)

    def _toggled(self, _button: object, checked: bool) -> None:
        if checked:
            self.mode_changed.emit(self.mode())


class RunOptions(QWidget):
    """The options row under the input; its :attr:`modes` switch is placed by the owner (the
    console puts it beside the action button).

    Signals:
        mode_changed(str): ``stream``, ``sync`` or ``async``.
    """

    mode_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.modes = ModeSwitch()
        self.modes.mode_changed.connect(self._mode_changed)

        self.outputs_label = QLabel("Outputs")
        self.outputs = QLineEdit()
        self.outputs.setObjectName("selectedOutputs")
        self.outputs.setPlaceholderText("Agent 1.content, … (run once to learn this workflow's blocks)")
        self.outputs.setToolTip(
            "Sim streams text only for the agent outputs named here (blockName.path). "
            "With none, the answer arrives whole at the end."
        )
        self.pick = QToolButton()
        self.pick.setText("▾")
        self.pick.setToolTip("Outputs this workflow exposed in earlier runs")
        self.pick.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.menu = QMenu(self.pick)
        self.pick.setMenu(self.menu)
        self.pick.setStyleSheet("QToolButton::menu-indicator { image: none; width: 0px; }")
        self.thinking = QCheckBox("Thinking")
        self.thinking.setObjectName("includeThinking")
        self.thinking.setToolTip("Stream the agents' reasoning (agent-events-v1)")
        self.tools = QCheckBox("Tool calls")
        self.tools.setObjectName("includeToolCalls")
        self.tools.setToolTip("Stream tool calls with their durations (agent-events-v1)")
        self.cap_label = QLabel("Time cap")
        self.cap = QSpinBox()
        self.cap.setObjectName("asyncTimeCap")
        self.cap.setRange(0, 604_800)
        self.cap.setSpecialValueText("plan default")
        self.cap.setSuffix(" s")
        self.cap.setToolTip("A lower server-side time limit for this background run (never a higher one)")

        self.hint = QLabel()
        self.hint.setObjectName("outputsHint")
        self.hint.setWordWrap(True)

        layout = QHBoxLayout()
        layout.setContentsMargins(0, 0, 0, 0)
        widgets = (self.outputs_label, self.outputs, self.pick, self.thinking, self.tools, self.cap_label, self.cap)
        for widget in widgets:
            layout.addWidget(widget)
        layout.addStretch(1)  # keeps the time cap beside its label when the outputs are hidden
        layout.setStretch(layout.indexOf(self.outputs), 20)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addLayout(layout)
        column.addWidget(self.hint)
        self._suggestions: list[str] = []
        self._blocks: list[str] = []  # names of the workflow's known blocks (empty: none known yet)
        self.outputs.textChanged.connect(self._update_hint)
        self._mode_changed()

    # --- values --------------------------------------------------------------------------

    def mode(self) -> str:
        """``stream``, ``sync`` or ``async``."""
        return self.modes.mode()

    def set_mode(self, mode: str) -> None:
        """Choose a mode."""
        self.modes.set_mode(mode)

    def selected_outputs(self) -> list[str]:
        """The selectors typed or picked."""
        return [s.strip() for s in self.outputs.text().split(",") if s.strip()]

    def set_selected_outputs(self, selectors: Sequence[str]) -> None:
        """Replace the selectors."""
        self.outputs.setText(", ".join(selectors))
        self._rebuild_menu()

    def options(self) -> dict[str, Any]:
        """Everything as a dict (remembered per workflow)."""
        return {
            "mode": self.mode(),
            "selectedOutputs": self.selected_outputs(),
            "includeThinking": self.thinking.isChecked(),
            "includeToolCalls": self.tools.isChecked(),
            "executionTimeoutSeconds": self.cap.value() or None,
        }

    def set_options(self, options: Mapping[str, Any]) -> None:
        """Restore :meth:`options` (unknown keys are ignored)."""
        if isinstance(options.get("mode"), str):
            self.set_mode(options["mode"])
        selectors = options.get("selectedOutputs")
        # a workflow without saved outputs starts empty: another workflow's outputs stream nothing here
        chosen = [s for s in selectors if isinstance(s, str)] if isinstance(selectors, list) else []
        self.set_selected_outputs(chosen)
        self.thinking.setChecked(bool(options.get("includeThinking")))
        self.tools.setChecked(bool(options.get("includeToolCalls")))
        cap = options.get("executionTimeoutSeconds")
        self.cap.setValue(int(cap) if isinstance(cap, int) else 0)

    def set_outline(self, outline: WorkflowOutline, *, fill_defaults: bool) -> None:
        """Offer the workflow's known outputs; with ``fill_defaults``, pick its agents' text."""
        self._suggestions = outline.selectors()
        self._blocks = [b.name for b in outline.blocks]
        if fill_defaults and not self.selected_outputs():
            self.set_selected_outputs(outline.default_selectors())
        self._rebuild_menu()
        self._update_hint()

    def unknown_outputs(self) -> list[str]:
        """Chosen outputs that name no known block of this workflow (none while no block is known)."""
        if not self._blocks:
            return []
        known = set(self._blocks)
        return [s for s in self.selected_outputs() if s.split(".", 1)[0] not in known]

    def hint_text(self) -> str:
        """What a stream with these options will show (empty outside stream mode)."""
        if self.mode() != "stream":
            return ""
        unknown = self.unknown_outputs()
        if unknown:
            names = ", ".join(f"“{s}”" for s in unknown)
            blocks = ", ".join(self._blocks)
            return f"⚠ {names} names no block of this workflow, so it streams nothing (its blocks: {blocks})."
        chosen = self.selected_outputs()
        if chosen:
            return "Streams " + ", ".join(chosen) + " as it is written."
        if self._blocks:
            return "No outputs chosen: the answer arrives whole at the end."
        return (
            "This workflow's blocks are not known yet: the first run sends its answer whole at the end, "
            "then its agents' text is chosen to stream."
        )

    def _update_hint(self) -> None:
        text = self.hint_text()
        self.hint.setText(text)
        self.hint.setVisible(bool(text))
        set_tone(self.hint, "error" if self.unknown_outputs() else "muted")

    def _rebuild_menu(self) -> None:
        self.menu.clear()
        chosen = set(self.selected_outputs())
        if not self._suggestions:
            action = self.menu.addAction("No outputs known yet: run the workflow once")
            action.setEnabled(False)
        for selector in self._suggestions:
            action = self.menu.addAction(selector)
            action.setCheckable(True)
            action.setChecked(selector in chosen)
            action.toggled.connect(lambda on, s=selector: self._toggle(s, on))

    def _toggle(self, selector: str, on: bool) -> None:
        current = self.selected_outputs()
        if on and selector not in current:
            current.append(selector)
        if not on and selector in current:
            current.remove(selector)
        self.outputs.setText(", ".join(current))

    def _mode_changed(self, _mode: str = "") -> None:
        mode = self.mode()
        streaming = mode == "stream"
        for widget in (self.outputs_label, self.outputs, self.pick, self.thinking, self.tools):
            widget.setVisible(streaming)
        self.cap_label.setVisible(mode == "async")
        self.cap.setVisible(mode == "async")
        self._update_hint()
        self.mode_changed.emit(mode)
