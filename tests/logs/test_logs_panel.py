"""The logs panel: rows, local and server filters, the run detail's waterfall, compare, bad input."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt

from simdesk.core.runs import RunStatus
from simdesk.core.trace import span_tree
from simdesk.core.usage import LogEntry
from simdesk.models.logs import Column
from simdesk.sandbox import demo
from simdesk.sandbox.server import RunningSandbox
from simdesk.services.logs import LogsService
from simdesk.ui.logs_panel import LogsPanel
from simdesk.ui.run_detail import RunDetail, trace_json
from tests.logs.conftest import NAMES


def _panel(qtbot: Any, service: LogsService) -> LogsPanel:
    panel = LogsPanel(service)
    qtbot.addWidget(panel)
    panel.resize(1400, 860)
    panel.set_workspace(demo.WS_DEMO, NAMES)
    qtbot.waitUntil(lambda: panel.model.rowCount() >= 100 and service.last_updated is not None, timeout=10_000)
    return panel


def test_filters_narrow_the_rows(seeded: RunningSandbox, make_logs: Callable[..., LogsService], qtbot: Any) -> None:
    panel = _panel(qtbot, make_logs(seeded))
    assert panel.model.names[demo.ECHO_ID] == "Echo"
    panel.search.setText("seeded-0-0000")  # text: filtered here, never sent
    shown = [panel.proxy.entry(panel.proxy.index(r, 0)) for r in range(panel.proxy.rowCount())]
    assert shown and all(e is not None and e.run_id.startswith("seeded-0-0000") for e in shown)
    assert panel.count.text().endswith(f"of {panel.model.rowCount():,} runs")
    panel.search.clear()
    panel.trigger.setCurrentIndex(panel.trigger.findData("schedule"))  # trigger: a new server query
    qtbot.waitUntil(
        lambda: panel.model.rowCount() > 0 and {e.trigger for e in panel.model.entries()} == {"schedule"},
        timeout=10_000,
    )
    panel.status.setCurrentIndex(panel.status.findData("failed"))
    qtbot.waitUntil(
        lambda: panel.model.rowCount() > 0 and all(e.status is RunStatus.FAILED for e in panel.model.entries()),
        timeout=10_000,
    )


def test_a_selected_run_shows_its_waterfall_and_two_compare(
    seeded: RunningSandbox, make_logs: Callable[..., LogsService], qtbot: Any
) -> None:
    panel = _panel(qtbot, make_logs(seeded))
    first, second = panel.model.entries()[:2]
    panel.select_run(first.run_id)
    qtbot.waitUntil(lambda: bool(panel.detail.trace.roots), timeout=10_000)
    assert panel.detail.entry is not None and panel.detail.entry.run_id == first.run_id
    assert len(panel.detail.waterfall.rows) >= 3 and panel.detail.copy_trace.isEnabled()
    assert panel.detail.waterfall.selected is not None  # the first (or first failed) block is open
    other = panel.proxy.mapFromSource(panel.model.index(panel.model.row_of(second.run_id) or 0, 0))
    panel.table.selectionModel().select(
        other, QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    )
    assert panel.compare_button.isEnabled()
    panel.compare_selected()
    qtbot.waitUntil(lambda: bool(panel.comparison.deltas), timeout=10_000)
    assert panel.comparison.blocks.rowCount() == len(panel.comparison.deltas)
    assert "Start" in {d.name for d in panel.comparison.deltas}


def test_a_forgotten_run_is_a_clear_state(
    seeded: RunningSandbox, make_logs: Callable[..., LogsService], qtbot: Any
) -> None:
    service = make_logs(seeded)
    panel = _panel(qtbot, service)
    with qtbot.waitSignal(service.detail_failed, timeout=10_000):
        service.open_run("seeded-0-999999")
    assert panel.detail.notice.isVisibleTo(panel) and "no longer has this run" in panel.detail.notice.text()
    assert not panel.detail.rerun.isEnabled() and panel.detail.waterfall.rows == []


def test_malformed_spans_render_what_can_be_read(qtbot: Any) -> None:
    detail = RunDetail()
    qtbot.addWidget(detail)
    raw = {"runId": "r1", "traceSpans": ["junk", {"name": "Agent", "blockId": "a", "durationMs": "slow"}]}
    entry = LogEntry("r1", "wf", RunStatus.FAILED, "error", "chat", None, None, None, None, raw=raw)
    detail.show_run(entry, span_tree(raw["traceSpans"]))
    assert [r.span.name for r in detail.waterfall.rows] == ["Agent"]
    assert "not a JSON object" in detail.notice.text()
    assert detail.error_text.toPlainText() == "The run failed (the log names no error)."
    assert '"Agent"' in trace_json(entry)
    detail.grab()  # paints without raising


def test_a_narrow_detail_moves_the_span_into_a_tab_and_back(qtbot: Any) -> None:
    detail = RunDetail()
    qtbot.addWidget(detail)
    detail.resize(900, 600)
    detail.show()
    assert detail.span_pane.parent() is detail.top and detail.run_tabs.indexOf(detail.span_pane) == -1
    detail.resize(500, 600)
    qtbot.waitUntil(lambda: detail.run_tabs.indexOf(detail.span_pane) == 0)
    detail.resize(900, 600)
    qtbot.waitUntil(lambda: detail.span_pane.parent() is detail.top)
    assert detail.span_pane.isVisible()


def test_sorting_and_scrolling_to_the_end(
    seeded: RunningSandbox, make_logs: Callable[..., LogsService], qtbot: Any
) -> None:
    panel = _panel(qtbot, make_logs(seeded))
    header = panel.table.horizontalHeader()
    header.setSortIndicator(Column.DURATION, Qt.SortOrder.AscendingOrder)
    durations = [panel.proxy.entry(panel.proxy.index(r, 0)) for r in range(panel.proxy.rowCount())]
    values = [e.duration_ms for e in durations if e is not None and e.duration_ms is not None]
    assert len(values) == panel.proxy.rowCount() and values == sorted(values)
    header.setSortIndicator(Column.STARTED, Qt.SortOrder.DescendingOrder)  # the rows' own order again
    assert panel.proxy.sortColumn() == -1
    panel.show()
    qtbot.waitUntil(lambda: panel.table.verticalScrollBar().maximum() > 0 and panel.more.isEnabled())
    held = panel.model.rowCount()
    bar = panel.table.verticalScrollBar()
    bar.setValue(bar.maximum())  # the end of the list reads the next page
    qtbot.waitUntil(lambda: panel.model.rowCount() > held, timeout=10_000)
