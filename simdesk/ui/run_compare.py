"""Two runs side by side: their inputs and outputs diffed, and block by block in time and cost.

Differences are highlighted: a block that failed in one run only, one that took at least half
again as long, one that ran in only one of them; for inputs and outputs, each changed path with
its old and new value (strings as a word diff, removed words struck through, added ones marked).
"""

from __future__ import annotations

import html
from typing import Any, NamedTuple

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QLabel, QTableWidget, QTableWidgetItem, QTabWidget, QTextBrowser, QVBoxLayout, QWidget

from simdesk.core.jobs import format as fmt
from simdesk.core.run_diff import BlockDelta, Change, block_deltas, json_diff, short, text_diff
from simdesk.core.trace import Trace
from simdesk.core.usage import LogEntry
from simdesk.models.logs import duration_text
from simdesk.ui.theme import Role, is_dark, role

BLOCK_HEADERS = ("Block", "A time", "B time", "Δ time", "A cost", "B cost", "Status A → B")


class RunCompare(QWidget):
    """Compare run A (older, usually) with run B."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("runCompare")
        self.title = QLabel("Select two runs and press Compare.")
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.blocks = QTableWidget(0, len(BLOCK_HEADERS))
        self.blocks.setHorizontalHeaderLabels(BLOCK_HEADERS)
        self.blocks.verticalHeader().hide()
        self.blocks.horizontalHeader().setStretchLastSection(True)
        self.inputs = QTextBrowser()
        self.outputs = QTextBrowser()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.blocks, "Blocks")
        self.tabs.addTab(self.inputs, "Input")
        self.tabs.addTab(self.outputs, "Output")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.title)
        layout.addWidget(self.tabs, 1)
        self.deltas: list[BlockDelta] = []
        self.input_changes: list[Change] = []
        self.output_changes: list[Change] = []

    def compare(self, a: tuple[LogEntry, Trace], b: tuple[LogEntry, Trace]) -> None:
        (entry_a, trace_a), (entry_b, trace_b) = a, b
        self.title.setText(
            f"<b>A</b> {_line(entry_a)}<br><b>B</b> {_line(entry_b)}"
            + (
                "<br><i>The two runs are of different workflows.</i>"
                if entry_a.workflow_id != entry_b.workflow_id
                else ""
            )
        )
        self.deltas = block_deltas(trace_a, trace_b)
        self._fill_blocks()
        self.input_changes = json_diff(trace_a.run_input(), trace_b.run_input())
        self.output_changes = json_diff(entry_a.final_output, entry_b.final_output)
        self.inputs.setHtml(self._changes_html(self.input_changes, "inputs"))
        self.outputs.setHtml(self._changes_html(self.output_changes, "outputs"))

    def _fill_blocks(self) -> None:
        self.blocks.setRowCount(len(self.deltas))
        for row, d in enumerate(self.deltas):
            delta = d.delta_ms
            cells = (
                d.name, duration_text(d.before_ms), duration_text(d.after_ms),
                "" if delta is None else ("+" if delta >= 0 else "−") + duration_text(abs(delta)),
                fmt.cost(d.before_cost), fmt.cost(d.after_cost),
                f"{d.before_status or '—'} → {d.after_status or '—'}",
            )  # fmt: skip
            colour = _row_colour(d)
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if colour is not None:
                    tint = QColor(role(colour, self.palette()))
                    tint.setAlpha(90 if is_dark(self.palette()) else 60)
                    item.setBackground(QBrush(tint))
                self.blocks.setItem(row, column, item)
        self.blocks.resizeColumnsToContents()

    def _changes_html(self, changes: list[Change], what: str) -> str:
        if not changes:
            return f"<p>The {what} are the same.</p>"
        palette = self.palette()
        ink = _Ink(role(Role.DIFF_ADDED, palette), role(Role.DIFF_REMOVED, palette))
        rows = [f"<p>{len(changes)} difference{'s' if len(changes) != 1 else ''} in the {what}:</p><ul>"]
        for c in changes:
            rows.append(f"<li><code>{html.escape(c.path)}</code> {c.op}: {_change_html(c, ink)}</li>")
        rows.append("</ul>")
        return "".join(rows)


def _row_colour(d: BlockDelta) -> Role | None:
    if d.before_ms is None or d.after_ms is None:
        return Role.DIFF_MISSING
    if d.status_changed:
        return Role.DIFF_FAILED
    return Role.DIFF_SLOWER if d.slower() else None


class _Ink(NamedTuple):
    """The theme's colours of added and removed text, for the palette the diff is shown in."""

    added: str
    removed: str


def _change_html(c: Change, ink: _Ink) -> str:
    if c.op == "added":
        return f"<span style='color:{ink.added}'>{html.escape(short(c.after))}</span>"
    if c.op == "removed":
        return f"<s style='color:{ink.removed}'>{html.escape(short(c.before))}</s>"
    if isinstance(c.before, str) and isinstance(c.after, str):
        return "".join(_piece(tag, text, ink) for tag, text in text_diff(c.before, c.after))
    return f"{_piece('-', short(c.before), ink)}→ {_piece('+', short(c.after), ink)}"


def _piece(tag: str, text: str, ink: _Ink) -> str:
    escaped = html.escape(text) + " "
    if tag == "-":
        return f"<s style='color:{ink.removed}'>{escaped}</s>"
    if tag == "+":
        return f"<b style='color:{ink.added}'>{escaped}</b>"
    return escaped


def _line(entry: LogEntry) -> str:
    started = entry.started_at.strftime("%Y-%m-%d %H:%M:%S") if entry.started_at else "?"
    parts: list[Any] = [
        entry.workflow_name or entry.workflow_id,
        entry.status.value,
        started,
        duration_text(entry.duration_ms),
    ]
    return html.escape(" · ".join(str(p) for p in parts if p)) + f" <small>({html.escape(entry.run_id)})</small>"
