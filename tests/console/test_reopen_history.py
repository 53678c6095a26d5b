"""Reopening a run from the history brings back its input and options, and the browser's
"Recent runs of …" always names the workflow whose runs it lists (the one under the cursor)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QLineEdit

from simdesk.app.workbench import Workbench
from simdesk.sandbox import demo
from simdesk.sandbox.server import RunningSandbox

MakeBench = Callable[..., Workbench]


def _open(qtbot: Any, bench: Workbench, workflow_id: str) -> None:
    with qtbot.waitSignal(bench.catalogue.workflow_loaded, timeout=10_000):
        bench.panel.select(workflow_id)
        bench.console.open_workflow(workflow_id)


def _run_echo(qtbot: Any, bench: Workbench, message: str, mode: str) -> str:
    editor = bench.console.form.field_editor("message")
    assert isinstance(editor, QLineEdit)
    editor.setText(message)
    bench.console.options.set_mode(mode)
    with qtbot.waitSignal(bench.runs.finished, timeout=10_000):
        assert bench.console.run()
    assert bench.runs.header is not None
    return bench.runs.header.key


def _recent_label_matches_cursor(bench: Workbench) -> bool:
    selected = bench.panel.selected_workflow()
    label = bench.panel.recent_label.text()
    return label == (f"Recent runs of {selected.name}" if selected else "Recent runs on this computer")


def test_reopening_a_run_of_the_open_workflow_restores_its_input_and_mode(
    qtbot: Any, make_bench: MakeBench, sandbox: RunningSandbox
) -> None:
    bench = make_bench(sandbox)
    _open(qtbot, bench, demo.ECHO_ID)
    first = _run_echo(qtbot, bench, "first words", "sync")
    _run_echo(qtbot, bench, "second words", "stream")
    with qtbot.waitSignal(bench.runs.started, timeout=10_000):
        bench.open_run(first)
    assert bench.console.form.parsed().values == {"message": "first words"}
    assert bench.console.options.mode() == "sync"
    assert bench.console.run_button.text() == "▶ Run"


def test_reopening_a_run_of_another_workflow_opens_it_with_its_input_and_moves_the_cursor(
    qtbot: Any, make_bench: MakeBench, sandbox: RunningSandbox
) -> None:
    bench = make_bench(sandbox)
    _open(qtbot, bench, demo.ECHO_ID)
    key = _run_echo(qtbot, bench, "from the history", "sync")
    _open(qtbot, bench, demo.STORY_ID)
    assert bench.panel.recent_label.text() == "Recent runs of Story Teller"
    with qtbot.waitSignal(bench.catalogue.workflow_loaded, timeout=10_000):
        bench.open_run(key)
    assert bench.console.workflow is not None and bench.console.workflow.id == demo.ECHO_ID
    assert bench.console.form.parsed().values == {"message": "from the history"}
    assert bench.console.options.mode() == "sync"
    selected = bench.panel.selected_workflow()
    assert selected is not None and selected.id == demo.ECHO_ID
    assert _recent_label_matches_cursor(bench)
    assert bench.panel.recent.count() >= 1
    assert "  ·  Run  ·  " in bench.panel.recent.item(0).text()  # the mode in the console's words, not "sync"


def test_the_recent_runs_follow_the_cursor_into_another_workspace(
    qtbot: Any, make_bench: MakeBench, sandbox: RunningSandbox
) -> None:
    bench = make_bench(sandbox)
    _open(qtbot, bench, demo.RESEARCH_ID)
    assert bench.panel.recent_label.text() == "Recent runs of Research Assistant"
    qtbot.waitUntil(lambda: not bench.catalogue.busy, timeout=10_000)
    with qtbot.waitSignal(bench.catalogue.loading_changed, timeout=10_000, check_params_cb=lambda busy: not busy):
        bench.catalogue.select_workspace(demo.WS_TEAM)  # Research Assistant is not in this one
    assert "Research Assistant" not in bench.panel.recent_label.text()
    assert _recent_label_matches_cursor(bench)
