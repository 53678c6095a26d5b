"""Opening a workflow from the browser: one click, Enter, and a double click that opens once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt

from simdesk.app.workbench import Workbench
from simdesk.sandbox import demo
from simdesk.sandbox.server import RunningSandbox

MakeBench = Callable[..., Workbench]


def _row_centre(bench: Workbench, workflow_id: str) -> Any:
    assert bench.panel.select(workflow_id)
    tree = bench.panel.tree
    return tree.visualRect(tree.currentIndex()).center()


def _shown(bench: Workbench) -> Workbench:
    bench.panel.resize(320, 600)
    bench.panel.show()
    return bench


def test_a_single_click_opens_the_workflow(qtbot: Any, make_bench: MakeBench, sandbox: RunningSandbox) -> None:
    bench = _shown(make_bench(sandbox))
    assert bench.console.title.text() == "Click a workflow in the list to open it"
    point = _row_centre(bench, demo.ECHO_ID)
    bench.panel.tree.clearSelection()
    with qtbot.waitSignal(bench.catalogue.workflow_loaded, timeout=10_000):
        qtbot.mouseClick(bench.panel.tree.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert bench.console.workflow is not None and bench.console.workflow.id == demo.ECHO_ID
    assert bench.console.run_button.isEnabled()


def test_enter_opens_the_current_workflow(qtbot: Any, make_bench: MakeBench, sandbox: RunningSandbox) -> None:
    bench = _shown(make_bench(sandbox))
    assert bench.panel.select(demo.STORY_ID)
    bench.panel.tree.setFocus()
    with qtbot.waitSignal(bench.catalogue.workflow_loaded, timeout=10_000):
        qtbot.keyClick(bench.panel.tree, Qt.Key.Key_Return)
    assert bench.console.workflow is not None and bench.console.workflow.id == demo.STORY_ID


def test_a_double_click_opens_once_and_keeps_the_typed_input(
    qtbot: Any, make_bench: MakeBench, sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    bench = _shown(make_bench(sandbox))
    point = _row_centre(bench, demo.ECHO_ID)
    asked: list[str] = []
    load = bench.catalogue.load_workflow

    def spy(workflow_id: str) -> Any:
        asked.append(workflow_id)
        return load(workflow_id)

    monkeypatch.setattr(bench.catalogue, "load_workflow", spy)
    viewport = bench.panel.tree.viewport()
    with qtbot.waitSignal(bench.catalogue.workflow_loaded, timeout=10_000):  # as a mouse sends it
        qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=point)
        qtbot.mouseDClick(viewport, Qt.MouseButton.LeftButton, pos=point)
    bench.console.form.set_values({"message": "typed after opening"})
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=point)
    qtbot.keyClick(bench.panel.tree, Qt.Key.Key_Return)
    assert asked == [demo.ECHO_ID]  # asked for once: nothing reloads the form over the typed text
    assert bench.console.form.parsed().values == {"message": "typed after opening"}
    with qtbot.waitSignal(bench.catalogue.workflow_loaded, timeout=10_000):  # another one still opens
        bench.panel.select(demo.STORY_ID)
        qtbot.keyClick(bench.panel.tree, Qt.Key.Key_Return)
    assert asked == [demo.ECHO_ID, demo.STORY_ID]
